import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ConfigError } from '../lambda/errors';
import { parseScheduleInterval } from './parse-schedule-interval';

/** Properties of {@link CheckerAlarms}. */
export interface CheckerAlarmsProps {
  /** The function watched. */
  readonly function: lambda.IFunction;
  /** The function's EventBridge schedule expression; it sets how long a silence is a missed run. */
  readonly schedule: string;
  /** Where the alarms and their recoveries are sent. */
  readonly action: cloudwatch.IAlarmAction;
}

/** How a missed-run alarm looks at the Invocations metric. */
export interface MissedRunWindow {
  readonly period: Duration;
  /** Consecutive periods without an invocation before the alarm fires. */
  readonly periods: number;
}

const DAY_MINUTES = 24 * 60;
// CloudWatch caps period × evaluation periods at 7 days (1 day for periods under an hour).
const MAX_WINDOW_DAYS = 7;

/**
 * The missed-run window for a schedule: two consecutive schedule periods without an invocation, so
 * that EventBridge's jitter moving one run across a period boundary does not page anyone. Periods
 * longer than a day are watched in one-day periods; `cron(...)` gets one day in hourly periods.
 */
export function computeMissedRunWindow(schedule: string): MissedRunWindow {
  const interval = parseScheduleInterval(schedule);
  if (!interval) return { period: Duration.hours(1), periods: 24 };
  const minutes = interval.toMinutes();
  if (minutes <= DAY_MINUTES) return { period: interval, periods: 2 };
  const days = Math.ceil(minutes / DAY_MINUTES);
  if (days + 1 > MAX_WINDOW_DAYS)
    throw new ConfigError([
      `schedule: the missed-run alarm can watch at most ${MAX_WINDOW_DAYS} days (a CloudWatch limit); use rate(${MAX_WINDOW_DAYS - 1} days) or more often, got "${schedule}"`,
    ]);
  return { period: Duration.days(1), periods: days + 1 };
}

/**
 * The monitor watching itself: an alarm when the function fails and one when it stops being invoked
 * (missing data counts as missing runs), each sending its alarm and its recovery to the alert topic.
 */
export class CheckerAlarms extends Construct {
  /** Fires on any function error (a crashed run or alerts that could not be published). */
  readonly errors: cloudwatch.Alarm;
  /** Fires when scheduled runs stop happening. */
  readonly missedRuns: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CheckerAlarmsProps) {
    super(scope, id);
    const window = computeMissedRunWindow(props.schedule);
    if (!parseScheduleInterval(props.schedule))
      Annotations.of(this).addWarningV2(
        'key-health:cronMissedRunWindow',
        `The missed-run alarm assumes a cron schedule runs at least once a day ("${props.schedule}").`,
      );

    this.errors = new cloudwatch.Alarm(this, 'Errors', {
      alarmDescription:
        'key-health: the checker function failed (crashed, timed out, or could not publish alerts). Its log group has the details; keys may be unchecked until it recovers.',
      metric: props.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // Between runs there is no data; keep the state until a run succeeds (Errors = 0) so OK means recovered.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    this.missedRuns = new cloudwatch.Alarm(this, 'MissedRuns', {
      alarmDescription: `key-health: the checker function was not invoked for ${window.periods} periods of ${window.period.toHumanString()} (schedule ${props.schedule}). Check the EventBridge rule, the function's throttles and the account's Lambda concurrency.`,
      metric: props.function.metricInvocations({ period: window.period, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: window.periods,
      datapointsToAlarm: window.periods,
      // A function that is never invoked publishes no Invocations data at all.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const notify = props.action;
    for (const alarm of [this.errors, this.missedRuns]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
  }
}
