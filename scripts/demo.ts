/**
 * `npm run demo`: the CLI against the bundled exchange simulators, on built-in keys, no AWS needed.
 * Starts a simulator per exchange (and per condition a key needs, such as a skewed clock), writes a
 * config and credential files to a temporary folder, and runs `key-health check` on them.
 * `npm run demo -- --json` prints the report JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../lambda/cli/main';
import { SYSTEM_CLOCK } from '../lambda/clock';
import { DAY_MS } from '../lambda/duration';
import { EXCHANGE_IDS } from '../lambda/exchanges/registry';
import { nodeTransport } from '../lambda/http/node-transport';
import { EXIT_CODE } from '../lambda/report';
import { type Simulator, startSimulator } from '../test/support/simulator/sim-server';
import { type DemoKey, loadSimulatedExchange } from '../test/support/simulator/simulated-exchange';

/** One demo key and the exchange it belongs to. */
export type Scenario = DemoKey & { readonly exchange: string };

/** The demo's keys: for every supported exchange, healthy ones and common ways a key breaks. */
export function demoScenarios(): Scenario[] {
  return EXCHANGE_IDS.flatMap((exchange) =>
    loadSimulatedExchange(exchange)
      .demoKeys()
      .map((key) => ({ ...key, exchange })),
  );
}

/** Which simulator a scenario runs against: its exchange under its conditions. */
function simulatorId(scenario: Scenario): string {
  return `${scenario.exchange} ${JSON.stringify(scenario.conditions ?? {})}`;
}

/** Simulators running for a set of demo keys, with a config and credential files that point at them. */
export interface DemoExchanges {
  /** The config file (its credential files sit next to it). */
  readonly configPath: string;
  /** Each simulator: its exchange, the conditions it runs under, and its origin. */
  readonly simulators: readonly { exchange: string; conditions: Scenario['conditions']; origin: string }[];
  stop(): Promise<void>;
}

/**
 * Starts one simulator per exchange and conditions, and writes the config and the keys' credential
 * files (mode 600) into `dir`. A demo secret without its own `createdAt` is dated 10 days back, as a
 * key rotated by hand would be, so rotation is checked too.
 */
export async function startDemoExchanges(
  scenarios: readonly Scenario[],
  dir: string,
  options: { latencyMs?: number } = {},
): Promise<DemoExchanges> {
  const sims = new Map<string, Simulator>();
  const started: { exchange: string; conditions: Scenario['conditions']; origin: string }[] = [];
  const stop = () => Promise.all([...sims.values()].map((sim) => sim.close())).then(() => undefined);
  try {
    for (const scenario of scenarios) {
      const id = simulatorId(scenario);
      if (sims.has(id)) continue;
      const keys = scenarios.filter((s) => simulatorId(s) === id).flatMap((s) => (s.simKey ? [s.simKey] : []));
      const sim = await startSimulator(loadSimulatedExchange(scenario.exchange).handler, {
        keys,
        skewMs: scenario.conditions?.skewMs ?? 0,
        latencyMs: options.latencyMs ?? 0,
      });
      if (scenario.conditions?.misbehave) sim.misbehave('', scenario.conditions.misbehave);
      sims.set(id, sim);
      started.push({ exchange: scenario.exchange, conditions: scenario.conditions, origin: sim.origin });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const tenDaysAgo = new Date(Date.now() - 10 * DAY_MS).toISOString().slice(0, 10);
  const keys = scenarios.map((s) => {
    writeFileSync(join(dir, `${s.name}.json`), JSON.stringify({ createdAt: tenDaysAgo, ...s.secret }), { mode: 0o600 });
    return {
      name: s.name,
      exchange: s.exchange,
      credentials: { file: `${s.name}.json` },
      baseUrl: sims.get(simulatorId(s))?.origin,
      timeoutMs: 2000,
      ...(s.expect && { expect: s.expect }),
    };
  });
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, `${JSON.stringify({ keys }, null, 2)}\n`);
  return { configPath, simulators: started, stop };
}

/** Runs the demo: returns the CLI's exit code and output, and stops the simulators. */
export async function runDemo(options: {
  json: boolean;
  write: (text: string) => void;
  scenarios?: Scenario[];
}): Promise<{ exitCode: number; output: string }> {
  const scenarios = options.scenarios ?? demoScenarios();
  const dir = mkdtempSync(join(tmpdir(), 'key-health-demo-'));
  let exchanges: DemoExchanges | undefined;
  try {
    exchanges = await startDemoExchanges(scenarios, dir);
    const chunks: string[] = [];
    const io = {
      stdout: (text: string) => chunks.push(text),
      stderr: (text: string) => options.write(text),
      env: process.env,
      cwd: dir,
      isTty: process.stdout.isTTY === true,
    };
    const argv = ['check', '--config', exchanges.configPath, '--deadline-seconds', '20', ...(options.json ? ['--json'] : [])];
    const exitCode = await runCli(argv, io, { transport: nodeTransport, clock: SYSTEM_CLOCK });
    return { exitCode, output: chunks.join('') };
  } finally {
    await exchanges?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const HELP = `Usage: npm run demo [-- --json]

Runs key-health check against local simulators of every supported exchange, on built-in keys:
healthy ones and common ways a key breaks. No AWS account and no network needed.

  --json      print the report JSON instead of the table
  -h, --help  show this help
`;

async function main(): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message.split('. ')[0]}; the options are --json and --help\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const json = values.json === true;
  const write = (text: string) => process.stdout.write(text);
  if (!json) write(`key-health demo: ${demoScenarios().length} keys against local simulators of ${EXCHANGE_IDS.length} exchange APIs\n\n`);
  const { exitCode, output } = await runDemo({ json, write });
  write(output);
  if (json) return 0;
  const status = Object.entries(EXIT_CODE).find(([, code]) => code === exitCode)?.[0] ?? 'unknown';
  write(
    `\n\`key-health check\` exited ${exitCode} (${status}); the demo itself succeeds.\nTry: npm run key-health -- check --config YOUR_CONFIG.json   (see README, "Configuration")\n`,
  );
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
