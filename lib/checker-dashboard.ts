import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { KeyConfig } from '../lambda/config';
import { rankStatus, STATUSES } from '../lambda/findings';
import { type KeyMetricName, METRIC_DIMENSIONS, METRICS_NAMESPACE } from '../lambda/metrics';
import { parseScheduleInterval } from './parse-schedule-interval';

/** Properties of {@link CheckerDashboard}. */
export interface CheckerDashboardProps {
  /** The checked keys; each gets its own row and lines. */
  readonly keys: readonly Pick<KeyConfig, 'name' | 'exchange'>[];
  /** The checker function, for its invocations, errors and duration. */
  readonly function: lambda.Function;
  /** The function's schedule expression; one data point per run sets the graphs' period. */
  readonly schedule: string;
  /**
   * Alarms shown at the top (the monitor watching itself).
   * @default - no alarm widget
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /**
   * The dashboard's name, so that alerts can link to it.
   * @default - named by CloudFormation
   */
  readonly dashboardName?: string;
}

// Colours of the CloudWatch console palette, so the table reads like the alarm widget next to it.
const RED = '#d62728';
const ORANGE = '#ff7f0e';
const FULL_WIDTH = 24;
// The handler writes these two dimensions, in this order, on every metric line.
const [KEY_DIMENSION, EXCHANGE_DIMENSION] = METRIC_DIMENSIONS;

/**
 * The graph period for a schedule: one run per period, so every point is one run. `cron(...)` gaps
 * vary and get an hour; longer intervals are shown per day (a wider period would leave the default
 * three-hour view empty).
 */
export function computeDashboardPeriod(schedule: string): Duration {
  const interval = parseScheduleInterval(schedule);
  if (!interval) return Duration.hours(1);
  return interval.toSeconds() > Duration.days(1).toSeconds() ? Duration.days(1) : interval;
}

/**
 * A CloudWatch dashboard of the keys' embedded metrics (status, clock offset, latency, days to
 * rotation and expiry), each key named explicitly since the keys are known at synth, and of the
 * checker function's own health.
 */
export class CheckerDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: CheckerDashboardProps) {
    super(scope, id);
    const period = computeDashboardPeriod(props.schedule);
    const keyMetric = (key: Pick<KeyConfig, 'name' | 'exchange'>, metricName: KeyMetricName, statistic: string, label = key.name) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [KEY_DIMENSION]: key.name, [EXCHANGE_DIMENSION]: key.exchange },
        statistic,
        period,
        label,
      });
    const keys = props.keys;
    const legend = STATUSES.map((status) => `**${rankStatus(status)}** ${status}`).join(' · ');
    const fn = props.function;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(24),
      ...(props.dashboardName !== undefined && { dashboardName: props.dashboardName }),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: [
          '# key-health',
          `Status level per key: ${legend} (the worst of each period). Healthy keys counts keys that are ok or warning; a key that could not be checked (unknown) is not counted. Checks run on \`${props.schedule}\`; each point is one run.`,
        ].join('\n'),
        width: FULL_WIDTH,
        height: 2,
      }),
    );
    const healthyIds = keys.map((_, i) => `healthy${i}`);
    this.dashboard.addWidgets(
      new cloudwatch.TableWidget({
        title: 'Status level per key',
        metrics: keys.map((key) => keyMetric(key, 'StatusLevel', cloudwatch.Stats.MAXIMUM)),
        // Levels are whole numbers; half steps keep each colour to its levels whatever the bounds' inclusiveness.
        thresholds: [
          cloudwatch.TableThreshold.between(rankStatus('warning') - 0.5, rankStatus('critical') - 0.5, ORANGE),
          cloudwatch.TableThreshold.above(rankStatus('critical') - 0.5, RED),
        ],
        summary: { columns: [cloudwatch.TableSummaryColumn.MAXIMUM], sticky: true },
        width: 12,
        height: Math.max(6, keys.length + 3),
      }),
      new cloudwatch.SingleValueWidget({
        title: 'Healthy keys',
        metrics: [
          new cloudwatch.MathExpression({
            expression: `SUM([${healthyIds.join(',')}])`,
            usingMetrics: Object.fromEntries(keys.map((key, i) => [healthyIds[i], keyMetric(key, 'Healthy', cloudwatch.Stats.MINIMUM)])),
            label: `healthy of ${keys.length}`,
            period,
          }),
        ],
        width: 4,
        height: 6,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'The monitor itself', alarms: [...(props.alarms ?? [])], width: 8, height: 6 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Clock offset (ms, ours minus the exchange’s)',
        left: keys.map((key) => keyMetric(key, 'ClockOffsetMs', cloudwatch.Stats.AVERAGE)),
        leftAnnotations: [{ value: 0, label: 'in sync' }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Latency (ms)',
        left: keys.map((key) => keyMetric(key, 'LatencyMs', cloudwatch.Stats.MAXIMUM)),
        leftYAxis: { min: 0 },
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Days to rotation and to exchange-side expiry',
        left: keys.flatMap((key) => [
          keyMetric(key, 'DaysToRotation', cloudwatch.Stats.MINIMUM, `${key.name} rotation`),
          keyMetric(key, 'DaysToExpiry', cloudwatch.Stats.MINIMUM, `${key.name} expiry`),
        ]),
        leftAnnotations: [{ value: 0, label: 'overdue', color: RED }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Checker runs',
        left: [
          fn.metricInvocations({ statistic: cloudwatch.Stats.SUM, period, label: 'invocations' }),
          fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period, label: 'errors', color: RED }),
          fn.metricThrottles({ statistic: cloudwatch.Stats.SUM, period, label: 'throttles', color: ORANGE }),
        ],
        leftYAxis: { min: 0 },
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Checker duration (ms)',
        left: [
          fn.metricDuration({ statistic: cloudwatch.Stats.AVERAGE, period, label: 'average' }),
          fn.metricDuration({ statistic: cloudwatch.Stats.MAXIMUM, period, label: 'maximum' }),
        ],
        leftAnnotations: fn.timeout ? [{ value: fn.timeout.toMilliseconds(), label: 'timeout', color: RED }] : [],
        leftYAxis: { min: 0 },
        width: 6,
      }),
    );
  }
}
