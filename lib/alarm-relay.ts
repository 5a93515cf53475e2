import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * The relay's whole code, shipped inline (no bundle, so nothing of the checker's can break it): it
 * turns the event of a CloudWatch alarm's Lambda action (CloudWatch User Guide, "Invoke a Lambda
 * function from an alarm", Lambda-action-payload) into one message on the alert topic, carrying the
 * attributes the checker's alerts carry: an alarm, and the recovery from one, is `critical`, so the
 * SMS subscriptions (filtered on severity) hear the monitor itself fail, in one short SMS.
 */
export const ALARM_RELAY_SOURCE = String.raw`'use strict';
const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');
const sns = new SNSClient({});
exports.handler = async (event) => {
  const alarm = (event && event.alarmData) || {};
  const state = alarm.state || {};
  const previous = alarm.previousState || {};
  const name = String(alarm.alarmName || 'unnamed alarm');
  const value = String(state.value || 'UNKNOWN');
  const description = (alarm.configuration && alarm.configuration.description) || 'A key-health alarm changed state.';
  const message = [
    description,
    '',
    'Alarm: ' + name,
    'State: ' + (previous.value || 'none') + ' -> ' + value + ' at ' + (state.timestamp || event.time || 'an unknown time'),
    'Reason: ' + (state.reason || 'none given'),
    'Alarm ARN: ' + (event.alarmArn || 'unknown'),
  ].join('\n');
  const subject = (value + ': ' + name).replace(/[^\x20-\x7e]/g, '?').slice(0, 99);
  const sms = ('key-health monitor ' + value + ': ' + name).replace(/[^A-Za-z0-9 !"#$%&'()*+,\-./:;<=>?@_]/g, '?').slice(0, 140);
  const severity = value === 'ALARM' || previous.value === 'ALARM' ? 'critical' : 'unknown';
  const attribute = (text) => ({ DataType: 'String', StringValue: text });
  await sns.send(new PublishCommand({
    TopicArn: process.env.TOPIC_ARN,
    Subject: subject,
    MessageStructure: 'json',
    Message: JSON.stringify({ default: message, email: message, sms: sms }),
    MessageAttributes: { severity: attribute(severity), key: attribute('key-health monitor'), exchange: attribute('none'), codes: attribute('MONITOR_ALARM') },
  }));
};
`;

/** Properties of {@link AlarmRelay}. */
export interface AlarmRelayProps {
  /** The topic the alarms' messages go to. */
  readonly topic: sns.ITopic;
  /**
   * How long the relay's log lines are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Carries this stack's alarms to the alert topic: an alarm action that invokes a small function,
 * which publishes the state change. CloudWatch alarms cannot publish to a topic encrypted with the
 * AWS managed key aws/sns (its key policy does not admit them and cannot be changed), and that key
 * costs nothing, where a customer managed key that admits them costs $1 a month and more once rotated.
 */
export class AlarmRelay extends Construct {
  /** The relay function. */
  readonly function: lambda.Function;
  /** Its role: its own log group and publishing to the topic, nothing else. */
  readonly role: iam.Role;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;
  /** The action to add to an alarm, for its alarm and its OK state. */
  readonly action: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: AlarmRelayProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'key-health alarm relay: its log group and the alert topic',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    // No KMS grant: the key policy of aws/sns ("Allow access through SNS for all principals in the account that are
    // authorized to use SNS", shown in the KMS console) lets any principal of the account use it through SNS.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PublishAlarms', actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
    );
    this.function = new lambda.Function(this, 'Function', {
      description: "key-health: sends the monitor's own alarms to the alert topic",
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(ALARM_RELAY_SOURCE),
      memorySize: 128,
      timeout: Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      environment: { TOPIC_ARN: props.topic.topicArn },
    });
    // Lambda's default for asynchronous invocations stays: two retries when a publish fails.
    this.action = new actions.LambdaAction(this.function);
  }
}
