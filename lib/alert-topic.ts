import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from '../lambda/findings';
import { AlarmRelay } from './alarm-relay';

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
}

/** The AWS managed key of SNS: no monthly fee, rotated by AWS every year. */
export const SNS_MANAGED_KEY_ALIAS = 'alias/aws/sns';

/** Severities from least to most severe, as the alert attribute `severity` carries them. */
const SEVERITY_ORDER: readonly Severity[] = ['warning', 'unknown', 'critical'];

/** The values of the `severity` message attribute that an SMS subscription with this minimum receives. */
export function listSmsSeverities(minimum: Severity): Severity[] {
  return SEVERITY_ORDER.slice(SEVERITY_ORDER.indexOf(minimum));
}

/**
 * The alert topic: SSL-only, encrypted with the AWS managed key aws/sns, with e-mail subscriptions
 * and severity-filtered SMS subscriptions; alarms reach it through {@link alarmAction}.
 */
export class AlertTopic extends Construct {
  /** The topic alerts and alarms go to. */
  readonly topic: sns.Topic;
  /** The function that carries alarms to the topic (they cannot publish to it themselves). */
  readonly alarmRelay: AlarmRelay;
  /** The action that sends an alarm's state changes to the topic. */
  readonly alarmAction: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: AlertTopicProps = {}) {
    super(scope, id);
    const smsMinSeverity = props.smsMinSeverity ?? 'critical';

    // The AWS managed key, not a customer managed one ($1 a month, +$1 for each of its first two
    // yearly rotations: aws.amazon.com/kms/pricing). CloudWatch alarms cannot publish to a topic
    // encrypted with it (AWS re:Post, "cloudwatch-configure-alarm-sns"), so the AlarmRelay does.
    this.topic = new sns.Topic(this, 'Topic', {
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', SNS_MANAGED_KEY_ALIAS),
      enforceSSL: true,
    });
    this.alarmRelay = new AlarmRelay(this, 'AlarmRelay', { topic: this.topic });
    this.alarmAction = this.alarmRelay.action;

    for (const email of new Set(props.emails ?? [])) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    // The relayed alarm messages carry no message attributes (as CloudWatch's own never did), and SNS
    // never matches a filter policy against a message without any (even `{"exists": false}` needs
    // one attribute present), so the monitor's own alarms reach e-mail only.
    const filterPolicy = { severity: sns.SubscriptionFilter.stringFilter({ allowlist: listSmsSeverities(smsMinSeverity) }) };
    for (const phone of new Set(props.phones ?? [])) this.topic.addSubscription(new subscriptions.SmsSubscription(phone, { filterPolicy }));
  }

  /**
   * Lets `grantee` publish to the topic: `sns:Publish` on it, nothing wider. No KMS grant: the key
   * policy of aws/sns admits every principal of the account that may use SNS, only through SNS.
   */
  grantPublish(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PublishAlerts', actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
  }
}
