#!/usr/bin/env -S npx tsx
import { runCli } from '../lambda/cli/main';
import { NODE_HTTP_RUNTIME } from '../lambda/http/node-transport';

void runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stdout.isTTY === true,
  },
  { http: NODE_HTTP_RUNTIME },
).then((code) => {
  process.exitCode = code;
});
