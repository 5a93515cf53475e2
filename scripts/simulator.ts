/**
 * `npm run simulator`: starts the local simulator of every supported exchange, with the demo keys,
 * and keeps them running until Ctrl-C. Prints each exchange's origin (for a key's `baseUrl`) and
 * writes a ready config with the demo keys' credential files, so `key-health check` can be tried
 * against them by hand. `-- --latency MS` adds a delay to every answer; `-- --dir DIR` picks the folder.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Misbehaviour } from '../test/support/simulator/sim-server';
import { demoScenarios, startDemoExchanges } from './demo';

const HELP = `Usage: npm run simulator [-- --latency MS] [-- --dir DIR]

Starts a local simulator of every supported exchange (they verify signatures and timestamp windows
the way the exchange does and answer with its real error bodies) and writes a config with demo keys.

  --latency MS  add MS milliseconds to every answer (default 0)
  --dir DIR     write the config and credential files here (default: a new temporary folder)
  -h, --help    show this help
`;

async function main(): Promise<number> {
  let values: { latency?: string; dir?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { latency: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    process.stderr.write(`simulator: ${(error as Error).message.split('. ')[0]}; the options are --latency MS, --dir DIR and --help\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const latencyMs = values.latency === undefined ? 0 : Number(values.latency);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    process.stderr.write(`simulator: --latency must be a number of milliseconds, got "${values.latency}"\n`);
    return 2;
  }
  const temporary = values.dir === undefined;
  const dir = temporary ? mkdtempSync(resolve(tmpdir(), 'key-health-simulator-')) : resolve(values.dir ?? '.');
  mkdirSync(dir, { recursive: true });
  const scenarios = demoScenarios();
  const exchanges = await startDemoExchanges(scenarios, dir, { latencyMs });
  const lines = ['key-health simulators (Ctrl-C to stop):', ''];
  for (const { exchange, conditions, origin } of exchanges.simulators) {
    const skew = conditions?.skewMs ? `its clock ${conditions.skewMs > 0 ? '+' : ''}${conditions.skewMs / 1000} s off ours` : '';
    const misbehaving = conditions?.misbehave ? describeMisbehaviour(conditions.misbehave) : '';
    const note = [skew, misbehaving].filter(Boolean).join(', ');
    lines.push(`  ${exchange.padEnd(24)} ${origin}${note ? `   (${note}, for the demo keys that show it)` : ''}`);
  }
  const shown = relative(process.cwd(), exchanges.configPath);
  const config = shown.startsWith('..') ? exchanges.configPath : shown;
  lines.push(
    '',
    `${scenarios.length} demo keys, healthy and broken, are in ${config} (credential files next to it).`,
    'Try, in another terminal:',
    `  npm run key-health -- check --config ${config}`,
    `  npm run key-health -- check --config ${config} --only ${scenarios[0]?.name ?? 'NAME'} --json`,
    'Point a key of your own config at a simulator with "baseUrl": "<origin above>" (its secret must be one the simulator knows).',
    '',
  );
  process.stdout.write(lines.join('\n'));
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await exchanges.stop();
  if (temporary) rmSync(dir, { recursive: true, force: true });
  return 0;
}

function describeMisbehaviour(misbehaviour: Misbehaviour): string {
  return misbehaviour.kind === 'status' ? `answering HTTP ${misbehaviour.status} to everything` : `misbehaving: ${misbehaviour.kind}`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`simulator failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  },
);
