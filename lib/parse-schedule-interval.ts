import { Duration } from 'aws-cdk-lib';

const RATE = /^rate\(\s*([1-9][0-9]*)\s+(minute|hour|day)s?\s*\)$/;

/** The fixed interval of an EventBridge `rate(...)` expression; `undefined` for `cron(...)`, whose gaps vary. */
export function parseScheduleInterval(schedule: string): Duration | undefined {
  const match = RATE.exec(schedule.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  if (match[2] === 'minute') return Duration.minutes(value);
  if (match[2] === 'hour') return Duration.hours(value);
  return Duration.days(value);
}
