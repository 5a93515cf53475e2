/**
 * The benchmark's exchange: a simulator in its own process, so that its work does not share the
 * event loop being measured (a real exchange does not run on our CPU). Prints its origin on stdout.
 * Usage: bench-simulator.ts EXCHANGE LATENCY_MS, with BENCH_SECRETS holding a JSON list of what the
 * exchange stores for each key (the HMAC secret, or the public key PEM for JWT keys).
 */
import { coinbaseAdvancedHandler } from '../test/support/simulator/coinbase-advanced';
import { coinbaseExchangeHandler } from '../test/support/simulator/coinbase-exchange';
import { coinbaseInternationalHandler } from '../test/support/simulator/coinbase-international';
import { type ExchangeHandler, startSimulator } from '../test/support/simulator/sim-server';

/** The exchanges the benchmark can run against. */
export const BENCH_HANDLERS: Record<string, ExchangeHandler> = {
  'coinbase-advanced': coinbaseAdvancedHandler,
  'coinbase-exchange': coinbaseExchangeHandler,
  'coinbase-international': coinbaseInternationalHandler,
};

async function main(): Promise<void> {
  const [exchange = 'coinbase-advanced', latency = '100'] = process.argv.slice(2);
  const handler = BENCH_HANDLERS[exchange];
  const stored = JSON.parse(process.env.BENCH_SECRETS ?? '[]') as string[];
  if (!handler || stored.length === 0)
    throw new Error(`usage: bench-simulator.ts (${Object.keys(BENCH_HANDLERS).join('|')}) LATENCY_MS with BENCH_SECRETS set`);
  const keys = stored.map((secret, i) => ({
    apiKey: benchKeyName(exchange, i),
    secret,
    passphrase: 'bench',
    permissions: { view: true, trade: true, transfer: false },
    futures: true,
  }));
  const sim = await startSimulator(handler, { keys, latencyMs: Number(latency) });
  process.stdout.write(`${sim.origin}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void sim.close().then(() => process.exit(0)));
}

/** The API key name of bench key `i` (CDP key names look like `organizations/…/apiKeys/…`). */
export function benchKeyName(exchange: string, i: number): string {
  return exchange === 'coinbase-advanced' ? `organizations/bench/apiKeys/key-${i}` : `bench-${i}`;
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
