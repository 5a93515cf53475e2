/**
 * The benchmark's world, in its own process so that its work does not share the event loop being
 * measured (a real exchange and AWS do not run on our CPU): the exchange's simulator and local Secrets
 * Manager, DynamoDB and SNS endpoints, all with the same latency, over HTTPS with certificates made at
 * start (unless `tls` is false). Started by scripts/bench.ts with an IPC channel: it is sent a
 * {@link WorldRequest}, answers with a {@link World}, and then answers `counts`, `reset`, `latency` and `stop`.
 */

import { makeLoopbackCertificate, type SimKey, startSimulator } from '../test/support/simulator/sim-server';
import { loadSimulatedExchange } from '../test/support/simulator/simulated-exchange';
import { createStateTable, type LocalEndpoint, startDynamoDbEndpoint, startSecretsManagerEndpoint, startSnsEndpoint } from './bench-aws';

/** What the world is asked to simulate. */
export interface WorldRequest {
  readonly exchange: string;
  /** Distinct healthy keys, each with its own secret in the local Secrets Manager. */
  readonly keyCount: number;
  readonly latencyMs: number;
  readonly tls: boolean;
}

/** A running world: where everything is and what to trust. */
export interface World {
  readonly exchangeOrigin: string;
  readonly secretsManager: string;
  readonly dynamodb: string;
  readonly sns: string;
  readonly tableName: string;
  readonly topicArn: string;
  /** The certificates to trust (PEM): the exchange's and the AWS endpoints'; empty over plain HTTP. */
  readonly ca: readonly string[];
  /** Key name and secret id of every bench key, in order. */
  readonly keys: readonly { name: string; secretId: string }[];
}

/** Requests answered since the last reset, by service (and AWS operation). */
export interface WorldCounts {
  readonly exchange: number;
  readonly secretsManager: Record<string, number>;
  readonly dynamodb: Record<string, number>;
  readonly sns: Record<string, number>;
}

/** Messages from the world: the answer to the start request, to `counts`, or a failure. */
export type WorldMessage = { ready: World } | { counts: WorldCounts } | { error: string };

/** The bench key `i`'s name and secret id. */
export function benchKeyName(exchange: string, i: number): string {
  return `bench-${exchange}-${i}`;
}

/** Starts the world described by `request`; `stop` closes every server. */
export async function startWorld(
  request: WorldRequest,
): Promise<{ world: World; counts(): WorldCounts; reset(): void; setLatency(ms: number): void; stop(): Promise<void> }> {
  const simulated = loadSimulatedExchange(request.exchange);
  const simKeys: SimKey[] = [];
  const secrets = new Map<string, string>();
  const keys = Array.from({ length: request.keyCount }, (_, i) => {
    const name = benchKeyName(request.exchange, i);
    const made = simulated.makeKey(name);
    simKeys.push(made.simKey);
    secrets.set(name, JSON.stringify(made.secret));
    return { name, secretId: name };
  });
  const awsCertificate = request.tls ? await makeLoopbackCertificate('key-health bench AWS endpoints') : undefined;
  const options = { latencyMs: request.latencyMs, ...(awsCertificate && { tls: awsCertificate }) };
  const sim = await startSimulator(simulated.handler, { keys: simKeys, latencyMs: request.latencyMs, tls: request.tls });
  const endpoints: LocalEndpoint[] = [];
  try {
    const secretsManager = await startSecretsManagerEndpoint(secrets, options);
    endpoints.push(secretsManager);
    const dynamodb = await startDynamoDbEndpoint(options);
    endpoints.push(dynamodb);
    const sns = await startSnsEndpoint(options);
    endpoints.push(sns);
    const tableName = 'key-health-bench-state';
    await createStateTable(dynamodb.origin, tableName, awsCertificate?.cert);
    const world: World = {
      exchangeOrigin: sim.origin,
      secretsManager: secretsManager.origin,
      dynamodb: dynamodb.origin,
      sns: sns.origin,
      tableName,
      topicArn: 'arn:aws:sns:us-east-1:123456789012:key-health-bench',
      ca: [sim.ca, awsCertificate?.cert].filter((pem): pem is string => pem !== undefined),
      keys,
    };
    // The setup's CreateTable is not the checker's.
    dynamodb.resetCounts();
    return {
      world,
      counts: () => ({
        exchange: sim.seen.length,
        secretsManager: secretsManager.counts(),
        dynamodb: dynamodb.counts(),
        sns: sns.counts(),
      }),
      reset: () => {
        sim.reset();
        for (const endpoint of endpoints) endpoint.resetCounts();
      },
      setLatency: (ms) => {
        sim.latencyMs = ms;
        for (const endpoint of endpoints) endpoint.setLatency(ms);
      },
      stop: async () => {
        await Promise.all([sim.close(), ...endpoints.map((endpoint) => endpoint.close())]);
      },
    };
  } catch (error) {
    await Promise.all([sim.close(), ...endpoints.map((endpoint) => endpoint.close())]);
    throw error;
  }
}

async function main(): Promise<void> {
  const send = (message: WorldMessage) => process.send?.(message);
  if (!process.send) throw new Error('bench-simulator.ts is started by scripts/bench.ts (with an IPC channel)');
  let running: Awaited<ReturnType<typeof startWorld>> | undefined;
  process.on('message', (message: { start?: WorldRequest; type?: 'counts' | 'reset' | 'latency' | 'stop'; ms?: number }) => {
    if (message.start) {
      startWorld(message.start).then(
        (started) => {
          running = started;
          send({ ready: started.world });
        },
        (error: unknown) => send({ error: (error as Error).message }),
      );
      return;
    }
    if (message.type === 'counts' && running) send({ counts: running.counts() });
    if (message.type === 'reset') running?.reset();
    if (message.type === 'latency') running?.setLatency(message.ms ?? 0);
    if (message.type === 'stop') void (running?.stop() ?? Promise.resolve()).then(() => process.exit(0));
  });
  // The orchestrator going away ends the world too.
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
