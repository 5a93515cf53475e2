/**
 * `npm run demo`: the CLI against the bundled exchange simulators, on built-in keys, no AWS needed.
 * Starts a simulator per exchange (and per condition a key needs, such as a skewed clock), writes a
 * config and credential files to a temporary folder, and runs `key-health check` on them.
 * `npm run demo -- --json` prints the report JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../lambda/cli/main';
import { SYSTEM_CLOCK } from '../lambda/clock';
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

/** Runs the demo: returns the CLI's exit code and output, and stops the simulators. */
export async function runDemo(options: {
  json: boolean;
  write: (text: string) => void;
  scenarios?: Scenario[];
}): Promise<{ exitCode: number; output: string }> {
  const scenarios = options.scenarios ?? demoScenarios();
  const dir = mkdtempSync(join(tmpdir(), 'key-health-demo-'));
  const sims = new Map<string, Simulator>();
  try {
    for (const scenario of scenarios) {
      const id = simulatorId(scenario);
      if (sims.has(id)) continue;
      const same = scenarios.filter((s) => simulatorId(s) === id);
      const keys = same.flatMap((s) => (s.simKey ? [s.simKey] : []));
      const sim = await startSimulator(loadSimulatedExchange(scenario.exchange).handler, {
        keys,
        skewMs: scenario.conditions?.skewMs ?? 0,
      });
      if (scenario.conditions?.misbehave) sim.misbehave('', scenario.conditions.misbehave);
      sims.set(id, sim);
    }
    const keys = scenarios.map((s) => {
      writeFileSync(join(dir, `${s.name}.json`), JSON.stringify(s.secret), { mode: 0o600 });
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
    writeFileSync(configPath, JSON.stringify({ keys }, null, 2));
    const chunks: string[] = [];
    const io = {
      stdout: (text: string) => chunks.push(text),
      stderr: (text: string) => options.write(text),
      env: process.env,
      cwd: dir,
      isTty: process.stdout.isTTY === true,
    };
    const argv = ['check', '--config', configPath, '--deadline-seconds', '20', ...(options.json ? ['--json'] : [])];
    const exitCode = await runCli(argv, io, { transport: nodeTransport, clock: SYSTEM_CLOCK });
    return { exitCode, output: chunks.join('') };
  } finally {
    await Promise.all([...sims.values()].map((sim) => sim.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const write = (text: string) => process.stdout.write(text);
  if (!json) write(`key-health demo: ${demoScenarios().length} keys against local simulators of ${EXCHANGE_IDS.length} exchange APIs\n\n`);
  const { exitCode, output } = await runDemo({ json, write });
  write(output);
  if (json) return;
  const status = Object.entries(EXIT_CODE).find(([, code]) => code === exitCode)?.[0] ?? 'unknown';
  write(
    `\n\`key-health check\` exited ${exitCode} (${status}); the demo itself succeeds.\nTry: npm run key-health -- check --config YOUR_CONFIG.json   (see README, "Configuration")\n`,
  );
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  });
}
