/**
 * `npm run bench -- --capacity`: the capacity of one scheduled function. Runs `--keys` keys (1,000)
 * through the handler against the world of scripts/bench-simulator.ts (the exchange and the local AWS
 * endpoints, all with `--latency` ms), in a fresh checking process: cold, warm, and warm after the
 * servers closed every connection. It prints wall time, CPU, peak memory and requests per key, then
 * how many keys fit in one run's deadline (the function's timeout minus the handler's safety margin)
 * on this machine and, CPU scaled, on the function's share of a vCPU; and the exchanges' own limits
 * that bound a run. Options: `--exchange ID`, `--keys N`, `--latency MS`, `--concurrency N`, `--json`, `--no-tls`.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ADAPTERS, isExchangeId } from '../lambda/exchanges/registry';
import { SAFETY_MARGIN_MS } from '../lambda/invocation';
import { startWorker } from './bench-processes';
import { buildBundles, IDLE_MS, lambdaNodeArgs, perKey, readFunctionDefaults, startSeededWorld, workerPlan } from './bench-setup';

/** Lambda gives a function one vCPU at 1,769 MB and CPU in proportion to memory below that (docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). */
export const MB_PER_VCPU = 1769;

/** A limit an exchange or AWS sets that bounds how many keys one run may check, with its source. */
export interface RunBound {
  readonly exchange: string;
  /** What is limited and per what (key, account, IP). */
  readonly limit: string;
  /** What it means for one scheduled run of key-health. */
  readonly forARun: string;
  readonly source: string;
}

/**
 * The limits that bound a run, per exchange. Per-key and per-account limits never bind (a key is read
 * two or three times per run); what binds is what counts every key from the function's one IP.
 */
export const RUN_BOUNDS: readonly RunBound[] = [
  {
    exchange: 'binance-usdm',
    limit: 'request weight 2,400 per minute per IP on fapi; GET /fapi/v3/balance weighs 5',
    forARun:
      'about 470 keys per minute from one IP (5 weight each, plus the shared time read); past it 429, then 418 IP bans of 2 minutes to 3 days',
    source: 'developers.binance.com/docs/derivatives/usds-margined-futures/general-info (limits; the weight is on each endpoint page)',
  },
  {
    exchange: 'bybit',
    limit: '600 HTTP requests per 5 s per IP',
    forARun:
      'two requests per key: at most 300 keys per 5 s from one IP, past which the IP is banned for at least 10 minutes (403 "access too frequent")',
    source: 'bybit-exchange.github.io/docs/v5/rate-limit',
  },
  {
    exchange: 'deribit',
    limit: '32 simultaneous connections per IP (each HTTP request holds one while it runs); credits per sub-account',
    forARun: 'more than 32 Deribit requests in flight from one IP are refused with 429; a key takes two',
    source: 'docs.deribit.com/articles/connection-management-best-practices; docs.deribit.com/articles/rate-limits',
  },
  {
    exchange: 'gate',
    limit: '200 requests per 10 s per endpoint, per UID for private endpoints and per IP for public ones',
    forARun: 'per account: 200 keys of one Gate account per 10 s; the public time read is once per run',
    source: 'gate.com/docs/developers/apiv4 (frequency limit rule)',
  },
  {
    exchange: 'okx',
    limit: 'per User ID: GET /api/v5/account/balance 10 per 2 s, GET /api/v5/account/config 5 per 2 s',
    forARun: 'keys of one OKX account share these, and a run cannot tell which keys share one',
    source: 'okx.com/docs-v5/en/#overview-rate-limit and the two endpoints’ pages',
  },
  {
    exchange: 'coinbase-advanced',
    limit: 'private endpoints 30 requests per second per user; public 10 per second per IP',
    forARun: 'keys of one Coinbase user share 30/s (15 keys a second); the public time read is once per run',
    source: 'docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/rest-api-rate-limits',
  },
  {
    exchange: 'coinbase-exchange',
    limit: 'private endpoints 15 per second per profile (bursts to 30); public 10 per second per IP',
    forARun: 'keys of one profile share 15/s; not a bound across profiles',
    source: 'docs.cdp.coinbase.com/exchange/rest-api/rate-limits',
  },
  {
    exchange: 'coinbase-international',
    limit: '40 REST requests per second per API key',
    forARun: 'one request per key per run: never binds',
    source: 'docs.cdp.coinbase.com/international-exchange/introduction/rate-limits-overview',
  },
  {
    exchange: 'bitstamp',
    limit: '400 requests per second, 10,000 per 10 minutes by default',
    forARun: 'two requests per key: at a five-minute schedule, about 2,500 keys per 10 minutes',
    source: 'bitstamp.net/api (request limits)',
  },
  {
    exchange: 'kraken-futures',
    limit: '/derivatives cost budget 500 per 10 s; accounts costs 2',
    forARun: 'one read per key: 250 keys of one client per 10 s',
    source: 'docs.kraken.com/api/docs/guides/futures-rate-limits',
  },
  {
    exchange: 'AWS',
    limit: 'Secrets Manager GetSecretValue 10,000/s and DescribeSecret 40,000/s per account and region; Lambda 1,024 file descriptors',
    forARun:
      'Secrets Manager never binds; each connection is a descriptor, so the sockets of one run (up to two per key in flight) cap the concurrency well below 1,000',
    source:
      'docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html; aws.amazon.com/about-aws/whats-new/2025/03/aws-secrets-manager-increases-api-requests-seconds; docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  },
];

/** Runs the capacity measurement with the command line `args` and prints it. */
export async function runCapacity(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      json: { type: 'boolean', default: false },
      exchange: { type: 'string', default: 'coinbase-advanced' },
      keys: { type: 'string', default: '1000' },
      latency: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '100' },
      'no-tls': { type: 'boolean', default: false },
    },
  });
  const keyCount = Number(values.keys);
  const latencyMs = Number(values.latency);
  const concurrency = Number(values.concurrency);
  if (!isExchangeId(values.exchange)) throw new Error(`--exchange: unknown exchange ${values.exchange}`);
  if (!Number.isInteger(keyCount) || keyCount < 1) throw new Error(`--keys must be a whole number, got ${values.keys}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) throw new Error('--concurrency must be 1 to 1000');
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`--latency must be a number of ms, got ${values.latency}`);
  const bundles = await buildBundles();
  const defaults = readFunctionDefaults();
  const world = await startSeededWorld(bundles, { exchange: values.exchange, keyCount, latencyMs, tls: !values['no-tls'] });
  let result: ReturnType<typeof summarize>;
  try {
    // A tenth of the keys first, in a process of its own: the difference in peak memory is what each key adds.
    const fewerKeys = Math.max(1, Math.round(keyCount / 10));
    const fewer = await startWorker(
      bundles.worker,
      workerPlan(world.world, values.exchange, fewerKeys, concurrency),
      lambdaNodeArgs(defaults.memoryMb),
    );
    await fewer.run();
    await fewer.run();
    const fewerMemory = await fewer.done();
    const worker = await startWorker(
      bundles.worker,
      workerPlan(world.world, values.exchange, keyCount, concurrency),
      lambdaNodeArgs(defaults.memoryMb),
    );
    world.reset();
    const cold = await worker.run();
    const coldCounts = await world.counts();
    world.reset();
    const warm = await worker.run();
    const warmCounts = await world.counts();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = await worker.run();
    const memory = await worker.done();
    result = summarize({
      exchange: values.exchange,
      keyCount,
      latencyMs,
      concurrency,
      cold,
      warm,
      idle,
      memory,
      fewer: { keys: fewerKeys, maxRssMb: fewerMemory.maxRssMb },
      requests: perKey(warmCounts, keyCount),
      requestsCold: perKey(coldCounts, keyCount),
      defaults,
    });
  } finally {
    await world.stop();
    rmSync(bundles.dir, { recursive: true, force: true });
  }
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatCapacity(result));
}

interface Measured {
  exchange: string;
  keyCount: number;
  latencyMs: number;
  concurrency: number;
  cold: { wallMs: number; cpuMs: number };
  warm: { wallMs: number; cpuMs: number };
  idle: { wallMs: number; cpuMs: number };
  memory: { maxRssMb: number };
  /** The same run with fewer keys, for the memory each key adds. */
  fewer: { keys: number; maxRssMb: number };
  requests: ReturnType<typeof perKey>;
  requestsCold: ReturnType<typeof perKey>;
  defaults: { memoryMb: number; timeoutMs: number };
}

/** The figures of a capacity run and the keys per run they imply. */
export function summarize(m: Measured) {
  const deadlineMs = m.defaults.timeoutMs - SAFETY_MARGIN_MS;
  const vcpuShare = m.defaults.memoryMb / MB_PER_VCPU;
  // The slower of the two warm runs: the next scheduled run finds the connections closed.
  const worst = m.idle.wallMs > m.warm.wallMs ? m.idle : m.warm;
  const keysHere = Math.floor((deadlineMs / worst.wallMs) * m.keyCount);
  // On the function, CPU is the bound once it takes longer than the network: CPU time scaled by the vCPU share.
  const cpuMsPerKeyOnFunction = worst.cpuMs / m.keyCount / vcpuShare;
  const wallMsPerKeyOnFunction = Math.max(worst.wallMs / m.keyCount, cpuMsPerKeyOnFunction);
  const mbPerKey = m.keyCount > m.fewer.keys ? Math.max(0, (m.memory.maxRssMb - m.fewer.maxRssMb) / (m.keyCount - m.fewer.keys)) : 0;
  // Where the peak would reach the function's memory if it kept growing as between the two runs.
  const keysByMemory = mbPerKey > 0 ? Math.floor(m.keyCount + (m.defaults.memoryMb - m.memory.maxRssMb) / mbPerKey) : null;
  return {
    exchange: m.exchange,
    keys: m.keyCount,
    latencyMs: m.latencyMs,
    concurrency: m.concurrency,
    wallMs: { cold: m.cold.wallMs, warm: m.warm.wallMs, afterIdle: m.idle.wallMs },
    cpuMs: { cold: m.cold.cpuMs, warm: m.warm.cpuMs, afterIdle: m.idle.cpuMs },
    cpuMsPerKey: round2(worst.cpuMs / m.keyCount),
    peakRssMb: m.memory.maxRssMb,
    peakRssMbFewer: { keys: m.fewer.keys, mb: m.fewer.maxRssMb },
    kbPerKey: Math.round(mbPerKey * 1024),
    keysByMemory,
    functionMemoryMb: m.defaults.memoryMb,
    requestsPerKey: m.requests.total,
    requestsPerKeyByService: m.requests.byService,
    requestsPerKeyCold: m.requestsCold.total,
    deadlineMs,
    keysPerRunHere: keysHere,
    functionVcpuShare: round2(vcpuShare),
    keysPerRunOnFunction: Math.floor(deadlineMs / wallMsPerKeyOnFunction),
    runMsOnFunction: Math.round(wallMsPerKeyOnFunction * m.keyCount),
    bounds: RUN_BOUNDS,
  };
}

function formatCapacity(r: ReturnType<typeof summarize>): string {
  return [
    `capacity of one scheduled run: ${r.keys} ${r.exchange} keys through the handler, ${r.latencyMs} ms added to every answer (exchange and AWS), concurrency ${r.concurrency}`,
    `  wall: cold ${r.wallMs.cold} ms, warm ${r.wallMs.warm} ms, warm after idle ${r.wallMs.afterIdle} ms`,
    `  CPU: cold ${r.cpuMs.cold} ms, warm ${r.cpuMs.warm} ms (${r.cpuMsPerKey} ms per key)`,
    `  peak RSS: ${r.peakRssMb} MB of the function's ${r.functionMemoryMb} MB (${r.peakRssMbFewer.mb} MB for ${r.peakRssMbFewer.keys} keys: ${r.kbPerKey} KB more per key)`,
    `  requests per key (warm): ${r.requestsPerKey} = exchange ${r.requestsPerKeyByService.exchange} + Secrets Manager ${r.requestsPerKeyByService.secretsManager} + DynamoDB ${r.requestsPerKeyByService.dynamodb} + SNS ${r.requestsPerKeyByService.sns} (cold: ${r.requestsPerKeyCold})`,
    `keys per run within the ${r.deadlineMs / 1000} s deadline (timeout minus the handler's margin), linear in the measured run:`,
    `  on this machine: ${r.keysPerRunHere}`,
    `  on the function (${r.functionMemoryMb} MB = ${r.functionVcpuShare} vCPU, CPU scaled, assuming this machine's core is one vCPU): ${r.keysPerRunOnFunction} (this run of ${r.keys} keys: about ${Math.round(r.runMsOnFunction / 1000)} s)`,
    `  memory: the peak would reach ${r.functionMemoryMb} MB at about ${r.keysByMemory ?? 'no measurable growth in'} keys`,
    `limits of the exchanges and AWS that bound a run (per key they never do: a key is read two or three times per run):`,
    ...r.bounds.map((b) => `  ${b.exchange}: ${b.limit}. For a run: ${b.forARun}.${paceOf(b.exchange)} [${b.source}]`),
    '',
  ].join('\n');
}

/** The adapter's own pace for `exchange`, as the engine keeps it, or nothing. */
function paceOf(exchange: string): string {
  const pace = isExchangeId(exchange) ? ADAPTERS[exchange]?.pace : undefined;
  return pace ? ` Pace: ${pace.why}` : '';
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
