/**
 * What `npm run bench` and its capacity run share: the function's defaults as the stack states them,
 * the bundles, a seeded world, the checking process's plan, and requests per key by service.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSimulatedExchange } from '../test/support/simulator/simulated-exchange';
import { startWorker, startWorldProcess, type WorldProcess, writeRunner } from './bench-processes';
import type { World, WorldCounts } from './bench-simulator';
import type { WorkerPlan } from './bench-worker';
import { BUNDLE_CACHE_DIR, bundleChecker, bundleEntry } from './bundle-size';

/**
 * The pause before the "after idle" invocation: twice the world's 2 s keep-alive timeout, so that the
 * servers have closed every connection (even when their timers run late on a busy machine), as a real
 * exchange or AWS has by the next scheduled run.
 */
export const IDLE_MS = 4000;
/** The function's memory and timeout defaults, read from lib/checker-function.ts so that the bench follows the stack. */
export function readFunctionDefaults(source = readFileSync(join(__dirname, '..', 'lib', 'checker-function.ts'), 'utf8')) {
  const memory = /memorySize: props\.memorySize \?\? (\d+)/.exec(source)?.[1];
  const minutes = /timeout: props\.timeout \?\? Duration\.minutes\((\d+)\)/.exec(source)?.[1];
  if (!memory || !minutes)
    throw new Error('lib/checker-function.ts no longer states its memory and timeout defaults as the bench reads them');
  return { memoryMb: Number(memory), timeoutMs: Number(minutes) * 60_000 };
}

/**
 * The heap flags Lambda's Node.js bootstrap passes for a function of `memoryMb`: a tenth for the young
 * generation (half of it per semi-space), the rest for the old one ([E] copies of /var/runtime/bootstrap
 * in public repositories). The checking process runs with them, so its heap grows as it would there.
 */
export function lambdaNodeArgs(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/** The bundles every part of the bench runs. */
export interface Bundles {
  readonly dir: string;
  readonly checker: { file: string; kb: number };
  readonly worker: string;
  readonly floor: string;
  readonly runner: string;
}

/** Bundles the deployed handler, the checking process, the floor and the runner into one fresh directory. */
export async function buildBundles(): Promise<Bundles> {
  mkdirSync(BUNDLE_CACHE_DIR, { recursive: true });
  const dir = mkdtempSync(join(BUNDLE_CACHE_DIR, 'bench-'));
  const checker = await bundleChecker(dir);
  const worker = await bundleEntry(join(__dirname, 'bench-worker.ts'), join(dir, 'worker.js'));
  const floor = await bundleEntry(join(__dirname, 'bench-floor.ts'), join(dir, 'floor.js'), { external: ['@aws-sdk/*', 'dynalite'] });
  return { dir, checker, worker: worker.file, floor: floor.file, runner: writeRunner(dir) };
}

/** A world with `keyCount` keys whose alert state was written once, as by the runs before this one in a deployment. */
export async function startSeededWorld(
  bundles: Bundles,
  request: { exchange: string; keyCount: number; latencyMs: number; tls: boolean },
): Promise<WorldProcess> {
  const world = await startWorldProcess(request);
  try {
    world.setLatency(0);
    const seed = await startWorker(
      bundles.worker,
      workerPlan(world.world, request.exchange, request.keyCount),
      lambdaNodeArgs(readFunctionDefaults().memoryMb),
    );
    // A state the first run could not write is written by the second (the seed only has to leave every key stored).
    const first = await seed.run();
    if (first.unhealthy > 0) await seed.run();
    await seed.done();
    world.setLatency(request.latencyMs);
    world.reset();
    return world;
  } catch (error) {
    await world.stop();
    throw error;
  }
}

/** The checking process's plan for the first `keyCount` keys of `world`. */
export function workerPlan(world: World, exchange: string, keyCount: number, concurrency?: number, profileDir?: string): WorkerPlan {
  const simulated = loadSimulatedExchange(exchange);
  return {
    world,
    config: benchConfig(world, exchange, keyCount, concurrency),
    standingCodes: [...(simulated.standingCodes?.(Date.now()) ?? [])].sort(),
    functionTimeoutMs: readFunctionDefaults().timeoutMs,
    ...(profileDir && { profileDir }),
  };
}

/** The key-health config of the first `keyCount` bench keys: each with its secret in Secrets Manager and the simulator as origin. */
export function benchConfig(world: World, exchange: string, keyCount: number, concurrency?: number) {
  const expect = loadSimulatedExchange(exchange).expect;
  return {
    ...(concurrency !== undefined && { concurrency }),
    keys: world.keys.slice(0, keyCount).map((key) => ({
      name: key.name,
      exchange,
      secretId: key.secretId,
      baseUrl: world.exchangeOrigin,
      ...(expect && { expect }),
    })),
  };
}

/** Requests per key by service, from the world's counts after a run of `keys` keys. */
export function perKey(counts: WorldCounts, keys: number) {
  const sum = (byOperation: Record<string, number>) => Object.values(byOperation).reduce((a, b) => a + b, 0);
  const byService = {
    exchange: round2(counts.exchange / keys),
    secretsManager: round2(sum(counts.secretsManager) / keys),
    dynamodb: round2(sum(counts.dynamodb) / keys),
    sns: round2(sum(counts.sns) / keys),
  };
  const total = round2(byService.exchange + byService.secretsManager + byService.dynamodb + byService.sns);
  return { total, byService };
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
