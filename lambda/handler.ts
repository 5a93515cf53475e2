import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { formatAlert } from './alerts/format';
import { SecretsManagerSource } from './aws/secrets-manager';
import { publishAlert } from './aws/sns';
import type { RetryPolicy } from './engine/check-key';
import { mapWithConcurrency } from './engine/concurrency';
import { runChecks } from './engine/run-checks';
import { type EnvVars, type LambdaEnv, readLambdaEnv } from './env';
import { ADAPTERS } from './exchanges/registry';
import type { HttpRuntime } from './http/http-client';
import { NODE_HTTP_RUNTIME } from './http/node-transport';
import { parseInvocation, runDeadline } from './invocation';
import type { KeyResult, Report } from './report';

/** The part of the Lambda context the handler uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly functionName?: string;
  readonly awsRequestId?: string;
}

/** One structured log line. */
export type LogEntry = { readonly level: 'INFO' | 'WARN' | 'ERROR'; readonly message: string } & Record<string, unknown>;

/** What the handler runs on; the SDK clients are the test seam. */
export interface HandlerDeps {
  readonly secretsManager: SecretsManagerClient;
  readonly sns: SNSClient;
  /** @default process.env */
  readonly env?: EnvVars;
  /** @default NODE_HTTP_RUNTIME */
  readonly http?: HttpRuntime;
  /** @default the engine's DEFAULT_RETRY */
  readonly retry?: RetryPolicy;
  /** @default one JSON line on stdout */
  readonly log?: (entry: LogEntry) => void;
}

/** The alerts of a run could not all be published; the keys are named, the report was logged. */
export class AlertDeliveryError extends Error {
  override readonly name = 'AlertDeliveryError';
  constructor(readonly keys: readonly string[]) {
    super(
      `Alerts could not be published for ${keys.length} key(s): ${keys.join(', ')}; every key was checked, see the log for the SNS errors`,
    );
  }
}

/** Publishes at most this many alerts at once. */
const PUBLISH_CONCURRENCY = 10;
/** A publish still running this close to the Lambda timeout is aborted, so the invocation fails with a message. */
const PUBLISH_RESERVE_MS = 1_000;

/**
 * Builds the Lambda handler: reads the environment (on the first call), checks the keys the event
 * asks for, logs one line per key, publishes one alert per key that needs one (none on a dry run),
 * and returns the report; throws {@link AlertDeliveryError} after all publishes were tried if any failed.
 */
export function createHandler(deps: HandlerDeps): (event: unknown, context: LambdaContext) => Promise<Report> {
  const http = deps.http ?? NODE_HTTP_RUNTIME;
  const log = deps.log ?? writeLogLine;
  let env: LambdaEnv | undefined;
  const secrets = new SecretsManagerSource(deps.secretsManager, {
    onMetadataError: (secretId, awsError) =>
      log({ level: 'WARN', message: 'rotation metadata unavailable (DescribeSecret failed)', secretId, error: awsError }),
  });

  return async (event, context) => {
    env ??= readLambdaEnv(deps.env ?? process.env);
    const { config, alertTopicArn } = env;
    const request = parseInvocation(event, config);
    const report = await runChecks(config, {
      http,
      secrets,
      adapters: ADAPTERS,
      deadlineAtMs: runDeadline(http.now(), context.getRemainingTimeInMillis()),
      ...(deps.retry && { retry: deps.retry }),
      ...(request.keys && { only: request.keys }),
    });
    const requestId = context.awsRequestId;
    for (const result of report.results) log({ level: 'INFO', message: 'key checked', requestId, ...keySummary(result) });

    const due = request.dryRun ? [] : alertsToSend(report);
    const failed = await publishAlerts(due, { sns: deps.sns, topicArn: alertTopicArn, report, context, log });
    log({
      level: failed.length > 0 ? 'ERROR' : 'INFO',
      message: 'run finished',
      requestId,
      status: report.status,
      keys: report.results.length,
      dryRun: request.dryRun,
      alertsPublished: due.length - failed.length,
      alertsFailed: failed.length,
    });
    if (failed.length > 0) throw new AlertDeliveryError(failed);
    return report;
  };
}

interface PublishRun {
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly report: Report;
  readonly context: LambdaContext;
  readonly log: (entry: LogEntry) => void;
}

/** Publishes one alert per result, all attempted whatever fails; returns the names of the keys whose alert failed. */
async function publishAlerts(results: readonly KeyResult[], run: PublishRun): Promise<string[]> {
  const { context, log } = run;
  const failed = new Set<string>();
  const functionName = context.functionName;
  await mapWithConcurrency(results, PUBLISH_CONCURRENCY, async (result) => {
    const alert = formatAlert(result, { checkedAt: run.report.checkedAt, ...(functionName && { functionName }) });
    const abortSignal = AbortSignal.timeout(Math.max(context.getRemainingTimeInMillis() - PUBLISH_RESERVE_MS, 1));
    const where = { requestId: context.awsRequestId, name: result.name };
    try {
      const messageId = await publishAlert(run.sns, run.topicArn, alert, { abortSignal });
      log({ level: 'INFO', message: 'alert published', ...where, severity: alert.severity, codes: alert.codes, messageId });
    } catch (error) {
      failed.add(result.name);
      log({ level: 'ERROR', message: 'alert not published', ...where, error: error instanceof Error ? error.message : String(error) });
    }
  });
  return results.filter((r) => failed.has(r.name)).map((r) => r.name);
}

/** The results that get a message this run; today every key that is not ok (the alert state decides in a later issue). */
export function alertsToSend(report: Report): KeyResult[] {
  return report.results.filter((result) => result.status !== 'ok');
}

/** The log fields of one key: no finding messages, no secret material. */
export function keySummary(result: KeyResult) {
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

// Built once per container; bounded so a stuck AWS call cannot use up the whole invocation.
const SDK_CLIENT_CONFIG = { requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } };

/** The Lambda entry point. */
export const handler = createHandler({
  secretsManager: new SecretsManagerClient(SDK_CLIENT_CONFIG),
  sns: new SNSClient(SDK_CLIENT_CONFIG),
});
