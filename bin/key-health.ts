#!/usr/bin/env -S npx tsx
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSource } from '../lambda/aws/secrets-manager';
import { runCli } from '../lambda/cli/main';
import { SYSTEM_CLOCK } from '../lambda/clock';
import { nodeTransport } from '../lambda/http/node-transport';

void runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stdout.isTTY === true,
  },
  {
    transport: nodeTransport,
    clock: SYSTEM_CLOCK,
    // Built only when a key names a secretId: the default credential chain (AWS_PROFILE, AWS_REGION, roles).
    remoteSecrets: () => new SecretsManagerSource(new SecretsManagerClient({})),
  },
).then((code) => {
  process.exitCode = code;
});
