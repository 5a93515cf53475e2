/**
 * The checking process of the benchmark, bundled like the Lambda (esbuild, AWS SDK external) and run
 * with plain `node` by scripts/bench.ts: the handler built by `createHandler` with the real AWS SDK
 * clients pointed at the world's local endpoints (trusting only the world's certificates) and the
 * real transport. Its first invocation is cold (fresh process, empty caches, no sockets); the next are
 * warm. Driven over IPC: the first message is its {@link WorkerPlan}, then `run` invokes once and answers a {@link WorkerRun}; `done` answers the
 * process's peak memory and exits. Handler log lines go to stdout, as in Lambda.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { AlertDeliveryError } from '../lambda/errors';
import { createHandler, SDK_CLIENT_CONFIG } from '../lambda/handler';
import { createNodeTransport, nodeTransport } from '../lambda/http/node-transport';
import type { World } from './bench-simulator';

/** What the worker is given: its first IPC message. */
export interface WorkerPlan {
  readonly world: World;
  /** The key-health config (KEY_HEALTH_CONFIG). */
  readonly config: unknown;
  /** The codes every healthy key carries (a dated notice of the exchange), sorted; any other code fails the run. */
  readonly standingCodes: readonly string[];
  /** The function's timeout, from which the handler's deadline follows. */
  readonly functionTimeoutMs: number;
  /** Writes a CPU profile of each invocation into this directory (`run-0.cpuprofile` is the cold one). */
  readonly profileDir?: string;
}

/** One invocation as the worker measured it. */
export interface WorkerRun {
  readonly wallMs: number;
  /** User plus system CPU of the process during the invocation. */
  readonly cpuMs: number;
  readonly keys: number;
  /** The largest memory figures sampled every 20 ms during the invocation, MB. */
  readonly memory: { rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number };
  /** Keys whose result was not the expected healthy one. */
  readonly unhealthy: number;
  /** The first of them, with its findings (messages as the report has them: secrets already redacted). */
  readonly problem?: string;
}

/** Messages from the worker. */
export type WorkerMessage =
  | { ready: { startupMs: number } }
  | { run: WorkerRun }
  | { memory: { maxRssMb: number; heapUsedMb: number } }
  | { error: string };

function main(plan: WorkerPlan): void {
  const send = (message: WorkerMessage) => process.send?.(message);
  const { world } = plan;
  const ca = [...world.ca];
  // One TLS context for every connection, as with Node's default roots (given `ca` alone, each connection would parse it again).
  const secureContext = ca.length > 0 ? createSecureContext({ ca }) : undefined;
  // The function's own client settings (its agent's too, if it sets any), plus the local endpoint and its certificate (these clients only).
  const requestHandler: typeof SDK_CLIENT_CONFIG.requestHandler & { httpsAgent?: object } = SDK_CLIENT_CONFIG.requestHandler;
  const clientConfig = (endpoint: string) => ({
    ...SDK_CLIENT_CONFIG,
    endpoint,
    requestHandler: { ...requestHandler, ...(secureContext && { httpsAgent: { ...requestHandler.httpsAgent, secureContext } }) },
  });
  const handler = createHandler({
    secretsManager: new SecretsManagerClient(clientConfig(world.secretsManager)),
    dynamodb: new DynamoDBClient(clientConfig(world.dynamodb) as DynamoDBClientConfig),
    sns: async () => {
      const { SNSClient: Client } = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
      return new Client(clientConfig(world.sns)) as SNSClient;
    },
    env: {
      KEY_HEALTH_CONFIG: JSON.stringify(plan.config),
      ALERT_TOPIC_ARN: world.topicArn,
      STATE_TABLE_NAME: world.tableName,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    },
    transport: ca.length > 0 ? createNodeTransport({ ca }) : nodeTransport,
  });
  const expected = plan.standingCodes.join(',');
  const profiler = plan.profileDir ? startProfiler() : undefined;
  let invocation = 0;

  process.on('message', (message: { type: 'run' | 'done' }) => {
    if (message.type === 'done') {
      const { maxRSS } = process.resourceUsage();
      send({ memory: { maxRssMb: round1(maxRSS / 1024), heapUsedMb: round1(process.memoryUsage().heapUsed / 1048576) } });
      process.disconnect();
      return;
    }
    const profileFile = plan.profileDir && join(plan.profileDir, `run-${invocation++}.cpuprofile`);
    profiler?.begin();
    const deadline = Date.now() + plan.functionTimeoutMs;
    const peak = { rssMb: 0, heapTotalMb: 0, heapUsedMb: 0, externalMb: 0 };
    const sample = () => {
      const m = process.memoryUsage();
      peak.rssMb = Math.max(peak.rssMb, round1(m.rss / 1048576));
      peak.heapTotalMb = Math.max(peak.heapTotalMb, round1(m.heapTotal / 1048576));
      peak.heapUsedMb = Math.max(peak.heapUsedMb, round1(m.heapUsed / 1048576));
      peak.externalMb = Math.max(peak.externalMb, round1(m.external / 1048576));
    };
    const sampler = setInterval(sample, 20);
    const cpu = process.cpuUsage();
    const started = performance.now();
    handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event' },
      { getRemainingTimeInMillis: () => deadline - Date.now(), functionName: 'key-health-bench', awsRequestId: randomUUID() },
    ).then(
      (report) => {
        const wallMs = performance.now() - started;
        clearInterval(sampler);
        sample();
        const used = process.cpuUsage(cpu);
        if (profileFile) profiler?.end(profileFile);
        const wrongs = report.results.filter((r) => [...new Set(r.findings.map((f) => f.code))].sort().join(',') !== expected);
        const wrong = wrongs[0];
        send({
          run: {
            wallMs: round1(wallMs),
            cpuMs: round1((used.user + used.system) / 1000),
            keys: report.results.length,
            memory: peak,
            unhealthy: wrongs.length,
            ...(wrong && { problem: `${wrong.name}: ${wrong.findings.map((f) => `${f.code} ${f.message}`).join('; ') || 'no findings'}` }),
          },
        });
      },
      (error: unknown) => {
        clearInterval(sampler);
        const wallMs = performance.now() - started;
        const used = process.cpuUsage(cpu);
        // Every key was checked, but some alert states could not be read or written: a measured run with unhealthy keys.
        if (error instanceof AlertDeliveryError)
          send({
            run: {
              wallMs: round1(wallMs),
              cpuMs: round1((used.user + used.system) / 1000),
              keys: (plan.config as { keys?: unknown[] }).keys?.length ?? 0,
              memory: peak,
              unhealthy: error.keys.length,
              problem: error.message,
            },
          });
        else send({ error: (error as Error).message });
      },
    );
  });
  send({ ready: { startupMs: round1(performance.now()) } });
}

/** The process's own V8 profiler, started and stopped around one invocation. */
function startProfiler() {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  return {
    begin: () => session.post('Profiler.start'),
    end: (file: string) =>
      session.post('Profiler.stop', (error, result) => {
        if (!error) writeFileSync(file, JSON.stringify(result.profile));
      }),
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

if (!process.send) throw new Error('bench-worker is started by scripts/bench.ts with an IPC channel');
process.once('message', (plan: WorkerPlan) => main(plan));
