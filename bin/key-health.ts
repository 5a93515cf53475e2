#!/usr/bin/env -S npx tsx
import { runCli } from '../lambda/cli/main';
import { SYSTEM_CLOCK } from '../lambda/clock';
import { nodeTransport } from '../lambda/http/node-transport';

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 22) {
  // The AWS SDK's own eight-line notice says the same at every run; one line is enough, and only for a person.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (process.stderr.isTTY)
    process.stderr.write(
      `key-health: note: Node.js ${process.versions.node} is past its end of life; use Node.js 22 or 24 (the Lambda runs 24). It still works with the AWS SDK versions pinned here.\n`,
    );
}

void runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stdout.isTTY === true,
    stderrIsTty: process.stderr.isTTY === true,
  },
  {
    transport: nodeTransport,
    clock: SYSTEM_CLOCK,
    // Loaded only when a key names a secretId: the default credential chain (AWS_PROFILE, AWS_REGION, roles).
    remoteSecrets: () => {
      const { SecretsManagerClient } = require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
      const { SecretsManagerSource } = require('../lambda/aws/secrets-manager') as typeof import('../lambda/aws/secrets-manager');
      return new SecretsManagerSource(new SecretsManagerClient({}));
    },
  },
).then((code) => {
  process.exitCode = code;
});
