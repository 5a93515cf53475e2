import { runInNewContext } from 'node:vm';
import { ALARM_RELAY_SOURCE } from '../../lib/alarm-relay';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:KeyHealth-AlertsTopic-AbCdEf';

/** The relay's handler, run from its inline source with an SNS client that records what it is sent. */
function loadRelay(options: { failWith?: Error } = {}) {
  const sent: Array<Record<string, unknown>> = [];
  class PublishCommand {
    constructor(readonly input: Record<string, unknown>) {}
  }
  class SNSClient {
    async send(command: PublishCommand) {
      if (options.failWith) throw options.failWith;
      sent.push(command.input);
      return { MessageId: 'm-1' };
    }
  }
  const module = { exports: {} as { handler?: (event: unknown) => Promise<void> } };
  const require = (name: string) => {
    if (name !== '@aws-sdk/client-sns') throw new Error(`the relay may only require the SNS client, not ${name}`);
    return { SNSClient, PublishCommand };
  };
  runInNewContext(ALARM_RELAY_SOURCE, { require, module, exports: module.exports, process: { env: { TOPIC_ARN: TOPIC } } });
  const handler = module.exports.handler;
  if (!handler) throw new Error('the relay exports no handler');
  return { handler, sent };
}

// The payload of CloudWatch's Lambda alarm action (CloudWatch User Guide, "Lambda-action-payload").
const EVENT = {
  source: 'aws.cloudwatch',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:KeyHealth-AlarmsErrorsE6AA3AE1-1A2B3C4D5E6F',
  accountId: '123456789012',
  time: '2026-11-27T10:05:00.000+0000',
  region: 'us-east-1',
  alarmData: {
    alarmName: 'KeyHealth-AlarmsErrorsE6AA3AE1-1A2B3C4D5E6F',
    state: { value: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [1.0] was >= 1.0.', timestamp: '2026-11-27T10:05:00.000+0000' },
    previousState: { value: 'OK', reason: 'Threshold Crossed', timestamp: '2026-11-27T09:00:00.000+0000' },
    configuration: { description: 'key-health: the checker function failed.', metrics: [] },
  },
};

describe('the alarm relay', () => {
  const email = (sent: Array<Record<string, unknown>>) => (JSON.parse(String(sent[0]?.Message)) as { email: string }).email;

  it('publishes one message to the topic naming the alarm, its change of state and the reason', async () => {
    const { handler, sent } = loadRelay();
    await handler(EVENT);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      TopicArn: TOPIC,
      Subject: 'ALARM: KeyHealth-AlarmsErrorsE6AA3AE1-1A2B3C4D5E6F',
      MessageStructure: 'json',
    });
    const message = JSON.parse(String(sent[0]?.Message)) as Record<string, string>;
    const text = [
      'key-health: the checker function failed.',
      '',
      'Alarm: KeyHealth-AlarmsErrorsE6AA3AE1-1A2B3C4D5E6F',
      'State: OK -> ALARM at 2026-11-27T10:05:00.000+0000',
      'Reason: Threshold Crossed: 1 datapoint [1.0] was >= 1.0.',
      `Alarm ARN: ${EVENT.alarmArn}`,
    ].join('\n');
    expect(message).toEqual({ default: text, email: text, sms: 'key-health monitor ALARM: KeyHealth-AlarmsErrorsE6AA3AE1-1A2B3C4D5E6F' });
  });

  it('announces the recovery the same way', async () => {
    const { handler, sent } = loadRelay();
    await handler({
      ...EVENT,
      alarmData: { ...EVENT.alarmData, previousState: { value: 'ALARM' }, state: { value: 'OK', reason: 'back', timestamp: 't' } },
    });
    expect(sent[0]?.Subject).toBe('OK: KeyHealth-AlarmsErrorsE6AA3AE1-1A2B3C4D5E6F');
    expect(email(sent)).toContain('State: ALARM -> OK at t');
  });

  it.each([
    ['an alarm', { state: { value: 'ALARM' }, previousState: { value: 'OK' } }, 'critical'],
    ['the recovery from an alarm', { state: { value: 'OK' }, previousState: { value: 'ALARM' } }, 'critical'],
    ['missing data', { state: { value: 'INSUFFICIENT_DATA' }, previousState: { value: 'OK' } }, 'unknown'],
  ])('gives %s the severity %s, so SMS subscriptions hear the monitor fail and recover', async (_label, states, severity) => {
    const { handler, sent } = loadRelay();
    await handler({ ...EVENT, alarmData: { ...EVENT.alarmData, ...states } });
    expect(sent[0]?.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: severity },
      key: { DataType: 'String', StringValue: 'key-health monitor' },
      exchange: { DataType: 'String', StringValue: 'none' },
      codes: { DataType: 'String', StringValue: 'MONITOR_ALARM' },
    });
  });

  it('keeps the subject to what SNS accepts: printable ASCII under 100 characters', async () => {
    const { handler, sent } = loadRelay();
    await handler({ ...EVENT, alarmData: { ...EVENT.alarmData, alarmName: `clé-${'x'.repeat(200)}\nend` } });
    const subject = String(sent[0]?.Subject);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^ALARM: cl\?-x+$/);
  });

  it('still says something for an event without alarm data', async () => {
    const { handler, sent } = loadRelay();
    await handler({});
    expect(sent[0]).toMatchObject({ Subject: 'UNKNOWN: unnamed alarm' });
    expect(email(sent)).toContain('A key-health alarm changed state.');
  });

  it('fails the invocation when the publish fails, so Lambda retries it', async () => {
    const { handler } = loadRelay({ failWith: new Error('KMSAccessDeniedException') });
    await expect(handler(EVENT)).rejects.toThrow('KMSAccessDeniedException');
  });
});
