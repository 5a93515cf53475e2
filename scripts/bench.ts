/**
 * Measures the engine against the local simulator with a fixed latency added to every answer:
 * wall time for 1, 10 and 100 keys, requests per key, and peak memory.
 * `npm run bench` prints a summary; `npm run bench -- --json` prints one JSON object.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { parseConfig } from '../lambda/config';
import { runChecks } from '../lambda/engine/run-checks';
import { ADAPTERS } from '../lambda/exchanges/registry';
import type { HttpRuntime } from '../lambda/http/http-client';
import { NODE_HTTP_RUNTIME } from '../lambda/http/node-transport';
import { MemorySecrets } from '../test/support/harness';

const KEY_COUNTS = [1, 10, 100] as const;
const ROUNDS = 3;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, latency: { type: 'string', default: '100' } } });
  const latencyMs = Number(values.latency);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`--latency must be a number of ms, got ${values.latency}`);
  const secret = randomBytes(64).toString('base64');
  const sim = await startSimulatorProcess('coinbase-exchange', latencyMs, 100, secret);
  const simKeys = Array.from({ length: 100 }, (_, i) => ({ apiKey: `bench-${i}` }));
  const secrets = new MemorySecrets();
  for (const key of simKeys) secrets.set(key.apiKey, { apiKey: key.apiKey, apiSecret: secret, passphrase: 'bench' });
  let sent = 0;
  const http: HttpRuntime = {
    ...NODE_HTTP_RUNTIME,
    transport: (request, signal) => {
      sent += 1;
      return NODE_HTTP_RUNTIME.transport(request, signal);
    },
  };

  const wallMs: Record<string, number> = {};
  let requestsPerKey = 0;
  try {
    // One warm-up run so that module loading and JIT do not count against the first size.
    await runOnce(1);
    for (const count of KEY_COUNTS) {
      const samples: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        sent = 0;
        const started = performance.now();
        const report = await runOnce(count);
        samples.push(performance.now() - started);
        const failed = report.results.filter((r) => r.status !== 'ok');
        if (failed.length > 0) throw new Error(`bench key ${failed[0]?.name} was not ok: ${failed[0]?.findings[0]?.message}`);
        if (count === 100) requestsPerKey = sent / count;
      }
      wallMs[String(count)] = Math.round(median(samples));
    }
  } finally {
    sim.stop();
  }
  const peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
  const result = {
    latencyMs,
    wallMs,
    ratio100to1: round2((wallMs['100'] ?? 0) / (wallMs['1'] ?? 1)),
    requestsPerKey: round2(requestsPerKey),
    peakRssMb,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write(
    [
      `key-health benchmark: coinbase-exchange simulator, ${latencyMs} ms added to every answer, median of ${ROUNDS} runs`,
      ...KEY_COUNTS.map((n) => `  ${String(n).padStart(3)} key(s): ${wallMs[String(n)]} ms wall`),
      `  100 keys / 1 key: ${result.ratio100to1}x (goal <= 2)`,
      `  requests per key: ${result.requestsPerKey} (the accounts read, plus the shared server-time read)`,
      `  peak RSS: ${peakRssMb} MB`,
      '',
    ].join('\n'),
  );

  function runOnce(count: number) {
    const config = parseConfig({
      keys: simKeys
        .slice(0, count)
        .map((k) => ({ name: k.apiKey, exchange: 'coinbase-exchange', secretId: k.apiKey, baseUrl: sim.origin })),
    });
    return runChecks(config, { http, secrets, adapters: ADAPTERS, deadlineAtMs: Date.now() + 60_000 });
  }
}

/** Starts scripts/bench-simulator.ts in a child process and waits for its origin. */
async function startSimulatorProcess(exchange: string, latencyMs: number, keyCount: number, secret: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `${__dirname}/bench-simulator.ts`, exchange, String(latencyMs), String(keyCount)],
    {
      env: { ...process.env, BENCH_SECRET: secret },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [Buffer | number];
  if (!Buffer.isBuffer(chunk)) throw new Error('the simulator process exited before it started');
  return { origin: chunk.toString().trim(), stop: () => child.stdin.end() };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
