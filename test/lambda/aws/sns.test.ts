import {
  AuthorizationErrorException,
  KMSAccessDeniedException,
  KMSDisabledException,
  KMSThrottlingException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
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
    [
      'throttling',
      new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
      'ThrottledException: Rate exceeded (SNS throttled the publish)',
    ],
    [
      'a missing permission',
      new AuthorizationErrorException({ message: 'User is not authorized to perform: SNS:Publish', $metadata: { httpStatusCode: 403 } }),
      'AuthorizationErrorException: User is not authorized to perform: SNS:Publish',
    ],
    [
      'a topic KMS key the function may not use',
      new KMSAccessDeniedException({
        message: 'The ciphertext refers to a customer master key that does not exist',
        $metadata: { httpStatusCode: 400 },
      }),
      "KMSAccessDeniedException: The ciphertext refers to a customer master key that does not exist (the function may not use the topic's KMS key (kms:GenerateDataKey and kms:Decrypt))",
    ],
    [
      'a disabled topic KMS key',
      new KMSDisabledException({ message: 'arn:aws:kms:us-east-1:123456789012:key/abc is disabled.', $metadata: { httpStatusCode: 400 } }),
      "KMSDisabledException: arn:aws:kms:us-east-1:123456789012:key/abc is disabled. (the topic's KMS key is disabled, so SNS cannot encrypt the message)",
    ],
    [
      'KMS throttling',
      new KMSThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
      'KMSThrottlingException: Rate exceeded (KMS throttled the data key SNS asked for to encrypt the message)',
    ],
  ])('names the key, the AWS error and what it means on %s, and knows SNS refused it', async (_label, error, expected) => {
    sns.on(PublishCommand).rejects(error);
    const failure = await publishAlert(client, TOPIC, ALERT).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AlertPublishError);
    expect((failure as AlertPublishError).message).toBe(`Cannot publish the alert for key "coinbase-futures": ${expected}`);
    expect((failure as AlertPublishError).key).toBe('coinbase-futures');
    expect((failure as AlertPublishError).cause).toBe(error);
    expect((failure as AlertPublishError).maybeAccepted).toBe(false);
  });

  it.each([
    ['an abort shortly before the Lambda timeout', Object.assign(new Error('Request aborted'), { name: 'AbortError' }), true],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }), true],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }), false],
  ])('tells whether SNS may have taken the message after %s', async (_label, error, maybeAccepted) => {
    sns.on(PublishCommand).rejects(error);
    const failure = (await publishAlert(client, TOPIC, ALERT).catch((e: unknown) => e)) as AlertPublishError;
    expect(failure.maybeAccepted).toBe(maybeAccepted);
    expect(failure.message).toMatch(/^Cannot publish the alert for key "coinbase-futures": /);
  });
});
