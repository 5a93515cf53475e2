import { AuthorizationErrorException, PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { buildPublishInput } from '../../../lambda/aws/sns';
import { AlertPublishError } from '../../../lambda/errors';
import 'aws-sdk-client-mock-jest';
import type { Alert } from '../../../lambda/alerts/format';
import { publishAlert } from '../../../lambda/aws/sns';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:key-health-alerts';
const ALERT: Alert = {
  key: 'coinbase-futures',
  exchange: 'coinbase-advanced',
  severity: 'critical',
  codes: ['AUTH_INVALID_SIGNATURE', 'ROTATION_DUE'],
  subject: '[CRITICAL] coinbase-futures: AUTH_INVALID_SIGNATURE, ROTATION_DUE',
  email: 'key-health: the key "coinbase-futures" is CRITICAL.\nClé refusée.\n',
  sms: 'key-health CRITICAL coinbase-futures: AUTH_INVALID_SIGNATURE, ROTATION_DUE',
};

describe('buildPublishInput', () => {
  it('sends the e-mail and SMS texts as a JSON message structure', () => {
    const input = buildPublishInput(TOPIC, ALERT);
    expect(input.MessageStructure).toBe('json');
    expect(JSON.parse(input.Message ?? '')).toEqual({ default: ALERT.email, email: ALERT.email, sms: ALERT.sms });
    expect(input.Subject).toBe(ALERT.subject);
    expect(input.TopicArn).toBe(TOPIC);
  });

  it('sets the String attributes that filter policies match, codes comma-joined', () => {
    expect(buildPublishInput(TOPIC, ALERT).MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      key: { DataType: 'String', StringValue: 'coinbase-futures' },
      exchange: { DataType: 'String', StringValue: 'coinbase-advanced' },
      codes: { DataType: 'String', StringValue: 'AUTH_INVALID_SIGNATURE,ROTATION_DUE' },
    });
  });

  it('never sends an empty codes attribute', () => {
    expect(buildPublishInput(TOPIC, { ...ALERT, severity: 'ok', codes: [] }).MessageAttributes?.codes?.StringValue).toBe('none');
  });
});

describe('publishAlert', () => {
  const sns = mockClient(SNSClient);
  const client = new SNSClient({ region: 'us-east-1' });
  beforeEach(() => sns.reset());

  it('publishes one message to the topic and returns its id', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await expect(publishAlert(client, TOPIC, ALERT)).resolves.toBe('m-1');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      MessageStructure: 'json',
      Subject: ALERT.subject,
      MessageAttributes: expect.objectContaining({ severity: { DataType: 'String', StringValue: 'critical' } }),
    });
  });

  it('passes the abort signal on to the SDK', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const abortSignal = AbortSignal.timeout(60_000);
    await publishAlert(client, TOPIC, ALERT, { abortSignal });
    // The mock types `send` with the command only; the options are its second argument.
    expect((sns.commandCalls(PublishCommand)[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal });
  });

  it.each([
    ['throttling', new ThrottledException({ message: 'Rate exceeded', $metadata: {} }), 'ThrottledException: Rate exceeded'],
    [
      'a missing permission',
      new AuthorizationErrorException({ message: 'User is not authorized to perform: SNS:Publish', $metadata: {} }),
      'AuthorizationErrorException: User is not authorized to perform: SNS:Publish',
    ],
  ])('names the key and the AWS error on %s', async (_label, error, expected) => {
    sns.on(PublishCommand).rejects(error);
    const failure = await publishAlert(client, TOPIC, ALERT).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AlertPublishError);
    expect((failure as AlertPublishError).message).toBe(`Cannot publish the alert for key "coinbase-futures": ${expected}`);
    expect((failure as AlertPublishError).key).toBe('coinbase-futures');
    expect((failure as AlertPublishError).cause).toBe(error);
  });
});
