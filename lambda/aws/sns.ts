import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../alerts/format';
import { AlertPublishError } from '../errors';
import { describeAwsError } from './aws-error';

/** Options for {@link publishAlert}. */
export interface PublishOptions {
  /** Aborts the request (e.g. shortly before the Lambda times out). */
  readonly abortSignal?: AbortSignal;
}

/** Publishes one alert to the topic and returns the SNS message id; throws `AlertPublishError`. */
export async function publishAlert(client: SNSClient, topicArn: string, alert: Alert, options: PublishOptions = {}): Promise<string> {
  try {
    const output = await client.send(new PublishCommand(buildPublishInput(topicArn, alert)), options);
    return output.MessageId ?? '';
  } catch (error) {
    throw new AlertPublishError(alert.key, describeAwsError(error), { cause: error });
  }
}

/**
 * The Publish request: `MessageStructure=json` with the e-mail text as `default` and `email` and the
 * SMS text as `sms`, the subject as `formatAlert` fitted it, and String attributes `severity`, `key`,
 * `exchange`, `codes` (comma-joined) for subscription filter policies.
 */
export function buildPublishInput(topicArn: string, alert: Alert): PublishCommandInput {
  return {
    TopicArn: topicArn,
    MessageStructure: 'json',
    Message: JSON.stringify({ default: alert.email, email: alert.email, sms: alert.sms }),
    Subject: alert.subject,
    MessageAttributes: {
      severity: stringAttribute(alert.severity),
      key: stringAttribute(alert.key),
      exchange: stringAttribute(alert.exchange),
      // SNS rejects empty attribute values.
      codes: stringAttribute(alert.codes.length ? alert.codes.join(',') : 'none'),
    },
  };
}

function stringAttribute(value: string) {
  return { DataType: 'String', StringValue: value };
}
