import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { deliverAlerts, PUBLISH_TIMEOUT_MS } from './alerts/deliver';
import { SecretsManagerSource } from './aws/secrets-manager';
import { DynamoAlertStateStore } from './aws/state-store';
import { type Clock, SYSTEM_CLOCK } from './clock';
import { selectKeys } from './config';
import type { CredentialCache } from './engine/credential-cache';
import { runChecks } from './engine/run-checks';
import type { RetryPolicy } from './engine/runtime';
import { type EnvVars, type LambdaEnv, readLambdaEnv } from './env';
import { AlertDeliveryError } from './errors';
import { ADAPTERS } from './exchanges/registry';
import type { Transport } from './http/http-client';
import { nodeTransport } from './http/node-transport';
import { computeRunDeadline, parseInvocation } from './invocation';
import type { LogEntry, Logger } from './log';
import { formatMetricLines, type KeyMetricSet, METRICS_NAMESPACE, readKeyMetricSet } from './metrics';
import type { KeyResult, Report } from './report';

/** The part of the Lambda context the handler uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly functionName?: string;
  readonly awsRequestId?: string;
}

/** What the handler runs on; the SDK clients are the test seam. */
export interface HandlerDeps {
  readonly secretsManager: SecretsManagerClient;
  /** The client, or a factory called on the first alert (most runs send none, so the SNS SDK is not loaded). */
  readonly sns: SNSClient | (() => Promise<SNSClient>);
  readonly dynamodb: DynamoDBClient;
  /** @default process.env */
  readonly env?: EnvVars;
  /** The directory KEY_HEALTH_CONFIG_FILE is relative to. @default the handler's directory */
  readonly configDir?: string;
  /** @default nodeTransport */
  readonly transport?: Transport;
  /** @default SYSTEM_CLOCK */
  readonly clock?: Clock;
  /** @default the engine's DEFAULT_RETRY */
  readonly retry?: RetryPolicy;
  /** @default one JSON line on stdout */
  readonly log?: Logger;
  /** Where CloudWatch embedded-metric lines go. @default stdout */
  readonly emitMetric?: (line: string) => void;
}

/** A publish still running this close to the Lambda timeout is aborted, so the invocation fails with a message. */
const PUBLISH_RESERVE_MS = 1_000;

/**
 * Builds the Lambda handler: reads the environment (on the first call), checks the keys the event
 * asks for, logs one line per key, then per key reads its alert state and sends the message the
 * state calls for (claim, publish, commit; on a dry run only reads and logs), and returns the
 * report; throws {@link AlertDeliveryError} after every key was tried if any delivery failed (not on a dry run).
 */
export function createHandler(deps: HandlerDeps): (event: unknown, context: LambdaContext) => Promise<Report> {
  const transport = deps.transport ?? nodeTransport;
  const clock = deps.clock ?? SYSTEM_CLOCK;
  const log = deps.log ?? writeLogLine;
  const emitMetric = deps.emitMetric ?? ((line: string) => process.stdout.write(`${line}\n`));
  let env: LambdaEnv | undefined;
  let metrics: KeyMetricSet | undefined;
  // Lives as long as the container: a warm invocation does not parse the same private keys again.
  const credentialCache: CredentialCache = new Map();
  let sns: Promise<SNSClient> | undefined;
  const snsClient = () => {
    sns ??= typeof deps.sns === 'function' ? deps.sns() : Promise.resolve(deps.sns);
    return sns;
  };
  let store: DynamoAlertStateStore | undefined;
  const secretsManager = new SecretsManagerSource(deps.secretsManager, {
    now: clock.now,
    onMetadataError: (secretId, awsError, operation) =>
      log({ level: 'WARN', message: `rotation metadata unavailable (${operation} failed)`, secretId, error: awsError }),
  });

  return async (event, context) => {
    env ??= readLambdaEnv(deps.env ?? process.env, { configDir: deps.configDir });
    metrics ??= readKeyMetricSet(deps.env ?? process.env);
    store ??= new DynamoAlertStateStore(deps.dynamodb, env.stateTableName);
    const { config, alertTopicArn } = env;
    const request = parseInvocation(event, config);
    // Every key's alert state in one batch read, beside the checks: delivery then waits on no read per key.
    const prefetched = store.readMany(selectKeys(config.keys, request.keys).map((key) => key.name));
    // Consumed by delivery, which falls back to reading one by one; a failure here must not go unhandled.
    prefetched.catch(() => undefined);
    const run = await runChecks(config, {
      transport,
      clock,
      secrets: secretsManager,
      adapters: ADAPTERS,
      deadlineAtMs: computeRunDeadline(clock.now(), context.getRemainingTimeInMillis()),
      credentialCache,
      ...(deps.retry && { retry: deps.retry }),
      ...(request.keys && { only: request.keys }),
    });
    const { report } = run;
    const requestId = context.awsRequestId;
    for (const result of report.results) log({ level: 'INFO', message: 'key checked', requestId, ...summarizeKey(result) });
    // Metrics come from scheduled runs only, so a manual dry run does not add a second point to the dashboard.
    if (!request.dryRun)
      for (const line of formatMetricLines(report, { namespace: METRICS_NAMESPACE, nowMs: clock.now(), metrics })) emitMetric(line);

    const functionName = context.functionName;
    const delivery = await deliverAlerts(run, {
      store,
      prefetched,
      publish: async (alert) => {
        const { publishAlert } = loadSnsAdapter();
        const client = await snsClient();
        const timeoutMs = Math.min(context.getRemainingTimeInMillis() - PUBLISH_RESERVE_MS, PUBLISH_TIMEOUT_MS);
        return publishAlert(client, alertTopicArn, alert, { abortSignal: AbortSignal.timeout(Math.max(timeoutMs, 1)) });
      },
      settings: config.alerts,
      now: clock.now,
      sleep: clock.sleep,
      dryRun: request.dryRun,
      context: {
        ...(functionName && { functionName }),
        ...(env.region && { region: env.region }),
        ...(env.dashboardName && { dashboardName: env.dashboardName }),
      },
      log: (entry) => log({ ...entry, requestId }),
    });
    const failed = delivery.failures.length > 0;
    log({
      level: failed ? 'ERROR' : 'INFO',
      message: 'run finished',
      requestId,
      status: report.status,
      keys: report.results.length,
      dryRun: request.dryRun,
      alertsPublished: delivery.published,
      keysSkipped: delivery.skipped.length,
      deliveryFailures: delivery.failures.length,
    });
    // A dry run is someone asking for the report: an unreadable state table is logged, not thrown.
    if (failed && !request.dryRun) throw new AlertDeliveryError(delivery.failures);
    return report;
  };
}

/** The log fields of one key: no finding messages, no secret material. */
export function summarizeKey(result: KeyResult) {
  return {
    name: result.name,
    exchange: result.exchange,
    status: result.status,
    codes: [...new Set(result.findings.map((f) => f.code))],
    offsetMs: result.clock.offsetMs,
    latencyMs: result.latencyMs,
  };
}

function writeLogLine(entry: LogEntry): void {
  process.stdout.write(`${JSON.stringify({ timestamp: new Date().toISOString(), ...entry })}\n`);
}

/** The SNS adapter, required on the first alert: most runs send none and never load the SNS SDK. */
function loadSnsAdapter(): typeof import('./aws/sns') {
  return require('./aws/sns');
}

// Without throwOnRequestTimeout the SDK only logs a request past requestTimeout and keeps waiting (@smithy/node-http-handler 4).
/** The AWS SDK clients' settings: built once per container; bounded so a stuck AWS call cannot use up the whole invocation. */
export const SDK_CLIENT_CONFIG = { requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true } };

/** The Lambda entry point. */
export const handler = createHandler({
  secretsManager: new SecretsManagerClient(SDK_CLIENT_CONFIG),
  sns: async () => {
    const { SNSClient } = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
    return new SNSClient(SDK_CLIENT_CONFIG);
  },
  dynamodb: new DynamoDBClient(SDK_CLIENT_CONFIG),
});
