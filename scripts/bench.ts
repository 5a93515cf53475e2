/**
 * `npm run bench`: the whole scheduled run, measured the way a skeptic would. A world process serves
 * the exchange's simulator and local Secrets Manager, DynamoDB and SNS endpoints, all over HTTPS
 * with certificates made at start and the same added latency. The checking process is the handler
 * (`createHandler`, real AWS SDK clients, real transport) bundled as deployed and run with plain
 * `node`: its first invocation is cold (fresh process, empty caches, no sockets), the next are warm.
 * Next to it, in the same run: the transport floor (the same requests, unsigned, over bare
 * node:https), a minimal ccxt checker (import time, process start to first report, CPU per key),
 * and the peak memory of the checking process for 100 and 1,000 keys.
 *
 * `npm run bench -- --json` prints one JSON object. Options: `--exchange ID` (any supported
 * exchange), `--latency MS` (100), `--runs N` (fresh processes per figure, 3), `--no-tls`,
 * `--profile DIR` (a CPU profile of each invocation of one 100-key checking process), `--ratio-only`
 * (100 keys and the floor only), `--capacity` (scripts/capacity.ts). KEY_HEALTH_BENCH_DEBUG=1 shows
 * the checking process's warnings and errors.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY } from '../lambda/config';
import { ADAPTERS, findAdapter, isExchangeId } from '../lambda/exchanges/registry';
import type { FloorPlan, FloorRequest } from './bench-floor';
import { killChildren, runBundle, runFloor, startWorker, type WorldProcess } from './bench-processes';
import {
  type Bundles,
  benchConfig,
  buildBundles,
  IDLE_MS,
  lambdaNodeArgs,
  perKey,
  readFunctionDefaults,
  round2,
  startSeededWorld,
  workerPlan,
} from './bench-setup';
import type { World, WorldCounts } from './bench-simulator';
import type { WorkerRun } from './bench-worker';
import { bundleEntry, coldImportMs } from './bundle-size';
import { runCapacity } from './capacity';

/** Key counts of the wall-time table. */
const KEY_COUNTS = [1, 10, 100] as const;
/** Warm invocations after the cold one, per checking process. */
const WARM_RUNS = 3;
/** The exchange of the ccxt checker (scripts/ccxt-checker.ts). */
const CCXT_EXCHANGE = 'coinbase-advanced';

/** The goals, as `npm run bench` judges them. */
export const GOALS = {
  /** Our warm 100-key wall time over the floor's. */
  ratioToFloor: 1.25,
  /** ccxt's cold import over ours. */
  coldImportRatio: 5,
  /** ccxt's process start to first report over ours. */
  firstReportRatio: 4,
  /** Peak RSS for 1,000 keys as a share of the function's memory: a quarter left for the runtime and growth. */
  memoryShare: 0.75,
} as const;

/** A measured figure over several samples. */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

interface Options {
  readonly json: boolean;
  readonly exchange: string;
  readonly latencyMs: number;
  readonly runs: number;
  readonly tls: boolean;
  readonly profileDir: string | undefined;
  /** Only the 100-key runs and the floor (to compare exchanges quickly). */
  readonly ratioOnly: boolean;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--capacity')) {
    // The capacity run has its own options (--keys, --concurrency…); it is the same machinery with 1,000 keys.
    await runCapacity(args.filter((arg) => arg !== '--capacity'));
    return;
  }
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      latency: { type: 'string', default: '100' },
      exchange: { type: 'string', default: CCXT_EXCHANGE },
      runs: { type: 'string', default: '3' },
      'no-tls': { type: 'boolean', default: false },
      profile: { type: 'string' },
      'ratio-only': { type: 'boolean', default: false },
    },
  });
  const options: Options = {
    json: values.json,
    exchange: values.exchange,
    latencyMs: Number(values.latency),
    runs: Number(values.runs),
    tls: !values['no-tls'],
    profileDir: values.profile,
    ratioOnly: values['ratio-only'],
  };
  if (!Number.isFinite(options.latencyMs) || options.latencyMs < 0)
    throw new Error(`--latency must be a number of ms, got ${values.latency}`);
  if (!isExchangeId(options.exchange)) throw new Error(`--exchange must be one of ${Object.keys(ADAPTERS).join(', ')}`);
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error(`--runs must be a whole number, got ${values.runs}`);

  const bundles = await buildBundles();
  try {
    const result = await runBench(options, bundles);
    if ('floorOnly' in result) process.stdout.write(options.json ? `${JSON.stringify(result.figures)}\n` : formatRatio(result.figures));
    else process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : formatResult(result, options));
  } finally {
    rmSync(bundles.dir, { recursive: true, force: true });
  }
}

/** One size's figures over fresh processes: cold (first invocation) and warm (the later ones). */
interface SizeFigures {
  readonly cold: Spread;
  readonly warm: Spread;
  /** Warm process, but every connection closed by the servers first (the next scheduled run). */
  readonly idle: Spread;
  readonly startupMs: Spread;
  readonly warmCpuMsPerKey: number;
  readonly maxRssMb: Spread;
  readonly warmCounts: WorldCounts;
  readonly coldCounts: WorldCounts;
}

/**
 * Runs `runs` fresh checking processes of `keyCount` keys: one cold, {@link WARM_RUNS} warm and one
 * after idle invocation each; `between` runs after each process (the floor, taken in turn with it, so
 * that a change in the machine's load falls on both).
 */
export async function measureSize(
  bundles: Bundles,
  world: WorldProcess,
  exchange: string,
  keyCount: number,
  runs: number,
  options: { concurrency?: number; warmRuns?: number; profileDir?: string; between?: (warmCounts: WorldCounts) => Promise<void> } = {},
): Promise<SizeFigures> {
  const cold: number[] = [];
  const warm: WorkerRun[] = [];
  const idle: number[] = [];
  const startup: number[] = [];
  const rss: number[] = [];
  let warmCounts: WorldCounts | undefined;
  let coldCounts: WorldCounts | undefined;
  for (let r = 0; r < runs; r++) {
    const profileDir = r === 0 ? options.profileDir : undefined;
    const worker = await startWorker(
      bundles.worker,
      workerPlan(world.world, exchange, keyCount, options.concurrency, profileDir),
      lambdaNodeArgs(readFunctionDefaults().memoryMb),
    );
    startup.push(worker.startupMs);
    world.reset();
    cold.push((await worker.run()).wallMs);
    coldCounts ??= await world.counts();
    for (let w = 0; w < (options.warmRuns ?? WARM_RUNS); w++) {
      world.reset();
      warm.push(await worker.run());
      warmCounts ??= await world.counts();
    }
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    world.reset();
    idle.push((await worker.run()).wallMs);
    rss.push((await worker.done()).maxRssMb);
    if (warmCounts) await options.between?.(warmCounts);
  }
  if (!warmCounts || !coldCounts) throw new Error('no run was counted');
  return {
    cold: spread(cold),
    warm: spread(warm.map((w) => w.wallMs)),
    idle: spread(idle),
    startupMs: spread(startup),
    warmCpuMsPerKey: round2(median(warm.map((w) => w.cpuMs)) / keyCount),
    maxRssMb: spread(rss),
    warmCounts,
    coldCounts,
  };
}

/** The floor's plan: the requests a checker run of `keyCount` keys sent (`counts`), unsigned, same concurrency. */
export function floorPlan(
  world: World,
  exchange: string,
  keyCount: number,
  counts: WorldCounts,
  concurrency: number,
  rounds: number,
): FloorPlan {
  if (!isExchangeId(exchange)) throw new Error(`no adapter ${exchange}`);
  const adapter = findAdapter(exchange);
  const requestOf = (request: { method: 'GET' | 'POST'; path: string; query?: string }): FloorRequest => ({
    method: request.method,
    path: `${request.path}${request.query ? `?${request.query}` : ''}`,
  });
  const exchangeRequests = adapter.probes({ futures: true, sandbox: false }).map((probe) => requestOf(probe.request));
  const sent = counts.exchange;
  const shared = adapter.time ? [requestOf(adapter.time.request)] : [];
  // The floor must send what the checker sent; a confirmation or retry would show here as a mismatch.
  if (sent !== exchangeRequests.length * keyCount + shared.length)
    throw new Error(
      `the checker sent ${sent} exchange requests for ${keyCount} keys; the floor would send ${exchangeRequests.length * keyCount + shared.length}`,
    );
  const perKeyOf = (byOperation: Record<string, number>, operation: string) => Math.round((byOperation[operation] ?? 0) / keyCount);
  const secretsManager = Object.entries(counts.secretsManager).flatMap(([operation, n]) =>
    Array.from({ length: Math.round(n / keyCount) }, () => operation),
  );
  const stateWrites = Object.entries(counts.dynamodb)
    .filter(([operation]) => operation !== 'GetItem')
    .reduce((total, [, n]) => total + Math.round(n / keyCount), 0);
  return {
    world,
    keys: keyCount,
    concurrency,
    secretsManager,
    stateReads: perKeyOf(counts.dynamodb, 'GetItem'),
    exchange: exchangeRequests,
    stateWrites,
    shared,
    rounds,
  };
}

async function runBench(options: Options, bundles: Bundles) {
  const { exchange, latencyMs, runs, tls } = options;
  const defaults = readFunctionDefaults();
  const world = await startSeededWorld(bundles, { exchange, keyCount: options.ratioOnly ? 100 : 1000, latencyMs, tls });
  const sizes: Record<string, SizeFigures> = {};
  let floorRounds: { wallMs: number; cpuMs: number; requests: number }[] = [];
  let thousand: SizeFigures;
  try {
    const floor = async (warmCounts: WorldCounts) => {
      // The first round opens the floor's connections; the warm rounds are compared with our warm runs.
      const rounds = await runFloor(bundles.floor, floorPlan(world.world, exchange, 100, warmCounts, DEFAULT_CONCURRENCY, 1 + WARM_RUNS));
      floorRounds = floorRounds.concat(rounds.slice(1));
    };
    for (const count of options.ratioOnly ? [100] : KEY_COUNTS)
      sizes[String(count)] = await measureSize(bundles, world, exchange, count, runs, {
        ...(count === 100 && options.profileDir && { profileDir: options.profileDir }),
        ...(count === 100 && { between: floor }),
      });
    if (options.ratioOnly) return ratioResult(options, sizes['100'] as SizeFigures, floorRounds);
    thousand = await measureSize(bundles, world, exchange, 1000, 1, { warmRuns: 1 });
  } finally {
    await world.stop();
  }
  const ccxt = await compareWithCcxt(options, bundles);
  const hundred = sizes['100'] as SizeFigures;
  const floorWarm = spread(floorRounds.map((r) => r.wallMs));
  const requests = perKey(hundred.warmCounts, 100);
  const requestsCold = perKey(hundred.coldCounts, 100);
  const wallMs = Object.fromEntries(KEY_COUNTS.map((n) => [String(n), (sizes[String(n)] as SizeFigures).warm.median]));
  const wallMsCold = Object.fromEntries(KEY_COUNTS.map((n) => [String(n), (sizes[String(n)] as SizeFigures).cold.median]));
  const ratioToFloor = round2(hundred.warm.median / floorWarm.median);
  const peakRssMb1000 = thousand.maxRssMb.max;
  return {
    exchange,
    tls,
    latencyMs,
    runs,
    wallMs,
    wallMsCold,
    wallMsAfterIdle: Object.fromEntries(KEY_COUNTS.map((n) => [String(n), (sizes[String(n)] as SizeFigures).idle.median])),
    wallMsSpread: Object.fromEntries(
      KEY_COUNTS.map((n) => [String(n), { cold: sizes[String(n)]?.cold, warm: sizes[String(n)]?.warm, afterIdle: sizes[String(n)]?.idle }]),
    ),
    ratio100to1: round2((wallMs['100'] ?? 0) / (wallMs['1'] ?? 1)),
    requestsPerKey: requests.total,
    requestsPerKeyByService: requests.byService,
    requestsPerKeyCold: requestsCold.total,
    requestsPerKeyByServiceCold: requestsCold.byService,
    floorWallMs: floorWarm,
    floorCpuMsPerKey: round2(median(floorRounds.map((r) => r.cpuMs)) / 100),
    ratioToFloor,
    cpuMsPerKey: hundred.warmCpuMsPerKey,
    peakRssMb: hundred.maxRssMb.max,
    peakRssMb1000,
    wallMs1000: { cold: thousand.cold.median, warm: thousand.warm.median },
    functionMemoryMb: defaults.memoryMb,
    startupMs: hundred.startupMs,
    ...ccxt,
    goals: {
      ratioToFloor: { goal: `<= ${GOALS.ratioToFloor}`, value: ratioToFloor, met: ratioToFloor <= GOALS.ratioToFloor },
      coldImportRatio: {
        goal: `>= ${GOALS.coldImportRatio}`,
        value: ccxt.coldImportRatio,
        met: ccxt.coldImportRatio >= GOALS.coldImportRatio,
      },
      firstReportRatio: {
        goal: `>= ${GOALS.firstReportRatio}`,
        value: ccxt.firstReportRatio,
        met: ccxt.firstReportRatio >= GOALS.firstReportRatio,
      },
      peakRssMb1000: {
        goal: `<= ${GOALS.memoryShare * defaults.memoryMb}`,
        value: peakRssMb1000,
        met: peakRssMb1000 <= GOALS.memoryShare * defaults.memoryMb,
      },
    },
  };
}

/**
 * key-health next to a minimal ccxt checker: bundle size and cold import (also of the exchange halves
 * alone), process start to the first report of one key, and CPU per key over 100 keys, each the
 * same harness for both, on a world of its own with the ccxt checker's exchange (Coinbase Advanced).
 */
async function compareWithCcxt(options: Options, bundles: Bundles) {
  const theirs = await bundleEntry(join(__dirname, 'ccxt-checker.ts'), join(bundles.dir, 'ccxt.js'), {
    // ccxt requires protobufjs only for mexc and dydx, which this checker never loads; left external.
    external: ['@aws-sdk/*', 'protobufjs', 'protobufjs/*'],
  });
  const engine = await bundleEntry(join(__dirname, 'engine-entry.ts'), join(bundles.dir, 'engine.js'));
  const ccxtEngine = await bundleEntry(join(__dirname, 'ccxt-engine.ts'), join(bundles.dir, 'ccxt-engine.js'), {
    external: ['protobufjs', 'protobufjs/*'],
  });
  const importRuns = Math.max(5, options.runs * 2 + 1);
  const coldMs = coldImportMs(bundles.checker.file, { runs: importRuns, env: BENCH_QUIET });
  const ccxtColdMs = coldImportMs(theirs.file, { runs: importRuns, env: BENCH_QUIET });
  const engineColdMs = coldImportMs(engine.file, { runs: importRuns });
  const ccxtEngineColdMs = coldImportMs(ccxtEngine.file, { runs: importRuns });
  const world = await startSeededWorld(bundles, { exchange: CCXT_EXCHANGE, keyCount: 100, latencyMs: options.latencyMs, tls: options.tls });
  const ours: number[] = [];
  const ccxt: number[] = [];
  let cpu: { ours: number; ccxt: number };
  try {
    const w = world.world;
    const caFile = join(bundles.dir, 'ca.pem');
    writeFileSync(caFile, w.ca.join('\n'));
    const aws = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: w.secretsManager,
      AWS_ENDPOINT_URL_DYNAMODB: w.dynamodb,
      AWS_ENDPOINT_URL_SNS: w.sns,
      ...(w.ca.length > 0 && { NODE_EXTRA_CA_CERTS: caFile }),
    };
    const oursEnv = (keys: number) => ({
      ...aws,
      KEY_HEALTH_CONFIG: JSON.stringify(benchConfig(w, CCXT_EXCHANGE, keys)),
      ALERT_TOPIC_ARN: w.topicArn,
      STATE_TABLE_NAME: w.tableName,
    });
    const ccxtEnv = { ...aws, KEY_HEALTH_BENCH_COINBASE_ORIGIN: w.exchangeOrigin };
    const ccxtEvent = (i: number) => ({ secretId: w.keys[i]?.secretId, topicArn: w.topicArn, table: w.tableName });
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' };
    // Both run as the function would, with the heap flags Lambda gives its memory.
    const heap = lambdaNodeArgs(readFunctionDefaults().memoryMb);
    // Taken in turn, so that a change in the machine's load falls on both.
    for (let r = 0; r < importRuns; r++) {
      ours.push((await runBundle(bundles.runner, bundles.checker.file, [scheduled], oursEnv(1), 1, heap)).spawnToReportMs);
      ccxt.push((await runBundle(bundles.runner, theirs.file, [ccxtEvent(0)], ccxtEnv, 1, heap)).spawnToReportMs);
    }
    // CPU per key: the second of two batches of 100 keys in one process (the first warms it up).
    const ourCpu = await runBundle(bundles.runner, bundles.checker.file, [scheduled], oursEnv(100), 2, heap);
    const theirCpu = await runBundle(
      bundles.runner,
      theirs.file,
      w.keys.slice(0, 100).map((_, i) => ccxtEvent(i)),
      ccxtEnv,
      2,
      heap,
    );
    cpu = { ours: round2(ourCpu.cpuMs / 100), ccxt: round2(theirCpu.cpuMs / 100) };
  } finally {
    await world.stop();
  }
  const firstReport = spread(ours);
  const ccxtFirstReport = spread(ccxt);
  return {
    bundleKb: bundles.checker.kb,
    coldImportMs: coldMs,
    ccxtBundleKb: theirs.kb,
    ccxtColdImportMs: ccxtColdMs,
    bundleRatio: round2(theirs.kb / bundles.checker.kb),
    coldImportRatio: round2(ccxtColdMs / coldMs),
    engineBundleKb: engine.kb,
    engineColdImportMs: engineColdMs,
    ccxtEngineBundleKb: ccxtEngine.kb,
    ccxtEngineColdImportMs: ccxtEngineColdMs,
    firstReportMs: firstReport,
    ccxtFirstReportMs: ccxtFirstReport,
    firstReportRatio: round2(ccxtFirstReport.median / firstReport.median),
    firstReportRuns: importRuns,
    cpuMsPerKeyOneProcess: cpu.ours,
    ccxtCpuMsPerKey: cpu.ccxt,
  };
}

/** The AWS SDK's Node-version notice is printed on Node 20 only; the Lambda runs 24. */
const BENCH_QUIET = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

type BenchResult = Exclude<Awaited<ReturnType<typeof runBench>>, { floorOnly: true }>;

/** The figures of `--ratio-only`: 100 keys and the floor. */
function ratioResult(options: Options, hundred: SizeFigures, floorRounds: readonly { wallMs: number; cpuMs: number }[]) {
  const floorWarm = spread(floorRounds.map((r) => r.wallMs));
  const requests = perKey(hundred.warmCounts, 100);
  const ratioToFloor = round2(hundred.warm.median / floorWarm.median);
  return {
    floorOnly: true as const,
    figures: {
      exchange: options.exchange,
      tls: options.tls,
      latencyMs: options.latencyMs,
      runs: options.runs,
      wallMs100: { cold: hundred.cold, warm: hundred.warm, afterIdle: hundred.idle },
      floorWallMs: floorWarm,
      ratioToFloor,
      cpuMsPerKey: hundred.warmCpuMsPerKey,
      floorCpuMsPerKey: round2(median(floorRounds.map((r) => r.cpuMs)) / 100),
      requestsPerKey: requests.total,
      requestsPerKeyByService: requests.byService,
      goal: { goal: `<= ${GOALS.ratioToFloor}`, met: ratioToFloor <= GOALS.ratioToFloor },
    },
  };
}

function formatRatio(r: ReturnType<typeof ratioResult>['figures']): string {
  const s = (x: Spread) => `${x.median} ms (${x.min}–${x.max})`;
  return [
    `${r.exchange}, 100 keys, ${r.tls ? 'HTTPS' : 'plain HTTP'}, ${r.latencyMs} ms: cold ${s(r.wallMs100.cold)}, warm ${s(r.wallMs100.warm)}, warm after idle ${s(r.wallMs100.afterIdle)}`,
    `  floor ${s(r.floorWallMs)}; 100 keys / floor: ${r.ratioToFloor}x (goal ${r.goal.goal}): ${r.goal.met ? 'met' : 'MISSED'}`,
    `  CPU per key ${r.cpuMsPerKey} ms (floor ${r.floorCpuMsPerKey} ms); requests per key ${r.requestsPerKey} = exchange ${r.requestsPerKeyByService.exchange} + Secrets Manager ${r.requestsPerKeyByService.secretsManager} + DynamoDB ${r.requestsPerKeyByService.dynamodb} + SNS ${r.requestsPerKeyByService.sns}`,
    '',
  ].join('\n');
}

function formatResult(r: BenchResult, options: Options): string {
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  const s = (x: Spread) => `${x.median} ms (${x.min}–${x.max})`;
  const lines = [
    `key-health benchmark: ${r.exchange}, ${r.tls ? 'HTTPS' : 'plain HTTP'}, ${r.latencyMs} ms added to every answer (exchange, Secrets Manager, DynamoDB, SNS)`,
    `whole run: createHandler with the real AWS SDK clients and transport, bundled as deployed, in its own process; median (min–max) of ${options.runs} fresh processes`,
    ...KEY_COUNTS.map((n) => {
      const size = r.wallMsSpread[String(n)];
      return `  ${String(n).padStart(4)} key(s): cold ${size?.cold ? s(size.cold) : '?'}, warm ${size?.warm ? s(size.warm) : '?'}, warm after idle ${size?.afterIdle ? s(size.afterIdle) : '?'}`;
    }),
    `  1000 keys: cold ${r.wallMs1000.cold} ms, warm ${r.wallMs1000.warm} ms`,
    `  (warm after idle: the same process after a ${IDLE_MS / 1000} s pause in which the servers closed every connection, as by the next scheduled run)`,
    `  requests per key (warm 100): ${r.requestsPerKey} = exchange ${r.requestsPerKeyByService.exchange} + Secrets Manager ${r.requestsPerKeyByService.secretsManager} + DynamoDB ${r.requestsPerKeyByService.dynamodb} + SNS ${r.requestsPerKeyByService.sns}`,
    `  CPU per key (warm 100): ${r.cpuMsPerKey} ms; process start to handler ready: ${s(r.startupMs)}`,
    `transport floor (the same requests unsigned over bare node:https, same concurrency, warm): ${s(r.floorWallMs)}, CPU per key ${r.floorCpuMsPerKey} ms`,
    `  100 keys / floor: ${r.ratioToFloor}x (goal <= ${GOALS.ratioToFloor}): ${verdict(r.goals.ratioToFloor.met)}`,
    `memory (peak RSS of the checking process; the function has ${r.functionMemoryMb} MB):`,
    `  100 keys: ${r.peakRssMb} MB; 1,000 keys: ${r.peakRssMb1000} MB (goal <= ${r.goals.peakRssMb1000.goal.slice(3)} MB): ${verdict(r.goals.peakRssMb1000.met)}`,
    `ccxt checker (${CCXT_EXCHANGE}), bundled the same way, same world:`,
    `  bundle: ${r.bundleKb} KB vs ${r.ccxtBundleKb} KB (${r.bundleRatio}x smaller)`,
    `  cold import: ${r.coldImportMs} ms vs ${r.ccxtColdImportMs} ms (${r.coldImportRatio}x faster; goal >= ${GOALS.coldImportRatio}): ${verdict(r.goals.coldImportRatio.met)}`,
    `    the exchange half alone (no AWS SDK): ${r.engineBundleKb} KB, ${r.engineColdImportMs} ms vs ccxt ${r.ccxtEngineBundleKb} KB, ${r.ccxtEngineColdImportMs} ms`,
    `  process start to first report (one key): ${s(r.firstReportMs)} vs ${s(r.ccxtFirstReportMs)} (${r.firstReportRatio}x faster; goal >= ${GOALS.firstReportRatio}): ${verdict(r.goals.firstReportRatio.met)}`,
    `  CPU per key (100 keys in one warm process): ${r.cpuMsPerKeyOneProcess} ms vs ${r.ccxtCpuMsPerKey} ms`,
    '',
  ];
  return lines.join('\n');
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? Number.NaN, median: median(sorted), max: sorted[sorted.length - 1] ?? Number.NaN };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : round1(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`bench failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
    killChildren();
  });
}
