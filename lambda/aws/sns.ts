import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../alerts/format';
import { AlertPublishError } from '../errors';
import { describeAwsError, readAwsErrorName } from './aws-error';

/** Options for {@link publishAlert}. */
export interface PublishOptions {
  /** Aborts the request (e.g. shortly before the Lambda times out). */
  readonly abortSignal?: AbortSignal;
}

// The topic is encrypted with its own KMS key: a publisher needs kms:GenerateDataKey and kms:Decrypt on
// it, and SNS reports KMS's refusal under KMS's error names
// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, Publish "Errors" in the SNS API reference).
const PUBLISH_HINTS: Readonly<Record<string, string>> = {
  ThrottledException: 'SNS throttled the publish',
  KMSThrottlingException: 'KMS throttled the data key SNS asked for to encrypt the message',
  KMSAccessDeniedException: "the function may not use the topic's KMS key (kms:GenerateDataKey and kms:Decrypt)",
  KMSDisabledException: "the topic's KMS key is disabled, so SNS cannot encrypt the message",
  KMSInvalidStateException: "the topic's KMS key cannot be used in its current state (pending deletion)",
  KMSNotFoundException: "the topic's KMS key does not exist",
  AbortError: 'the publish did not finish in the time the invocation had left and was cut off',
};

/** Publishes one alert to the topic and returns the SNS message id; throws `AlertPublishError` naming the AWS error and what it means. */
export async function publishAlert(client: SNSClient, topicArn: string, alert: Alert, options: PublishOptions = {}): Promise<string> {
  try {
    const output = await client.send(new PublishCommand(buildPublishInput(topicArn, alert)), options);
    return output.MessageId ?? '';
  } catch (error) {
    const hint = PUBLISH_HINTS[readAwsErrorName(error)];
    throw new AlertPublishError(alert.key, `${describeAwsError(error)}${hint ? ` (${hint})` : ''}`, {
      cause: error,
      maybeAccepted: mayHaveArrived(error),
    });
  }
}

/** Connections that were never made: the request cannot have reached SNS. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Whether SNS may have taken the message although the call failed: only an answer (an HTTP status) or no connection at all rules it out. */
function mayHaveArrived(error: unknown): boolean {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { $metadata?: { httpStatusCode?: unknown }; code?: unknown };
  if (typeof fields.$metadata?.httpStatusCode === 'number') return false;
  return !(typeof fields.code === 'string' && NOT_CONNECTED.has(fields.code));
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
