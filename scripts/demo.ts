/**
 * `npm run demo`: the CLI against the bundled exchange simulators, on built-in keys, no AWS needed.
 * Starts a simulator per Coinbase API, writes a config and credential files to a temporary folder,
 * and runs `key-health check` on them. `npm run demo -- --json` prints the report JSON.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../lambda/cli/main';
import { SYSTEM_CLOCK } from '../lambda/clock';
import { nodeTransport } from '../lambda/http/node-transport';
import { EXIT_CODE } from '../lambda/report';
import { coinbaseAdvancedHandler } from '../test/support/simulator/coinbase-advanced';
import { coinbaseExchangeHandler } from '../test/support/simulator/coinbase-exchange';
import { coinbaseInternationalHandler } from '../test/support/simulator/coinbase-international';
import { type ExchangeHandler, MISBEHAVIOURS, type SimKey, type Simulator, startSimulator } from '../test/support/simulator/sim-server';

/** One demo key: what the simulator knows, what the secret says, and what the check should find. */
export interface Scenario {
  name: string;
  exchange: string;
  simulator: string;
  /** Known to the simulated exchange (omit for a key the exchange never issued). */
  simKey?: SimKey;
  secret: Record<string, unknown>;
  expect?: Record<string, boolean>;
  /** The finding codes the demo must produce for this key. */
  codes: string[];
}

const READ_TRADE = { view: true, trade: true, transfer: false };

/** The demo's keys: healthy ones and one of each common way a key breaks. */
export function demoScenarios(): Scenario[] {
  const ec = () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      secret: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
      public: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  };
  const hmacSecret = () => randomBytes(64).toString('base64');
  const cdp = (id: string) => `organizations/5f2b7c1e-demo/apiKeys/${id}`;
  const [futures, transfer, noFutures] = [ec(), ec(), ec()];
  const [spot, intx, intxSkewed, intxIp] = [hmacSecret(), hmacSecret(), hmacSecret(), hmacSecret()];
  return [
    {
      name: 'cb-futures-bot',
      exchange: 'coinbase-advanced',
      simulator: 'coinbase-advanced',
      simKey: { apiKey: cdp('futures-bot'), secret: futures.public, permissions: READ_TRADE, futures: true },
      secret: { apiKey: cdp('futures-bot'), apiSecret: futures.secret },
      expect: { futures: true, trade: true },
      codes: [],
    },
    {
      name: 'cb-can-withdraw',
      exchange: 'coinbase-advanced',
      simulator: 'coinbase-advanced',
      simKey: { apiKey: cdp('can-withdraw'), secret: transfer.public, permissions: { ...READ_TRADE, transfer: true }, futures: true },
      secret: { apiKey: cdp('can-withdraw'), apiSecret: transfer.secret },
      codes: ['PERMISSION_EXCESSIVE'],
    },
    {
      name: 'cb-no-futures',
      exchange: 'coinbase-advanced',
      simulator: 'coinbase-advanced',
      simKey: { apiKey: cdp('no-futures'), secret: noFutures.public, permissions: READ_TRADE, futures: false },
      secret: { apiKey: cdp('no-futures'), apiSecret: noFutures.secret },
      codes: ['PERMISSION_MISSING'],
    },
    {
      name: 'cb-revoked',
      exchange: 'coinbase-advanced',
      simulator: 'coinbase-advanced',
      secret: { apiKey: cdp('deleted-last-week'), apiSecret: ec().secret },
      codes: ['AUTH_INVALID_KEY'],
    },
    {
      name: 'cb-legacy-key',
      exchange: 'coinbase-advanced',
      simulator: 'coinbase-advanced',
      secret: { apiKey: 'Ab3dE5gH7jK9mN1p', apiSecret: 'q2W4e6R8t0Y2u4I6o8P0a2S4d6F8g0H2' },
      codes: ['KEY_EXPIRED'],
    },
    {
      name: 'cbx-spot',
      exchange: 'coinbase-exchange',
      simulator: 'coinbase-exchange',
      simKey: { apiKey: 'cbx-spot-key', secret: spot, passphrase: 'demo-passphrase', permissions: READ_TRADE, futures: true },
      secret: { apiKey: 'cbx-spot-key', apiSecret: spot, passphrase: 'demo-passphrase', createdAt: daysAgo(80) },
      codes: ['ROTATION_DUE'],
    },
    {
      name: 'cbx-old-passphrase',
      exchange: 'coinbase-exchange',
      simulator: 'coinbase-exchange',
      secret: { apiKey: 'cbx-spot-key', apiSecret: spot, passphrase: 'the-old-passphrase' },
      codes: ['AUTH_INVALID_PASSPHRASE'],
    },
    {
      name: 'cbx-misconfigured',
      exchange: 'coinbase-exchange',
      simulator: 'coinbase-exchange',
      secret: { apiKey: 'cbx-spot-key', apiSecret: spot },
      codes: ['SECRET_INVALID'],
    },
    {
      name: 'cbx-maintenance',
      exchange: 'coinbase-exchange',
      simulator: 'coinbase-exchange-down',
      simKey: { apiKey: 'cbx-spot-key', secret: spot, passphrase: 'demo-passphrase', permissions: READ_TRADE, futures: true },
      secret: { apiKey: 'cbx-spot-key', apiSecret: spot, passphrase: 'demo-passphrase' },
      codes: ['EXCHANGE_UNAVAILABLE'],
    },
    {
      name: 'intx-perps',
      exchange: 'coinbase-international',
      simulator: 'coinbase-international',
      simKey: { apiKey: 'intx-perps-key', secret: intx, passphrase: 'intx-pass', permissions: READ_TRADE, futures: true },
      secret: { apiKey: 'intx-perps-key', apiSecret: intx, passphrase: 'intx-pass' },
      codes: [],
    },
    {
      name: 'intx-ip-bound',
      exchange: 'coinbase-international',
      simulator: 'coinbase-international',
      simKey: { apiKey: 'intx-ip-key', secret: intxIp, passphrase: 'intx-pass', permissions: READ_TRADE, futures: true, ipBlocked: true },
      secret: { apiKey: 'intx-ip-key', apiSecret: intxIp, passphrase: 'intx-pass' },
      codes: ['IP_NOT_ALLOWED'],
    },
    {
      name: 'intx-host-clock',
      exchange: 'coinbase-international',
      simulator: 'coinbase-international-skewed',
      simKey: { apiKey: 'intx-skew-key', secret: intxSkewed, passphrase: 'intx-pass', permissions: READ_TRADE, futures: true },
      secret: { apiKey: 'intx-skew-key', apiSecret: intxSkewed, passphrase: 'intx-pass' },
      codes: ['CLOCK_SKEW_REJECTED'],
    },
  ];
}

function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString();
}

const SIMULATORS: Record<string, { handler: ExchangeHandler; setup?: (sim: Simulator) => void }> = {
  'coinbase-advanced': { handler: coinbaseAdvancedHandler },
  'coinbase-exchange': { handler: coinbaseExchangeHandler },
  'coinbase-exchange-down': { handler: coinbaseExchangeHandler, setup: (sim) => sim.misbehave('', MISBEHAVIOURS.unavailableHtml) },
  'coinbase-international': { handler: coinbaseInternationalHandler },
  // The exchange's clock is 10 s ahead of ours: INTX accepts 5 s.
  'coinbase-international-skewed': {
    handler: coinbaseInternationalHandler,
    setup: (sim) => {
      sim.skewMs = 10_000;
    },
  },
};

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
    for (const id of new Set(scenarios.map((s) => s.simulator))) {
      const spec = SIMULATORS[id];
      if (!spec) throw new Error(`no simulator ${id}`);
      const keys = scenarios.filter((s) => s.simulator === id && s.simKey).map((s) => s.simKey as SimKey);
      const sim = await startSimulator(spec.handler, { keys });
      spec.setup?.(sim);
      sims.set(id, sim);
    }
    const keys = scenarios.map((s) => {
      writeFileSync(join(dir, `${s.name}.json`), JSON.stringify(s.secret), { mode: 0o600 });
      return {
        name: s.name,
        exchange: s.exchange,
        credentials: { file: `${s.name}.json` },
        baseUrl: sims.get(s.simulator)?.origin,
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
  if (!json) write(`key-health demo: ${demoScenarios().length} keys against local simulators of the three Coinbase APIs\n\n`);
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
