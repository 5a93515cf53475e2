import { DAY_MS } from './duration';
import { type EnvVars, readVar } from './env';
import { EnvError } from './errors';
import { rankStatus, type Status } from './findings';
import type { KeyResult, Report } from './report';

/** The CloudWatch namespace of key-health's per-key metrics. */
export const METRICS_NAMESPACE = 'KeyHealth';

/** The one dimension set of every metric: the key's configured name and its exchange id. */
export const METRIC_DIMENSIONS = ['Key', 'Exchange'] as const;

/** Each metric's name and CloudWatch unit (CloudWatch has no day unit, so day counts are `None`). */
export const KEY_METRICS = {
  /** 1 when the key works (status ok or warning), 0 when critical; absent when unknown (could not tell). */
  Healthy: 'Count',
  /** The key's status as a number that sorts and graphs by severity: 0 ok, 1 warning, 2 unknown, 3 critical. */
  StatusLevel: 'None',
  ClockOffsetMs: 'Milliseconds',
  LatencyMs: 'Milliseconds',
  /** Days from now to `expiry.nextRotationAt`; negative when overdue. */
  DaysToRotation: 'None',
  /** Days from now to `expiry.exchangeExpiresAt`; negative once expired. */
  DaysToExpiry: 'None',
} as const;

/** The name of one per-key metric. */
export type KeyMetricName = keyof typeof KEY_METRICS;

/**
 * Which figures of a key line CloudWatch also stores as custom metrics ($0.30 each a month):
 * `none` (the line is a plain log line that the dashboard queries), `status` (StatusLevel, for an
 * alarm per key), `all` (every metric of {@link KEY_METRICS}).
 */
export const KEY_METRIC_SETS = ['none', 'status', 'all'] as const;

/** One of {@link KEY_METRIC_SETS}. */
export type KeyMetricSet = (typeof KEY_METRIC_SETS)[number];

/** No custom metrics: the dashboard reads the same figures from the log lines with Logs Insights, for cents. */
export const DEFAULT_KEY_METRIC_SET: KeyMetricSet = 'none';

/** The Lambda environment variable naming the {@link KeyMetricSet}; unset means {@link DEFAULT_KEY_METRIC_SET}. */
export const KEY_METRICS_ENV = 'KEY_HEALTH_METRICS';

const DECLARED: Readonly<Record<KeyMetricSet, readonly KeyMetricName[]>> = {
  none: [],
  status: ['StatusLevel'],
  all: Object.keys(KEY_METRICS) as KeyMetricName[],
};

/** The metrics a key line declares under `set` (when the key has a value for them). */
export function listDeclaredMetrics(set: KeyMetricSet): readonly KeyMetricName[] {
  return DECLARED[set];
}

/** Reads a {@link KeyMetricSet} from its name; throws naming the accepted ones. */
export function parseKeyMetricSet(raw: string): KeyMetricSet {
  const value = raw.trim();
  const found = KEY_METRIC_SETS.find((set) => set === value);
  if (found === undefined) throw new Error(`must be one of ${KEY_METRIC_SETS.join(', ')}, got ${JSON.stringify(raw)}`);
  return found;
}

/** The metric set the Lambda environment asks for ({@link KEY_METRICS_ENV}); throws {@link EnvError} for a bad value. */
export function readKeyMetricSet(env: EnvVars): KeyMetricSet {
  const problems: string[] = [];
  const set = readVar(env, KEY_METRICS_ENV, parseKeyMetricSet, problems, { optional: true });
  if (problems.length > 0) throw new EnvError(problems);
  return set ?? DEFAULT_KEY_METRIC_SET;
}

/** Options for {@link formatMetricLines}. */
export interface MetricLineOptions {
  /** The CloudWatch namespace, normally {@link METRICS_NAMESPACE}. */
  readonly namespace: string;
  /** The metrics' timestamp, and the instant days are counted from. */
  readonly nowMs: number;
  /**
   * Which figures are declared as CloudWatch embedded metrics.
   * @default DEFAULT_KEY_METRIC_SET
   */
  readonly metrics?: KeyMetricSet;
}

/**
 * One JSON line per key of the report with its figures (the fields Key, Exchange, Status, Codes and
 * those of {@link KEY_METRICS}), which the dashboard queries with Logs Insights; the figures of
 * `options.metrics` are also declared in CloudWatch embedded metric format, dimensioned by Key and
 * Exchange. A figure whose value is unknown is left out, never written as null.
 */
export function formatMetricLines(report: Report, options: MetricLineOptions): string[] {
  return report.results.map((result) => formatKeyLine(result, options));
}

function formatKeyLine(result: KeyResult, { namespace, nowMs, metrics = DEFAULT_KEY_METRIC_SET }: MetricLineOptions): string {
  const values: Record<KeyMetricName, number | null> = {
    Healthy: healthyOf(result.status),
    StatusLevel: rankStatus(result.status),
    ClockOffsetMs: result.clock.offsetMs,
    LatencyMs: result.latencyMs,
    DaysToRotation: daysUntil(result.expiry.nextRotationAt, nowMs),
    DaysToExpiry: daysUntil(result.expiry.exchangeExpiresAt, nowMs),
  };
  const present = (Object.keys(KEY_METRICS) as KeyMetricName[]).flatMap((name) => {
    const value = values[name];
    // JSON.stringify writes NaN and Infinity as null, which EMF rejects.
    return value !== null && Number.isFinite(value) ? [[name, value] as const] : [];
  });
  const declared = present.filter(([name]) => DECLARED[metrics].includes(name));
  return JSON.stringify({
    // Without a declared metric the line carries no _aws block: EMF needs at least one metric, and
    // a plain JSON line costs only its log ingestion.
    ...(declared.length > 0 && {
      _aws: {
        Timestamp: Math.round(nowMs),
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [[...METRIC_DIMENSIONS]],
            Metrics: declared.map(([name]) => ({ Name: name, Unit: KEY_METRICS[name] })),
          },
        ],
      },
    }),
    Key: result.name,
    Exchange: result.exchange,
    ...Object.fromEntries(present),
    Status: result.status,
    // One string, so a Logs Insights table shows it whole and `filter Codes like /CLOCK_/` works.
    Codes: [...new Set(result.findings.map((f) => f.code))].join(' '),
  });
}

function healthyOf(status: Status): number | null {
  if (status === 'unknown') return null;
  return status === 'critical' ? 0 : 1;
}

function daysUntil(iso: string | null, nowMs: number): number | null {
  if (iso === null) return null;
  const atMs = Date.parse(iso);
  // Two decimals (about 15 minutes) are enough for a graph and keep the line short.
  return Number.isNaN(atMs) ? null : Math.round(((atMs - nowMs) / DAY_MS) * 100) / 100;
}
