/**
 * The benchmark's transport floor: the same requests as a checker run sends, to the same world, at
 * the same concurrency, over plain node:https keep-alive with nothing else — no signing, no engine, no
 * SDK. Per key the requests keep only the order the data forces: the secret and the alert state can
 * be read at once, the exchange is asked once the secret is known, and a state write (if the run made
 * any) follows. Bundled and run with plain `node` by scripts/bench.ts; its first IPC message is a
 * {@link FloorPlan}; the answer (over IPC) is the wall time of each round: the first is cold (fresh
 * process, no sockets), the rest warm.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { UNSIGNED_AWS_HEADERS } from './bench-aws';
import type { World } from './bench-simulator';

/** One exchange request as the floor sends it (unsigned). */
export interface FloorRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query. */
  readonly path: string;
}

/** What the floor is asked to send. */
export interface FloorPlan {
  readonly world: World;
  /** The first `keys` of the world's keys. */
  readonly keys: number;
  readonly concurrency: number;
  /** Secrets Manager operations per key (X-Amz-Target values). */
  readonly secretsManager: readonly string[];
  /** DynamoDB GetItem calls per key. */
  readonly stateReads: number;
  /** The exchange's requests per key. */
  readonly exchange: readonly FloorRequest[];
  /** DynamoDB writes per key, after the exchange's answers. */
  readonly stateWrites: number;
  /** Exchange requests sent once per run (a server-time read shared by all keys). */
  readonly shared: readonly FloorRequest[];
  readonly rounds: number;
}

/** Messages from the floor process. */
export type FloorMessage = { rounds: { wallMs: number; cpuMs: number; requests: number }[] } | { error: string };

let sent = 0;

async function main(plan: FloorPlan): Promise<void> {
  const ca = [...plan.world.ca];
  const agent = ca.length > 0 ? new HttpsAgent({ keepAlive: true, ca }) : new HttpAgent({ keepAlive: true });
  const keys = plan.world.keys.slice(0, plan.keys);
  const rounds: { wallMs: number; cpuMs: number; requests: number }[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    sent = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    let shared: Promise<unknown> | undefined;
    await mapWithConcurrency(keys, plan.concurrency, async (key) => {
      await Promise.all([
        ...plan.secretsManager.map((target) =>
          post(agent, plan.world.secretsManager, target, 'application/x-amz-json-1.1', { SecretId: key.secretId }),
        ),
        ...Array.from({ length: plan.stateReads }, () =>
          post(agent, plan.world.dynamodb, 'DynamoDB_20120810.GetItem', 'application/x-amz-json-1.0', {
            TableName: plan.world.tableName,
            Key: { key: { S: key.name } },
            ConsistentRead: true,
          }),
        ),
      ]);
      shared ??= Promise.all(plan.shared.map((request) => get(agent, plan.world.exchangeOrigin, request)));
      await Promise.all(plan.exchange.map((request) => get(agent, plan.world.exchangeOrigin, request)));
      for (let i = 0; i < plan.stateWrites; i++)
        await post(agent, plan.world.dynamodb, 'DynamoDB_20120810.UpdateItem', 'application/x-amz-json-1.0', {
          TableName: plan.world.tableName,
          Key: { key: { S: `floor/${key.name}` } },
          UpdateExpression: 'SET #n = :n',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':n': { N: String(round) } },
        });
    });
    await shared;
    const used = process.cpuUsage(cpu);
    rounds.push({ wallMs: round1(performance.now() - started), cpuMs: round1((used.user + used.system) / 1000), requests: sent });
  }
  process.send?.({ rounds } satisfies FloorMessage);
  process.disconnect();
  agent.destroy();
}

function post(agent: HttpAgent, origin: string, target: string, contentType: string, input: unknown): Promise<void> {
  return send(
    agent,
    `${origin}/`,
    'POST',
    { 'content-type': contentType, 'x-amz-target': target, ...UNSIGNED_AWS_HEADERS },
    JSON.stringify(input),
  );
}

function get(agent: HttpAgent, origin: string, request: FloorRequest): Promise<void> {
  return send(
    agent,
    `${origin}${request.path}`,
    request.method,
    { accept: 'application/json' },
    request.method === 'POST' ? '' : undefined,
  );
}

/** One request, its answer read to the end (whatever its status: unsigned requests are refused, after the same latency). */
function send(agent: HttpAgent, url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<void> {
  sent += 1;
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function mapWithConcurrency<T>(items: readonly T[], limit: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await worker(items[next++] as T);
  });
  await Promise.all(lanes);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

if (!process.send) throw new Error('bench-floor is started by scripts/bench.ts with an IPC channel');
process.once('message', (plan: FloorPlan) => {
  main(plan).catch((error: unknown) => {
    process.send?.({ error: (error as Error).message } satisfies FloorMessage);
    process.exitCode = 1;
  });
});
