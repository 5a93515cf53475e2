/**
 * `npm run cost`: what the stack costs a month at us-east-1 list prices, before the free tier,
 * computed from the synthesized CloudFormation template (functions, memory, schedule, alarms,
 * dashboards and their Logs Insights widgets, KMS keys, the custom metrics the function is told to
 * declare, NAT gateway and addresses) and from the handler's own usage per run: the real handler,
 * run against an exchange simulator with counting AWS clients and a virtual clock, counts its Secrets
 * Manager calls, DynamoDB units and log bytes over a day's cycle. Prints the README's cost section
 * (the example config with 1 and 10 keys). Options: `--write` (rewrite the README's cost block),
 * `--keys 1,10,50` (the example with these key counts), `--config FILE` (a config of yours),
 * `--measure` (time warm runs to refresh {@link MEASURED_RUN_MS}).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchGetItemCommand, type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildKeyHealthApp, STATIC_EGRESS_CONTEXT_KEY } from '../bin/app';
import { type Clock, SYSTEM_CLOCK } from '../lambda/clock';
import { type Config, type KeyConfig, parseConfig } from '../lambda/config';
import { createHandler } from '../lambda/handler';
import type { Transport } from '../lambda/http/http-client';
import { DEFAULT_KEY_METRIC_SET, KEY_METRICS_ENV, type KeyMetricSet, listDeclaredMetrics, parseKeyMetricSet } from '../lambda/metrics';
import { serializeLambdaConfig } from '../lib/lambda-config';
import { parseScheduleInterval } from '../lib/parse-schedule-interval';
import { type LocalDynamo, startDynalite } from '../test/support/dynalite';
import type { SimKey } from '../test/support/simulator/sim-server';
import { loadSimulatedExchange } from '../test/support/simulator/simulated-exchange';
import { applySections } from './readme';

// us-east-1 on-demand list prices, each from the AWS pricing page named next to it.

/** Lambda on Arm, per GB-second of the first 7.5 billion a month (aws.amazon.com/lambda/pricing). */
export const LAMBDA_ARM_GB_SECOND_USD = 0.0000133334;
/** Lambda, per request: $0.20 per million (aws.amazon.com/lambda/pricing). */
export const LAMBDA_REQUEST_USD = 0.2 / 1_000_000;
/** Secrets Manager, per API call: $0.05 per 10,000 (aws.amazon.com/secrets-manager/pricing). */
export const SECRETS_MANAGER_CALL_USD = 0.05 / 10_000;
/** Secrets Manager, per secret a month (aws.amazon.com/secrets-manager/pricing). */
export const SECRET_MONTH_USD = 0.4;
/** CloudWatch, per custom metric a month, the first 10,000 (aws.amazon.com/cloudwatch/pricing). */
export const CUSTOM_METRIC_MONTH_USD = 0.3;
/** CloudWatch, per standard-resolution alarm metric a month (aws.amazon.com/cloudwatch/pricing). */
export const ALARM_METRIC_MONTH_USD = 0.1;
/** CloudWatch, per dashboard a month; an account's first 3 are free (aws.amazon.com/cloudwatch/pricing, free tier). */
export const DASHBOARD_MONTH_USD = 3;
/** CloudWatch Logs, Standard class, per GB ingested (aws.amazon.com/cloudwatch/pricing). */
export const LOGS_INGESTED_GB_USD = 0.5;
/** CloudWatch Logs, per GB stored a month; billed compressed, counted here uncompressed (aws.amazon.com/cloudwatch/pricing). */
export const LOGS_STORED_GB_MONTH_USD = 0.03;
/** CloudWatch Logs Insights, per GB scanned (aws.amazon.com/cloudwatch/pricing). */
export const LOGS_INSIGHTS_GB_USD = 0.005;
/** KMS, per customer managed key a month, plus $1 for each of its first two rotations (aws.amazon.com/kms/pricing). */
export const KMS_KEY_MONTH_USD = 1;
/** DynamoDB on-demand, per read request unit: $0.125 per million (aws.amazon.com/dynamodb/pricing/on-demand). */
export const DYNAMODB_READ_UNIT_USD = 0.125 / 1_000_000;
/** DynamoDB on-demand, per write request unit: $0.625 per million (aws.amazon.com/dynamodb/pricing/on-demand). */
export const DYNAMODB_WRITE_UNIT_USD = 0.625 / 1_000_000;
/** A NAT gateway, per hour (aws.amazon.com/vpc/pricing). */
export const NAT_GATEWAY_HOUR_USD = 0.045;
/** A NAT gateway, per GB it processes (aws.amazon.com/vpc/pricing). */
export const NAT_GATEWAY_GB_USD = 0.045;
/** A public IPv4 address, per hour, in use or not (aws.amazon.com/vpc/pricing, "Public IPv4 Address"). */
export const PUBLIC_IPV4_HOUR_USD = 0.005;
/** Vended logs (VPC flow logs) delivered to CloudWatch Logs, per GB of the first 10 TB (aws.amazon.com/cloudwatch/pricing). */
export const VENDED_LOGS_GB_USD = 0.5;

// What the template and the simulated runs cannot tell, each stated.

/** Days in the month of these figures: 8,640 runs at rate(5 minutes). */
export const DAYS_PER_MONTH = 30;
/** Hours in a month as AWS's pricing pages count them, for the hourly resources. */
export const HOURS_PER_MONTH = 730;
/** Bytes in a GB as counted here (10^9: the larger count of GB, so never an underestimate). */
const GB = 1e9;
/**
 * Fresh Lambda execution environments a day. Lambda does not publish how long an idle environment
 * lives; one every 4 hours is assumed. Each reads every secret's rotation metadata once more and
 * bills its initialisation ({@link COLD_START_INIT_MS}).
 */
export const COLD_STARTS_PER_DAY = 6;
/** Initialisation of a cold start, billed since August 2025 (an estimate, not measured here). */
export const COLD_START_INIT_MS = 500;
/** Dashboard views a month, each over its default 24 hours: every Logs Insights widget scans a day of the log group. */
export const DASHBOARD_VIEWS_PER_MONTH = 300;
/** CloudWatch Logs sizes each event as its UTF-8 message plus 26 bytes (CloudWatch Logs API Reference, PutLogEvents). */
export const LOG_EVENT_OVERHEAD_BYTES = 26;
/**
 * The warm duration of one run, ms, by key count, measured by `npm run cost -- --measure`: the real
 * handler, {@link MEASURE_ROUND_TRIPS_PER_REQUEST} round trips of {@link MEASURE_EXCHANGE_LATENCY_MS}
 * per exchange request and {@link MEASURE_AWS_LATENCY_MS} per AWS call; other key counts are
 * interpolated. The wall time plus the run's CPU time stretched {@link LAMBDA_CPU_SLOWDOWN} times, as
 * if none of it overlapped the network (the simulator's CPU counts too: an upper bound).
 */
export const MEASURED_RUN_MS: Readonly<Record<number, number>> = { 1: 400, 10: 500 };
/** How much slower a 256 MB function computes than a full vCPU: Lambda gives 1,769 MB one vCPU (Lambda Developer Guide, "Memory and computing power"). */
export const LAMBDA_CPU_SLOWDOWN = 7;
/** The network round trip to an exchange in the measurement (a distant exchange from us-east-1). */
export const MEASURE_EXCHANGE_LATENCY_MS = 100;
/**
 * Round trips per exchange request in the measurement: TCP, TLS 1.3 and the request itself, since a
 * connection does not outlive the minutes between two runs.
 */
export const MEASURE_ROUND_TRIPS_PER_REQUEST = 3;
/** The round trip the measurement adds to every Secrets Manager and DynamoDB call. */
export const MEASURE_AWS_LATENCY_MS = 20;
/**
 * Bytes through the NAT gateway per key and run with static egress: an estimate, not measured (a
 * TLS handshake with its certificate chain per connection dominates; about four connections).
 */
export const NAT_BYTES_PER_KEY_RUN = 50_000;
/** VPC flow log records per key and run (both directions, both interfaces of about four connections) and their size: an estimate. */
export const FLOW_LOG_RECORDS_PER_KEY_RUN = 16;
/** The size of one flow log record as a log event, bytes (the default format's 14 fields, plus the event overhead). */
export const FLOW_LOG_RECORD_BYTES = 150;

const README_PATH = join(__dirname, '..', 'README.md');
const EXAMPLE_PATH = join(__dirname, '..', 'examples', 'my-keys.json');
const CDK_JSON_PATH = join(__dirname, '..', 'cdk.json');
/** The name of the README's generated cost block (`<!-- cost:start -->`). */
export const COST_SECTION = 'cost';
/** The key counts of the README's table. */
export const README_KEY_COUNTS = [1, 10] as const;
/** The monthly total, without the secrets' own storage, that ten keys at the default schedule must stay within. */
export const TEN_KEY_BUDGET_USD = 2;

const MS_PER_DAY = 86_400_000;
const REQUEST_MS = MEASURE_EXCHANGE_LATENCY_MS * MEASURE_ROUND_TRIPS_PER_REQUEST;
const REQUEST_ID = '8f5b1d2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const SCHEDULED_EVENT = { source: 'aws.events', 'detail-type': 'Scheduled Event' };

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** What one scheduled run of the handler uses, on average over a cycle between cold starts. */
export interface RunUsage {
  /** Secrets Manager calls per run, by operation. */
  readonly secretsManagerCalls: Readonly<Record<string, number>>;
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
  /** Log bytes per run as CloudWatch Logs counts them: the handler's lines, the Lambda platform's, 26 bytes each. */
  readonly logBytes: number;
  readonly exchangeRequests: number;
}

/** One column of the table: a config, its synthesized stack and its handler's usage. */
export interface Scenario {
  readonly label: string;
  readonly config: Config;
  readonly template: TemplateJson;
  readonly usage: RunUsage;
  /** The warm run duration, ms, used for the Lambda line. */
  readonly runMs: number;
}

/** One row: what it is and its monthly cost in each scenario (or a word such as "per alert"). */
export interface CostLine {
  /** What it is; a `{}` in it stands for {@link detail}, one value per scenario. */
  readonly item: string;
  readonly usd: readonly (number | string)[];
  readonly detail?: readonly string[];
}

/** The cost table of some scenarios: the lines counted in the total, the total, and the lines beside it. */
export interface CostTable {
  readonly scenarios: readonly Scenario[];
  readonly lines: readonly CostLine[];
  readonly totals: readonly number[];
  readonly beside: readonly CostLine[];
  readonly egress: readonly CostLine[];
  readonly egressTotals: readonly number[];
}

/** Runs a month at `schedule`; throws for a cron schedule, whose runs cannot be counted from its text. */
export function countRunsPerMonth(schedule: string): number {
  const interval = parseScheduleInterval(schedule);
  if (!interval) throw new Error(`cannot count the runs of "${schedule}": give a rate(...) schedule to estimate its cost`);
  return Math.round((DAYS_PER_MONTH * MS_PER_DAY) / interval.toMilliseconds());
}

/** The warm run duration for `keys` keys from {@link MEASURED_RUN_MS}: interpolated between, and extrapolated beyond, the measured counts. */
export function estimateRunMs(keys: number): number {
  const points = Object.entries(MEASURED_RUN_MS)
    .map(([count, ms]) => [Number(count), ms] as const)
    .sort((a, b) => a[0] - b[0]);
  const [first, second] = points;
  if (!first || !second) throw new Error('MEASURED_RUN_MS needs two key counts');
  const upper = points.find(([count]) => count >= keys) ?? points[points.length - 1] ?? second;
  const lower = [...points].reverse().find(([count]) => count < upper[0]) ?? first;
  if (upper[0] === lower[0]) return upper[1];
  return lower[1] + ((upper[1] - lower[1]) * (keys - lower[0])) / (upper[0] - lower[0]);
}

/** The example config (examples/my-keys.json) with its key repeated `count` times under distinct names and secrets. */
export function exampleConfigDocument(count: number): Record<string, unknown> {
  const example = JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8')) as Record<string, unknown> & { keys: Array<Record<string, unknown>> };
  const [key] = example.keys;
  if (!key) throw new Error('examples/my-keys.json has no key');
  const { $schema: _schema, ...rest } = example;
  const keys = Array.from({ length: count }, (_, i) =>
    count === 1 ? key : { ...key, name: `${String(key.name)}-${i + 1}`, secretId: `${String(key.secretId)}-${i + 1}` },
  );
  return { ...rest, keys };
}

/** Synthesizes the stack for `document` as `cdk synth` would (cdk.json's context), without bundling; `context` is added on top. */
export function synthesizeTemplate(document: unknown, context: Readonly<Record<string, unknown>> = {}): TemplateJson {
  const cdkContext = (JSON.parse(readFileSync(CDK_JSON_PATH, 'utf8')) as { context: Record<string, unknown> }).context;
  const app = new App({
    context: { ...cdkContext, keyHealth: document, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
  const stack = buildKeyHealthApp(app);
  // Synthesis prints the example config's warnings (contacts left out), which say nothing about cost.
  const { error } = console;
  console.error = () => undefined;
  try {
    return Template.fromStack(stack).toJSON() as TemplateJson;
  } finally {
    console.error = error;
  }
}

/** The resources of one type. */
function resourcesOf(template: TemplateJson, type: string): Array<{ id: string; properties: Record<string, unknown> }> {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => ({ id, properties: resource.Properties ?? {} }));
}

/** The scheduled function: the target of the one schedule rule, with its schedule. */
function findScheduledFunction(template: TemplateJson) {
  const [rule, ...more] = resourcesOf(template, 'AWS::Events::Rule').filter((r) => typeof r.properties.ScheduleExpression === 'string');
  if (!rule || more.length > 0) throw new Error('expected one scheduled rule in the template');
  const target = (rule.properties.Targets as Array<{ Arn: { 'Fn::GetAtt'?: [string, string] } }> | undefined)?.[0];
  const id = target?.Arn['Fn::GetAtt']?.[0];
  const fn = id === undefined ? undefined : template.Resources[id];
  if (!id || fn?.Type !== 'AWS::Lambda::Function') throw new Error('the scheduled rule does not target a function of the stack');
  const properties = fn.Properties ?? {};
  const variables = ((properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<
    string,
    unknown
  >;
  const metricsVar = variables[KEY_METRICS_ENV];
  return {
    id,
    schedule: rule.properties.ScheduleExpression as string,
    memoryMb: Number(properties.MemorySize ?? 128),
    arm: JSON.stringify(properties.Architectures ?? []).includes('arm64'),
    metrics: typeof metricsVar === 'string' ? parseKeyMetricSet(metricsVar) : DEFAULT_KEY_METRIC_SET,
  };
}

/** The metrics of one alarm: one for a single-metric alarm, else the metrics its math reads. */
function countAlarmMetrics(properties: Record<string, unknown>): number {
  const metrics = properties.Metrics as Array<{ MetricStat?: unknown }> | undefined;
  return metrics ? metrics.filter((m) => m.MetricStat !== undefined).length : 1;
}

/** The dashboard body's text, with CloudFormation references left as `<ref>` (the widget types are all that is read). */
function dashboardBody(properties: Record<string, unknown>): string {
  const flatten = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
    return join ? join[1].map(flatten).join(join[0]) : '<ref>';
  };
  return flatten(properties.DashboardBody);
}

/** The monthly cost lines of one synthesized stack with its handler's usage, for `keys` keys. */
export function priceStack(scenario: Scenario): { lines: CostLine[]; beside: CostLine[] } {
  const { template, usage, config, runMs } = scenario;
  const keys = config.keys.length;
  const checker = findScheduledFunction(template);
  const runs = countRunsPerMonth(checker.schedule);
  if (!checker.arm) throw new Error('the prices here are for an arm64 function');
  const gb = checker.memoryMb / 1024;
  const coldStarts = COLD_STARTS_PER_DAY * DAYS_PER_MONTH;
  const lambdaUsd = runs * LAMBDA_REQUEST_USD + ((runs * runMs + coldStarts * COLD_START_INIT_MS) / 1000) * gb * LAMBDA_ARM_GB_SECOND_USD;
  const otherFunctions = resourcesOf(template, 'AWS::Lambda::Function').filter((f) => f.id !== checker.id).length;
  const smCalls = Object.values(usage.secretsManagerCalls).reduce((a, b) => a + b, 0) * runs;
  const metricsPerKey = listDeclaredMetrics(checker.metrics).length;
  const alarmMetrics = resourcesOf(template, 'AWS::CloudWatch::Alarm').reduce((sum, a) => sum + countAlarmMetrics(a.properties), 0);
  const dashboards = resourcesOf(template, 'AWS::CloudWatch::Dashboard');
  const logWidgets = dashboards.reduce((sum, d) => sum + (dashboardBody(d.properties).match(/"type":"log"/g) ?? []).length, 0);
  const kmsKeys = resourcesOf(template, 'AWS::KMS::Key').length;
  const logBytesMonth = usage.logBytes * runs;
  const logBytesDay = logBytesMonth / DAYS_PER_MONTH;
  const secrets = new Set(config.keys.map((k) => k.secretId ?? k.name)).size;
  const perKeyCalls = Math.round(smCalls / keys);

  const lines: CostLine[] = [
    {
      item: `Lambda: the checker (arm64, ${checker.memoryMb} MB, {} s a run, measured)`,
      usd: [lambdaUsd],
      detail: [(runMs / 1000).toFixed(2)],
    },
    ...(otherFunctions > 0 ? [{ item: `Lambda: the alarm relay (runs only when an alarm changes state)`, usd: [0] }] : []),
    {
      item: 'Secrets Manager API: GetSecretValue every run, DescribeSecret once an hour ({} calls a key)',
      usd: [smCalls * SECRETS_MANAGER_CALL_USD],
      detail: [perKeyCalls.toLocaleString('en-US')],
    },
    {
      item: `CloudWatch custom metrics (${metricsPerKey} a key at $${CUSTOM_METRIC_MONTH_USD.toFixed(2)}: \`keyHealthMetrics\` is \`${checker.metrics}\`)`,
      usd: [metricsPerKey * keys * CUSTOM_METRIC_MONTH_USD],
    },
    { item: `CloudWatch alarms (${alarmMetrics})`, usd: [alarmMetrics * ALARM_METRIC_MONTH_USD] },
    {
      item: `CloudWatch dashboard (${dashboards.length}; free among an account's first 3, else $${DASHBOARD_MONTH_USD.toFixed(2)})`,
      usd: [0],
    },
    {
      item: `KMS keys (${kmsKeys}${kmsKeys === 0 ? ': the alert topic uses the AWS managed key aws/sns' : ''})`,
      usd: [kmsKeys * KMS_KEY_MONTH_USD],
    },
    {
      item: 'DynamoDB on-demand (the alert state: one read a key a run, writes on change)',
      usd: [runs * (usage.dynamoReadUnits * DYNAMODB_READ_UNIT_USD + usage.dynamoWriteUnits * DYNAMODB_WRITE_UNIT_USD)],
    },
    {
      item: "CloudWatch Logs: ingestion and 30 days' storage ({} KB a run)",
      usd: [(logBytesMonth / GB) * (LOGS_INGESTED_GB_USD + LOGS_STORED_GB_MONTH_USD)],
      detail: [(usage.logBytes / 1000).toFixed(1)],
    },
    {
      item: `Logs Insights: the dashboard's ${logWidgets} log widgets, ${DASHBOARD_VIEWS_PER_MONTH} views of 24 hours`,
      usd: [((DASHBOARD_VIEWS_PER_MONTH * logWidgets * logBytesDay) / GB) * LOGS_INSIGHTS_GB_USD],
    },
  ];
  const beside: CostLine[] = [
    { item: `Secrets Manager storage ($${SECRET_MONTH_USD.toFixed(2)} a secret you store anyway)`, usd: [secrets * SECRET_MONTH_USD] },
    { item: 'SNS: e-mail (first 1,000 a month free) and SMS (US ≈ $0.006 each plus carrier fees)', usd: ['per alert'] },
  ];
  return { lines, beside };
}

/** What static egress adds to one scenario: the template's NAT gateways, addresses and flow logs. */
export function priceStaticEgress(template: TemplateJson, scenario: Scenario): CostLine[] {
  const keys = scenario.config.keys.length;
  const runs = countRunsPerMonth(scenario.config.schedule);
  const nat = resourcesOf(template, 'AWS::EC2::NatGateway').length;
  const addresses = resourcesOf(template, 'AWS::EC2::EIP').length;
  const flowLogs = resourcesOf(template, 'AWS::EC2::FlowLog').length;
  const natGb = (runs * keys * NAT_BYTES_PER_KEY_RUN) / GB;
  const flowGb = (flowLogs * runs * keys * FLOW_LOG_RECORDS_PER_KEY_RUN * FLOW_LOG_RECORD_BYTES) / GB;
  return [
    { item: `NAT gateway (${nat}, $${NAT_GATEWAY_HOUR_USD} an hour)`, usd: [nat * HOURS_PER_MONTH * NAT_GATEWAY_HOUR_USD] },
    {
      item: `NAT gateway data ($${NAT_GATEWAY_GB_USD} per GB; ~${NAT_BYTES_PER_KEY_RUN / 1000} KB a key a run, estimated)`,
      usd: [natGb * NAT_GATEWAY_GB_USD],
    },
    {
      item: `Public IPv4 address of the Elastic IP (${addresses}, $${PUBLIC_IPV4_HOUR_USD} an hour)`,
      usd: [addresses * HOURS_PER_MONTH * PUBLIC_IPV4_HOUR_USD],
    },
    { item: `VPC flow logs to CloudWatch Logs ($${VENDED_LOGS_GB_USD.toFixed(2)} per GB; estimated)`, usd: [flowGb * VENDED_LOGS_GB_USD] },
    { item: 'VPC, subnets, security group, DynamoDB gateway endpoint', usd: [0] },
  ];
}

/** The options of {@link simulateRuns}. */
export interface SimulateOptions {
  /** Runs to simulate, the first one cold. */
  readonly runs: number;
  /** Real time and latency ({@link MEASURE_EXCHANGE_LATENCY_MS}, {@link MEASURE_AWS_LATENCY_MS}) instead of a virtual clock; returns durations. */
  readonly realTime?: boolean;
}

/**
 * Runs the real handler `runs` times as scheduled (the first cold) for `config`, against the exchange
 * simulators of test/support with counting Secrets Manager, DynamoDB and SNS clients, and returns its
 * usage per run and each run's wall time. On a virtual clock unless `realTime`.
 */
export async function simulateRuns(
  config: Config,
  metrics: KeyMetricSet,
  options: SimulateOptions,
): Promise<{ usage: RunUsage; wallMs: number[]; cpuMs: number[] }> {
  // The alert state lives in dynalite, a DynamoDB running in this process: the handler's real reads and writes.
  const local = await startDynalite();
  try {
    return await simulateRunsOn(local, config, metrics, options);
  } finally {
    await local.stop();
  }
}

const STATE_TABLE_NAME = 'KeyHealth-StateTable-1A2B3C4D5E6F7';

async function simulateRunsOn(
  local: LocalDynamo,
  config: Config,
  metrics: KeyMetricSet,
  options: SimulateOptions,
): Promise<{ usage: RunUsage; wallMs: number[]; cpuMs: number[] }> {
  await local.createTable(STATE_TABLE_NAME);
  const interval = parseScheduleInterval(config.schedule);
  if (!interval) throw new Error('simulating needs a rate(...) schedule');
  let virtualNow = Date.parse('2026-11-27T10:00:00.000Z');
  const sleepReal = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
  const clock: Clock = options.realTime
    ? SYSTEM_CLOCK
    : {
        now: () => virtualNow,
        sleep: async (ms) => {
          virtualNow += ms;
        },
      };
  const awsLatency = () => (options.realTime ? sleepReal(MEASURE_AWS_LATENCY_MS) : Promise.resolve());

  const exchanges: string[] = [...new Set(config.keys.map((key) => key.exchange))];
  const port = (exchange: string) => 20_000 + exchanges.indexOf(exchange);
  const simulators = new Map(exchanges.map((id) => [id, loadSimulatedExchange(id)]));
  const simKeys = new Map(exchanges.map((id) => [id, new Map<string, SimKey>()]));
  const secretTexts = new Map<string, string>();
  const keys: KeyConfig[] = config.keys.map((key) => {
    const simulator = simulators.get(key.exchange);
    if (!simulator) throw new Error(`no simulator for ${key.exchange}`);
    const { simKey, secret } = simulator.makeKey(key.name);
    simKeys.get(key.exchange)?.set(simKey.apiKey, simKey);
    secretTexts.set(key.secretId ?? key.name, JSON.stringify(secret));
    return { ...key, expect: { ...key.expect, ...simulator.expect }, baseUrl: `http://127.0.0.1:${port(key.exchange)}` };
  });

  const counts = { exchange: 0, reads: 0, writes: 0, sm: {} as Record<string, number> };
  const transport: Transport = async (request) => {
    const url = new URL(request.url);
    const exchange = exchanges[Number(url.port) - 20_000];
    const simulator = exchange === undefined ? undefined : simulators.get(exchange);
    if (!exchange || !simulator) throw new Error(`no simulator at ${url.origin}`);
    counts.exchange += 1;
    if (options.realTime) await sleepReal(REQUEST_MS / 2);
    else virtualNow += REQUEST_MS / 2;
    const serverNowMs = clock.now();
    const answer = simulator.handler(
      {
        method: request.method,
        path: url.pathname,
        query: url.search.replace(/^\?/, ''),
        headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value])),
        body: request.body ?? '',
        serverNowMs,
        remoteAddress: '127.0.0.1',
      },
      simKeys.get(exchange) ?? new Map(),
    );
    if (options.realTime) await sleepReal(REQUEST_MS / 2);
    else virtualNow += REQUEST_MS / 2;
    const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    return {
      status: answer.status,
      headers: { 'content-type': 'application/json', date: new Date(serverNowMs).toUTCString(), ...headers },
      body: answer.body,
    };
  };

  // A key stored yesterday: well inside any rotation window, so every key is healthy and no alert goes out.
  const created = new Date(virtualNow - MS_PER_DAY);
  const countSm = (operation: string) => {
    counts.sm[operation] = (counts.sm[operation] ?? 0) + 1;
  };
  const secretsManager = {
    send: async (command: unknown) => {
      await awsLatency();
      const input = (command as { input: { SecretId: string } }).input;
      if (command instanceof GetSecretValueCommand) {
        countSm('GetSecretValue');
        return { SecretString: secretTexts.get(input.SecretId), VersionId: 'v1', CreatedDate: created };
      }
      if (command instanceof DescribeSecretCommand) {
        countSm('DescribeSecret');
        return { CreatedDate: created, LastChangedDate: created, RotationEnabled: false, VersionIdsToStages: { v1: ['AWSCURRENT'] } };
      }
      if (command instanceof ListSecretVersionIdsCommand) {
        countSm('ListSecretVersionIds');
        return { Versions: [] };
      }
      throw new Error('unexpected Secrets Manager call');
    },
  } as unknown as SecretsManagerClient;
  const dynamodb = {
    send: async (command: unknown) => {
      await awsLatency();
      // Alert-state items stay under 1 KB: a strongly consistent read of one is a whole unit, a write one unit.
      if (command instanceof BatchGetItemCommand)
        for (const request of Object.values(command.input.RequestItems ?? {})) counts.reads += request.Keys?.length ?? 0;
      else if (command instanceof GetItemCommand) counts.reads += command.input.ConsistentRead ? 1 : 0.5;
      else if (command instanceof UpdateItemCommand) counts.writes += 1;
      else throw new Error('unexpected DynamoDB call');
      return local.client.send(command as never);
    },
  } as unknown as DynamoDBClient;
  const sns = { send: async () => ({ MessageId: 'm-1' }) } as unknown as SNSClient;
  const env = {
    KEY_HEALTH_CONFIG: serializeLambdaConfig({ ...config, keys }),
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:KeyHealth-AlertsTopic-AbCdEf012345',
    STATE_TABLE_NAME: STATE_TABLE_NAME,
    DASHBOARD_NAME: 'KeyHealth-key-health',
    AWS_REGION: 'us-east-1',
    [KEY_METRICS_ENV]: metrics,
  };
  const context = { getRemainingTimeInMillis: () => 120_000, functionName: 'KeyHealth-CheckerFunction', awsRequestId: REQUEST_ID };
  const handler = createHandler({ secretsManager, sns, dynamodb, env, transport, clock });

  let logBytes = 0;
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const startedAt = virtualNow;
    const lines: string[] = [];
    const write = process.stdout.write;
    // The handler's own lines, exactly as it writes them to stdout in Lambda.
    process.stdout.write = ((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line !== ''),
      );
      return true;
    }) as typeof process.stdout.write;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let report: Awaited<ReturnType<typeof handler>>;
    try {
      report = await handler(SCHEDULED_EVENT, context);
    } finally {
      process.stdout.write = write;
    }
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    wallMs.push(elapsed);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    const unhealthy = report.results.find((r) => r.status === 'critical' || r.status === 'unknown');
    if (unhealthy)
      throw new Error(`the simulated key ${unhealthy.name} is ${unhealthy.status}: ${unhealthy.findings.map((f) => f.code).join(', ')}`);
    for (const line of [...lines, ...PLATFORM_LINES]) logBytes += Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES;
    virtualNow = startedAt + interval.toMilliseconds();
  }
  const perRun = (n: number) => n / options.runs;
  return {
    usage: {
      secretsManagerCalls: Object.fromEntries(Object.entries(counts.sm).map(([op, n]) => [op, perRun(n)])),
      dynamoReadUnits: perRun(counts.reads),
      dynamoWriteUnits: perRun(counts.writes),
      logBytes: perRun(logBytes),
      exchangeRequests: perRun(counts.exchange),
    },
    wallMs,
    cpuMs,
  };
}

/**
 * Lambda's own START, END and REPORT lines of one invocation, in the text log format (Lambda
 * Developer Guide, "Working with Lambda function logs"), with typical figures so the count is stable.
 */
const PLATFORM_LINES = [
  `START RequestId: ${REQUEST_ID} Version: $LATEST`,
  `END RequestId: ${REQUEST_ID}`,
  `REPORT RequestId: ${REQUEST_ID}\tDuration: 1234.56 ms\tBilled Duration: 1235 ms\tMemory Size: 256 MB\tMax Memory Used: 128 MB\t`,
];

/** Runs in one cycle between cold starts at `schedule`. */
function runsPerCycle(schedule: string): number {
  const interval = parseScheduleInterval(schedule);
  if (!interval) throw new Error(`cannot simulate "${schedule}": give a rate(...) schedule`);
  return Math.max(1, Math.round(MS_PER_DAY / COLD_STARTS_PER_DAY / interval.toMilliseconds()));
}

/** Synthesizes and simulates one config document: a column of the table. */
export async function buildScenario(label: string, document: unknown): Promise<Scenario> {
  const template = synthesizeTemplate(document);
  const config = parseConfig(document, { requireSecretId: true });
  const { metrics } = findScheduledFunction(template);
  const { usage } = await simulateRuns(config, metrics, { runs: runsPerCycle(config.schedule) });
  return { label, config, template, usage, runMs: estimateRunMs(config.keys.length) };
}

/** Prices the scenarios side by side, with static egress priced from a second synthesis of each. */
export function buildCostTable(scenarios: readonly Scenario[], egressTemplates: readonly TemplateJson[]): CostTable {
  const priced = scenarios.map((scenario) => priceStack(scenario));
  const merge = (rows: CostLine[][]): CostLine[] =>
    (rows[0] ?? []).map((line, i) => {
      const details = [...new Set(rows.map((r) => r[i]?.detail?.[0] ?? ''))];
      return { item: line.item.replace('{}', details.join(' / ')), usd: rows.map((r) => r[i]?.usd[0] ?? 0) };
    });
  const lines = merge(priced.map((p) => p.lines));
  const egress = merge(scenarios.map((scenario, i) => priceStaticEgress(egressTemplates[i] ?? scenario.template, scenario)));
  const sum = (rows: readonly CostLine[], column: number) => rows.reduce((total, row) => total + Number(row.usd[column] ?? 0), 0);
  return {
    scenarios,
    lines,
    totals: scenarios.map((_, i) => sum(lines, i)),
    beside: merge(priced.map((p) => p.beside)),
    egress,
    egressTotals: scenarios.map((_, i) => sum(egress, i)),
  };
}

/** Dollars as the README writes them: cents, "< $0.01" for a cost too small to show, words as they are. */
export function formatUsd(value: number | string): string {
  if (typeof value === 'string') return value;
  if (value > 0 && value < 0.005) return '< $0.01';
  return `$${value.toFixed(2)}`;
}

/** The README's cost section: the run count, the table, the opt-ins, and what static egress adds. */
export function renderCostSection(table: CostTable): string {
  const first = table.scenarios[0];
  if (!first) throw new Error('no scenario to render');
  const schedule = first.config.schedule;
  const header = `| item | ${table.scenarios.map((s) => s.label).join(' | ')} |\n|---|${table.scenarios.map(() => '---|').join('')}`;
  const row = (line: CostLine) => `| ${line.item} | ${line.usd.map(formatUsd).join(' | ')} |`;
  const totalRow = (label: string, totals: readonly number[]) =>
    `| **${label}** | ${totals.map((t) => `**${formatUsd(t)}**`).join(' | ')} |`;
  return [
    `At \`${schedule}\` (${countRunsPerMonth(schedule).toLocaleString('en-US')} runs a month), us-east-1 list prices before the free tier, as \`npm run cost\` computes them from the synthesized stack and a simulated day of runs:`,
    '',
    header,
    ...table.lines.map(row),
    totalRow('total', table.totals),
    ...table.beside.map(row),
    '',
    `Per-key custom metrics are opt-in: \`-c keyHealthMetrics=status\` adds $${CUSTOM_METRIC_MONTH_USD.toFixed(2)} a key (StatusLevel, for an alarm per key), \`-c keyHealthMetrics=all\` $${(listDeclaredMetrics('all').length * CUSTOM_METRIC_MONTH_USD).toFixed(2)} a key (${listDeclaredMetrics('all').length} metrics). The dashboard reads the same figures from the log lines either way.`,
    '',
    'The static egress address (`-c keyHealthStaticEgress=true`, [Keys with an IP allow-list](#keys-with-an-ip-allow-list)) adds:',
    '',
    header,
    ...table.egress.map(row),
    totalRow('total', table.egressTotals),
  ].join('\n');
}

/** The README's cost section for the example config with 1 and 10 keys, and the table behind it. */
export async function computeReadmeCost(keyCounts: readonly number[] = README_KEY_COUNTS): Promise<{ section: string; table: CostTable }> {
  const documents = keyCounts.map((count) => exampleConfigDocument(count));
  const scenarios: Scenario[] = [];
  for (const [i, document] of documents.entries()) {
    const count = keyCounts[i] ?? 1;
    scenarios.push(await buildScenario(count === 1 ? '1 key' : `${count} keys`, document));
  }
  const egress = documents.map((document) => synthesizeTemplate(document, { [STATIC_EGRESS_CONTEXT_KEY]: 'true' }));
  const table = buildCostTable(scenarios, egress);
  return { section: renderCostSection(table), table };
}

/** The text between the README's cost markers, trimmed. */
export function readReadmeCostSection(readme = readFileSync(README_PATH, 'utf8')): string | undefined {
  return readme.split(`<!-- ${COST_SECTION}:start -->`)[1]?.split(`<!-- ${COST_SECTION}:end -->`)[0]?.trim();
}

async function measure(): Promise<void> {
  for (const count of README_KEY_COUNTS) {
    const config = parseConfig(exampleConfigDocument(count), { requireSecretId: true });
    const { wallMs, cpuMs } = await simulateRuns(config, DEFAULT_KEY_METRIC_SET, { runs: 6, realTime: true });
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const wall = median(wallMs.slice(1));
    const cpu = median(cpuMs.slice(1));
    process.stdout.write(
      `${count} key(s): warm run ${Math.round(wall)} ms wall, ${Math.round(cpu)} ms CPU (simulator included), ` +
        `so ${Math.round(wall + (LAMBDA_CPU_SLOWDOWN - 1) * cpu)} ms at a seventh of a vCPU (median of ${wallMs.length - 1}), ` +
        `${MEASURE_ROUND_TRIPS_PER_REQUEST} round trips of ${MEASURE_EXCHANGE_LATENCY_MS} ms per exchange request, ${MEASURE_AWS_LATENCY_MS} ms per AWS call\n`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      write: { type: 'boolean', default: false },
      measure: { type: 'boolean', default: false },
      keys: { type: 'string' },
      config: { type: 'string' },
    },
  });
  if (values.measure) return measure();
  if (values.config !== undefined) {
    const document = JSON.parse(readFileSync(resolve(values.config), 'utf8')) as unknown;
    const scenario = await buildScenario('your config', document);
    const egress = synthesizeTemplate(document, { [STATIC_EGRESS_CONTEXT_KEY]: 'true' });
    process.stdout.write(`${renderCostSection(buildCostTable([scenario], [egress]))}\n`);
    return;
  }
  const counts = values.keys === undefined ? [...README_KEY_COUNTS] : values.keys.split(',').map((n) => Number(n.trim()));
  if (counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--keys takes whole numbers, e.g. --keys 1,10,50; got ${values.keys}`);
  const { section } = await computeReadmeCost(counts);
  if (!values.write) {
    process.stdout.write(`${section}\n`);
    return;
  }
  const before = readFileSync(README_PATH, 'utf8');
  const after = applySections(before, { [COST_SECTION]: section });
  if (after === before) process.stdout.write('README.md: the cost block is up to date.\n');
  else {
    writeFileSync(README_PATH, after);
    process.stdout.write('README.md: the cost block rewritten.\n');
  }
}

if (require.main === module)
  main().catch((error: unknown) => {
    process.stderr.write(`cost failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
