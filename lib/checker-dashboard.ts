import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { KeyConfig } from '../lambda/config';
import { rankStatus, STATUSES } from '../lambda/findings';
import type { KeyMetricName } from '../lambda/metrics';
import { parseScheduleInterval } from './parse-schedule-interval';

/** Properties of {@link CheckerDashboard}. */
export interface CheckerDashboardProps {
  /** The checked keys; the table gets a row for each. */
  readonly keys: readonly Pick<KeyConfig, 'name' | 'exchange'>[];
  /** The checker function, for its invocations, errors and duration. */
  readonly function: lambda.Function;
  /** The function's log group: its key lines hold every per-key figure the dashboard shows. */
  readonly logGroup: logs.ILogGroup;
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

// Colours of the CloudWatch console palette, so the graphs read like the alarm widget next to them.
const RED = '#d62728';
const ORANGE = '#ff7f0e';
const FULL_WIDTH = 24;

/** Only the handler's key lines carry StatusLevel; other log lines (and dry runs, which write none) are left out. */
const KEY_LINES = 'filter ispresent(StatusLevel)';

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
 * The Logs Insights queries behind the per-key widgets, by widget title, each as the lines that
 * LogQueryWidget joins with `|`; `period` is the bin of the graphs.
 */
export function buildKeyQueries(period: Duration): Record<string, string[]> {
  const bin = `bin(${period.toSeconds()}s)`;
  const overTime = (name: KeyMetricName, statistic: 'avg' | 'max' | 'min') => [
    `filter ispresent(${name})`,
    `stats ${statistic}(${name}) by Key, ${bin}`,
  ];
  return {
    Keys: [
      KEY_LINES,
      'stats latest(Status) as status, latest(Codes) as codes, latest(StatusLevel) as level, max(StatusLevel) as worstLevel, ' +
        'latest(ClockOffsetMs) as offsetMs, latest(LatencyMs) as latencyMs, latest(DaysToRotation) as daysToRotation, ' +
        'latest(DaysToExpiry) as daysToExpiry, max(@timestamp) as lastCheck by Key, Exchange',
      'sort level desc',
    ],
    'Keys by status (latest check)': [KEY_LINES, 'stats latest(Status) as status by Key', 'stats count(*) as keys by status'],
    'Clock offset (ms, ours minus the exchange’s)': overTime('ClockOffsetMs', 'avg'),
    'Latency (ms)': overTime('LatencyMs', 'max'),
    'Days to rotation': overTime('DaysToRotation', 'min'),
    'Days to exchange-side expiry': overTime('DaysToExpiry', 'min'),
  };
}

/**
 * A CloudWatch dashboard of the keys (a table of each key's status, codes and figures, keys by
 * status, clock offset, latency, days to rotation and expiry over time), read with Logs Insights
 * from the function's key lines instead of custom metrics, and of the checker function's own health.
 */
export class CheckerDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: CheckerDashboardProps) {
    super(scope, id);
    const period = computeDashboardPeriod(props.schedule);
    const queries = buildKeyQueries(period);
    const logGroupNames = [props.logGroup.logGroupName];
    const keyWidget = (title: string, view: cloudwatch.LogQueryVisualizationType, width: number, height = 6) =>
      new cloudwatch.LogQueryWidget({ title, logGroupNames, queryLines: queries[title], view, width, height });
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
          `Status level: ${legend}; \`worstLevel\` is the worst in the time range. Checks run on \`${props.schedule}\`; each point is one run. The key figures are read from the checker's log lines (kept 30 days) with Logs Insights, billed per GB scanned: a day of lines is a few MB.`,
        ].join('\n'),
        width: FULL_WIDTH,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      keyWidget('Keys', cloudwatch.LogQueryVisualizationType.TABLE, FULL_WIDTH, Math.max(6, props.keys.length + 3)),
    );
    this.dashboard.addWidgets(
      keyWidget('Keys by status (latest check)', cloudwatch.LogQueryVisualizationType.PIE, 6),
      new cloudwatch.AlarmStatusWidget({ title: 'The monitor itself', alarms: [...(props.alarms ?? [])], width: 6, height: 6 }),
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
    this.dashboard.addWidgets(
      keyWidget('Clock offset (ms, ours minus the exchange’s)', cloudwatch.LogQueryVisualizationType.LINE, 12),
      keyWidget('Latency (ms)', cloudwatch.LogQueryVisualizationType.LINE, 12),
    );
    this.dashboard.addWidgets(
      keyWidget('Days to rotation', cloudwatch.LogQueryVisualizationType.LINE, 12),
      keyWidget('Days to exchange-side expiry', cloudwatch.LogQueryVisualizationType.LINE, 12),
    );
  }
}
