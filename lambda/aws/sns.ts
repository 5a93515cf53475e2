import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { type Alert, SUBJECT_MAX_CHARS } from '../alerts/format';

/** An alert SNS did not accept; names the key and the AWS error, keeps the SDK error as `cause`. */
export class AlertPublishError extends Error {
  override readonly name = 'AlertPublishError';
  constructor(
    readonly key: string,
    readonly awsError: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot publish the alert for key "${key}": ${awsError}`, options);
  }
}

/** Options for {@link publishAlert}. */
export interface PublishOptions {
  /** Aborts the request (e.g. shortly before the Lambda times out). */
  readonly abortSignal?: AbortSignal;
}

/** Publishes one alert to the topic and returns the SNS message id; throws {@link AlertPublishError}. */
export async function publishAlert(client: SNSClient, topicArn: string, alert: Alert, options: PublishOptions = {}): Promise<string> {
  try {
    const output = await client.send(new PublishCommand(publishInput(topicArn, alert)), options);
    return output.MessageId ?? '';
  } catch (error) {
    throw new AlertPublishError(alert.key, describeAwsError(error), { cause: error });
  }
}

/**
 * The Publish request: `MessageStructure=json` with the e-mail text as `default` and `email` and the
 * SMS text as `sms`, and String attributes `severity`, `key`, `exchange`, `codes` (comma-joined) for
 * subscription filter policies.
 */
export function publishInput(topicArn: string, alert: Alert): PublishCommandInput {
  return {
    TopicArn: topicArn,
    MessageStructure: 'json',
    Message: JSON.stringify({ default: alert.email, email: alert.email, sms: alert.sms }),
    Subject: sanitizeSubject(alert.subject),
    MessageAttributes: {
      severity: stringAttribute(alert.severity),
      key: stringAttribute(alert.key),
      exchange: stringAttribute(alert.exchange),
      // SNS rejects empty attribute values.
      codes: stringAttribute(alert.codes.length ? alert.codes.join(',') : 'none'),
    },
  };
}

/** A subject SNS accepts: printable ASCII, no line breaks, starting with a visible character, under 100 characters. */
export function sanitizeSubject(subject: string): string {
  const clean = subject
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  if (clean === '') return 'key-health alert';
  return clean.length <= SUBJECT_MAX_CHARS ? clean : `${clean.slice(0, SUBJECT_MAX_CHARS - 3)}...`;
}

function stringAttribute(value: string) {
  return { DataType: 'String', StringValue: value };
}

function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const message = error.message.replace(/\s+/g, ' ').trim();
  return message ? `${error.name}: ${message.length > 200 ? `${message.slice(0, 199)}…` : message}` : error.name;
}
