import { DAY_MS } from './duration';
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

/** Options for {@link formatMetricLines}. */
export interface MetricLineOptions {
  /** The CloudWatch namespace, normally {@link METRICS_NAMESPACE}. */
  readonly namespace: string;
  /** The metrics' timestamp, and the instant days are counted from. */
  readonly nowMs: number;
}

/**
 * One CloudWatch embedded-metric-format JSON line per key of the report, dimensioned by Key and
 * Exchange; a metric whose value is unknown is left out of that line, never written as null.
 */
export function formatMetricLines(report: Report, options: MetricLineOptions): string[] {
  return report.results.map((result) => formatKeyLine(result, options));
}

function formatKeyLine(result: KeyResult, { namespace, nowMs }: MetricLineOptions): string {
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
  return JSON.stringify({
    _aws: {
      Timestamp: Math.round(nowMs),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [[...METRIC_DIMENSIONS]],
          Metrics: present.map(([name]) => ({ Name: name, Unit: KEY_METRICS[name] })),
        },
      ],
    },
    Key: result.name,
    Exchange: result.exchange,
    ...Object.fromEntries(present),
    // Not metrics: searchable in Logs Insights (a status table per key) without adding custom metrics.
    Status: result.status,
    Codes: result.findings.map((f) => f.code),
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
