/**
 * `npm run bench`: measures the engine against the local simulator with a fixed latency added to
 * every answer (wall time for 1, 10 and 100 keys, requests per key, peak memory), then the Lambda
 * bundle's size and cold import time next to a minimal ccxt-based checker bundled the same way.
 * `npm run bench -- --json` prints one JSON object; `--latency MS`, `--exchange ID`, `--runs N`.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SYSTEM_CLOCK } from '../lambda/clock';
import { parseConfig } from '../lambda/config';
import type { CredentialCache } from '../lambda/engine/credential-cache';
import { runChecks } from '../lambda/engine/run-checks';
import { ADAPTERS } from '../lambda/exchanges/registry';
import type { Transport } from '../lambda/http/http-client';
import { nodeTransport } from '../lambda/http/node-transport';
import { MemorySecrets } from '../test/support/harness';
import { BENCH_HANDLERS, benchKeyName } from './bench-simulator';
import { BUNDLE_CACHE_DIR, bundleChecker, bundleEntry, coldImportMs } from './bundle-size';

const KEY_COUNTS = [1, 10, 100] as const;
const ROUNDS = 3;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      latency: { type: 'string', default: '100' },
      exchange: { type: 'string', default: 'coinbase-advanced' },
      runs: { type: 'string', default: '7' },
    },
  });
  const latencyMs = Number(values.latency);
  const exchange = values.exchange;
  const importRuns = Number(values.runs);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`--latency must be a number of ms, got ${values.latency}`);
  if (!BENCH_HANDLERS[exchange]) throw new Error(`--exchange must be one of ${Object.keys(BENCH_HANDLERS).join(', ')}`);
  if (!Number.isInteger(importRuns) || importRuns < 1) throw new Error(`--runs must be a whole number, got ${values.runs}`);

  const wall = await measureWallTime(exchange, latencyMs);
  const ours = await bundleChecker();
  const ccxtDir = mkdtempSync(join(ensureDir(BUNDLE_CACHE_DIR), 'ccxt-'));
  // ccxt requires protobufjs only for mexc and dydx, which this checker never loads; left external.
  const theirs = await bundleEntry(join(__dirname, 'ccxt-checker.ts'), join(ccxtDir, 'index.js'), {
    external: ['@aws-sdk/*', 'protobufjs', 'protobufjs/*'],
  });
  const coldMs = coldImportMs(ours.file, { runs: importRuns });
  const ccxtColdMs = coldImportMs(theirs.file, { runs: importRuns });
  // The exchange halves alone, without the AWS SDK clients that both checkers load.
  const engine = await bundleEntry(join(__dirname, 'engine-entry.ts'), join(ccxtDir, 'engine.js'));
  const ccxtEngine = await bundleEntry(join(__dirname, 'ccxt-engine.ts'), join(ccxtDir, 'ccxt-engine.js'), {
    external: ['protobufjs', 'protobufjs/*'],
  });
  const engineColdMs = coldImportMs(engine.file, { runs: importRuns });
  const ccxtEngineColdMs = coldImportMs(ccxtEngine.file, { runs: importRuns });
  for (const dir of [dirname(ours.file), ccxtDir]) rmSync(dir, { recursive: true, force: true });
  const result = {
    latencyMs,
    wallMs: wall.wallMs,
    ratio100to1: round2((wall.wallMs['100'] ?? 0) / (wall.wallMs['1'] ?? 1)),
    requestsPerKey: round2(wall.requestsPerKey),
    peakRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    bundleKb: ours.kb,
    coldImportMs: coldMs,
    ccxtBundleKb: theirs.kb,
    ccxtColdImportMs: ccxtColdMs,
    bundleRatio: round2(theirs.kb / ours.kb),
    coldImportRatio: round2(ccxtColdMs / coldMs),
    engineBundleKb: engine.kb,
    engineColdImportMs: engineColdMs,
    ccxtEngineBundleKb: ccxtEngine.kb,
    ccxtEngineColdImportMs: ccxtEngineColdMs,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write(
    [
      `key-health benchmark: ${exchange} simulator (own process), 100 distinct keys, ${latencyMs} ms added to every answer, median of ${ROUNDS} warm runs`,
      ...KEY_COUNTS.map((n) => `  ${String(n).padStart(3)} key(s): ${wall.wallMs[String(n)]} ms wall`),
      `  100 keys / 1 key: ${result.ratio100to1}x (goal <= 2)`,
      `  requests per key: ${result.requestsPerKey} (the signed reads, plus one shared server-time read per run)`,
      `  peak RSS of this process: ${result.peakRssMb} MB`,
      `Lambda bundle (esbuild as deployed, AWS SDK external) vs a minimal ccxt checker bundled the same way:`,
      `  size: ${ours.kb} KB vs ${theirs.kb} KB (${result.bundleRatio}x smaller; goal >= 10x)`,
      `  cold import: ${coldMs} ms vs ${ccxtColdMs} ms (${result.coldImportRatio}x faster; goal >= 5x; median of ${importRuns} fresh processes)`,
      `  of which the exchange half alone (no AWS SDK): ${engine.kb} KB, ${engineColdMs} ms vs ccxt ${ccxtEngine.kb} KB, ${ccxtEngineColdMs} ms (${round2(ccxtEngineColdMs / engineColdMs)}x faster)`,
      '',
    ].join('\n'),
  );
}

/** Runs 1, 10 and 100 keys against a simulator process; counts requests as they leave the transport. */
async function measureWallTime(exchange: string, latencyMs: number) {
  const credentials = Array.from({ length: 100 }, () => benchCredentials(exchange));
  const sim = await startSimulatorProcess(
    exchange,
    latencyMs,
    credentials.map((c) => c.stored),
  );
  const secrets = new MemorySecrets();
  const names = Array.from({ length: 100 }, (_, i) => benchKeyName(exchange, i));
  names.forEach((apiKey, i) => {
    secrets.set(`bench-${i}`, { apiKey, ...credentials[i]?.secret });
  });
  // As in a warm Lambda container, parsed private keys are kept from one run to the next.
  const credentialCache: CredentialCache = new Map();
  let sent = 0;
  const transport: Transport = (request, signal) => {
    sent += 1;
    return nodeTransport(request, signal);
  };
  const runOnce = (count: number) => {
    const config = parseConfig({
      keys: names.slice(0, count).map((_, i) => ({ name: `bench-${i}`, exchange, secretId: `bench-${i}`, baseUrl: sim.origin })),
    });
    return runChecks(config, {
      transport,
      clock: SYSTEM_CLOCK,
      secrets,
      adapters: ADAPTERS,
      deadlineAtMs: Date.now() + 60_000,
      credentialCache,
    });
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
        const { report } = await runOnce(count);
        samples.push(performance.now() - started);
        const failed = report.results.find((r) => r.status !== 'ok');
        if (failed) throw new Error(`bench key ${failed.name} was not ok: ${failed.findings[0]?.message}`);
        if (count === 100) requestsPerKey = sent / count;
      }
      wallMs[String(count)] = Math.round(median(samples));
    }
  } finally {
    sim.stop();
  }
  return { wallMs, requestsPerKey };
}

/** What the exchange stores for the bench keys, and the secret fields the checker reads. */
function benchCredentials(exchange: string): { stored: string; secret: Record<string, string> } {
  if (exchange === 'coinbase-advanced') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      stored: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      secret: { apiSecret: privateKey.export({ type: 'sec1', format: 'pem' }).toString() },
    };
  }
  const secret = randomBytes(64).toString('base64');
  return { stored: secret, secret: { apiSecret: secret, passphrase: 'bench' } };
}

/** Starts scripts/bench-simulator.ts in a child process and waits for its origin. */
async function startSimulatorProcess(exchange: string, latencyMs: number, stored: string[]) {
  const args = ['--import', 'tsx', join(__dirname, 'bench-simulator.ts'), exchange, String(latencyMs)];
  const env = { ...process.env, BENCH_SECRETS: JSON.stringify(stored) };
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [Buffer | number];
  if (!Buffer.isBuffer(chunk)) throw new Error('the simulator process exited before it started');
  return { origin: chunk.toString().trim(), stop: () => child.stdin.end() };
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
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
