import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from '../lambda/findings';

/** Properties of {@link AlertTopic}. */
export interface AlertTopicProps {
  /**
   * E-mail addresses that receive every alert and every self-monitoring alarm.
   * @default - no e-mail subscriptions
   */
  readonly emails?: readonly string[];
  /**
   * Phone numbers (E.164) that receive alerts of at least {@link smsMinSeverity} by SMS; the
   * self-monitoring alarms reach e-mail only.
   * @default - no SMS subscriptions
   */
  readonly phones?: readonly string[];
  /**
   * The least severe alert sent by SMS.
   * @default 'critical'
   */
  readonly smsMinSeverity?: Severity;
  /**
   * What happens to the topic's KMS key when the stack is deleted.
   * @default RemovalPolicy.DESTROY (KMS still waits the 30-day pending window before deleting it)
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/** Severities from least to most severe, as the alert attribute `severity` carries them. */
const SEVERITY_ORDER: readonly Severity[] = ['warning', 'unknown', 'critical'];

/** The values of the `severity` message attribute that an SMS subscription with this minimum receives. */
export function listSmsSeverities(minimum: Severity): Severity[] {
  return SEVERITY_ORDER.slice(SEVERITY_ORDER.indexOf(minimum));
}

/**
 * The alert topic: SSL-only, encrypted with its own customer managed KMS key (rotated yearly) that
 * this account's CloudWatch alarms may also use, with e-mail subscriptions and severity-filtered
 * SMS subscriptions.
 */
export class AlertTopic extends Construct {
  /** The topic alerts and alarms publish to. */
  readonly topic: sns.Topic;
  /** The key that encrypts the topic. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlertTopicProps = {}) {
    super(scope, id);
    const smsMinSeverity = props.smsMinSeverity ?? 'critical';

    // A customer managed key, not alias/aws/sns: CloudWatch alarms cannot publish to a topic
    // encrypted with the AWS managed key, because its key policy cannot be changed to let them.
    this.key = new kms.Key(this, 'Key', {
      description: 'key-health: encrypts the alert topic',
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(30),
    });
    this.topic = new sns.Topic(this, 'Topic', { masterKey: this.key, enforceSSL: true });

    const stack = Stack.of(this);
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAlarmsOfThisAccount',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    // Action names as in the SNS guide's key policy for AWS service publishers; "*" in a key
    // policy's Resource means this key only.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAlarmsOfThisAccountToPublishToTheTopic',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );

    for (const email of new Set(props.emails ?? [])) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    // CloudWatch alarm notifications carry no message attributes, and SNS never matches a filter
    // policy against a message without any (even `{"exists": false}` needs one attribute present),
    // so no filter can let the monitor's own alarms through to SMS.
    const filterPolicy = { severity: sns.SubscriptionFilter.stringFilter({ allowlist: listSmsSeverities(smsMinSeverity) }) };
    for (const phone of new Set(props.phones ?? [])) this.topic.addSubscription(new subscriptions.SmsSubscription(phone, { filterPolicy }));
  }

  /** Lets `grantee` publish to the topic: `sns:Publish` on it and the two KMS actions SNS needs on its key, nothing wider. */
  grantPublish(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PublishAlerts', actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptAlerts',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
      }),
    );
  }
}
