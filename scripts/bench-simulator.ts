/**
 * The benchmark's exchange: a simulator in its own process, so that its work does not share the
 * event loop being measured (a real exchange does not run on our CPU). Prints its origin on stdout.
 * Usage: bench-simulator.ts EXCHANGE LATENCY_MS KEY_COUNT (the shared secret comes in BENCH_SECRET).
 */
import { coinbaseExchangeHandler } from '../test/support/simulator/coinbase-exchange';
import { type ExchangeHandler, startSimulator } from '../test/support/simulator/sim-server';

const HANDLERS: Record<string, ExchangeHandler> = { 'coinbase-exchange': coinbaseExchangeHandler };

async function main(): Promise<void> {
  const [exchange = 'coinbase-exchange', latency = '100', count = '100'] = process.argv.slice(2);
  const handler = HANDLERS[exchange];
  const secret = process.env.BENCH_SECRET;
  if (!handler || !secret)
    throw new Error(`usage: bench-simulator.ts (${Object.keys(HANDLERS).join('|')}) LATENCY_MS KEY_COUNT with BENCH_SECRET set`);
  const keys = Array.from({ length: Number(count) }, (_, i) => ({
    apiKey: `bench-${i}`,
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

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
