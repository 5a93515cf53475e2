import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { computeMissedRunWindow } from '../../lib/checker-alarms';
import { parseScheduleInterval } from '../../lib/parse-schedule-interval';
import { exampleWith, synth } from './stack-fixture';

describe('scheduleInterval', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(2 hours)', 7200],
    ['rate(1 day)', 86400],
    ['rate(3 days)', 259200],
  ])('reads %s as %i seconds', (schedule, seconds) => {
    expect(parseScheduleInterval(schedule)?.toSeconds()).toBe(seconds);
  });

  it('has no fixed interval for a cron expression', () => {
    expect(parseScheduleInterval('cron(0/10 * * * ? *)')).toBeUndefined();
  });
});

describe('missedRunWindow', () => {
  it.each([
    ['rate(1 minute)', 60, 2],
    ['rate(5 minutes)', 300, 2],
    ['rate(1 hour)', 3600, 2],
    ['rate(1 day)', 86400, 2],
    ['rate(2 days)', 86400, 3],
    ['rate(6 days)', 86400, 7],
    ['cron(0 8 * * ? *)', 3600, 24],
  ])('watches %s in periods of %i s, alarming after %i empty ones', (schedule, periodSeconds, periods) => {
    const window = computeMissedRunWindow(schedule);
    expect({ period: window.period.toSeconds(), periods: window.periods }).toEqual({ period: periodSeconds, periods });
  });

  it('refuses schedules longer than CloudWatch can watch', () => {
    expect(() => computeMissedRunWindow('rate(7 days)')).toThrow('schedule: the missed-run alarm can watch at most 7 days');
  });
});

describe('CheckerAlarms', () => {
  it('sizes the missed-run alarm from an hourly schedule', () => {
    const { template } = synth({ keyHealth: exampleWith({ schedule: 'rate(1 hour)' }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Invocations',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      AlarmDescription: Match.stringLikeRegexp('not invoked for 2 periods of 1 hour'),
    });
  });

  it('warns at synth that a cron schedule is assumed to run daily', () => {
    const { stack } = synth({ keyHealth: exampleWith({ schedule: 'cron(0 8 * * ? *)' }) });
    Annotations.fromStack(stack).hasWarning(
      '/KeyHealth/Alarms',
      Match.stringLikeRegexp('assumes a cron schedule runs at least once a day'),
    );
  });
});
