import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import type { Config } from '../lambda/config';
import { ConfigError } from '../lambda/errors';
import { DEFAULT_KEY_METRIC_SET, KEY_METRIC_SETS, type KeyMetricSet, parseKeyMetricSet } from '../lambda/metrics';
import { AlertTopic } from './alert-topic';
import { CheckerAlarms } from './checker-alarms';
import { CheckerDashboard } from './checker-dashboard';
import { CheckerFunction } from './checker-function';
import { grantSecretsRead } from './secret-access';
import { StateTable } from './state-table';
import { StaticEgress } from './static-egress';

/** Properties of {@link KeyHealthStack}. */
export interface KeyHealthStackProps extends StackProps {
  /** The config, validated with `parseConfig(raw, { requireSecretId: true })`. */
  readonly config: Config;
  /**
   * ARNs of customer managed KMS keys that encrypt the configured secrets; the function may use them
   * to decrypt through Secrets Manager only.
   * @default - none: the secrets use the AWS managed key aws/secretsmanager, which needs no grant
   */
  readonly secretsKeyArns?: readonly string[];
  /**
   * The handler source file.
   * @default lambda/handler.ts
   */
  readonly checkerEntry?: string;
  /**
   * Runs the checker in a VPC whose outbound traffic leaves from one Elastic IP (output `EgressIp`),
   * for keys restricted to an IP allow-list; costs a NAT gateway and a public IPv4 address.
   * @default false
   */
  readonly staticEgress?: boolean;
  /**
   * Which per-key figures CloudWatch also stores as custom metrics, at $0.30 each a month: `none`,
   * `status` (StatusLevel, for an alarm per key) or `all` (the six of KEY_METRICS).
   * @default the context value `keyHealthMetrics` (`-c keyHealthMetrics=status`), else `none`
   */
  readonly keyMetrics?: KeyMetricSet;
}

/** The context key that opts in to per-key custom metrics (`-c keyHealthMetrics=all`). */
export const KEY_METRICS_CONTEXT_KEY = 'keyHealthMetrics';

/** The metric set `keyHealthMetrics` asks for in `scope`'s context; unset is {@link DEFAULT_KEY_METRIC_SET}. */
export function readKeyMetricsContext(scope: Construct): KeyMetricSet {
  const raw: unknown = scope.node.tryGetContext(KEY_METRICS_CONTEXT_KEY);
  if (raw === undefined || raw === '') return DEFAULT_KEY_METRIC_SET;
  try {
    if (typeof raw === 'string') return parseKeyMetricSet(raw);
  } catch {
    // Reported below with the context key and an example.
  }
  throw new ConfigError(
    [
      `${KEY_METRICS_CONTEXT_KEY}: must be one of ${KEY_METRIC_SETS.join(', ')} (-c ${KEY_METRICS_CONTEXT_KEY}=status), got ${JSON.stringify(raw)}`,
    ],
    'context',
  );
}

/**
 * key-health on AWS: a scheduled Lambda that checks the configured exchange keys, reads them from
 * Secrets Manager, keeps alert state per key in DynamoDB and alerts through an encrypted SNS topic;
 * alarms on the function itself reach the same topic; a dashboard shows the keys from its log lines.
 */
export class KeyHealthStack extends Stack {
  /** The alert topic and the relay that carries the alarms to it. */
  readonly alerts: AlertTopic;
  /** The checker Lambda, its role and log group. */
  readonly checker: CheckerFunction;
  /** The alert state per key. */
  readonly state: StateTable;
  /** The alarms on the checker itself. */
  readonly alarms: CheckerAlarms;
  /** The dashboard of the keys (from the checker's log lines) and the checker's health. */
  readonly dashboard: CheckerDashboard;
  /** The VPC and fixed address the checker's traffic leaves from, when `staticEgress` is on. */
  readonly egress?: StaticEgress;

  constructor(scope: Construct, id: string, props: KeyHealthStackProps) {
    super(scope, id, props);
    const { config } = props;
    const staticEgress = props.staticEgress ?? false;

    this.alerts = new AlertTopic(this, 'Alerts', {
      emails: config.alerts.emails,
      phones: config.alerts.phones,
      smsMinSeverity: config.alerts.smsMinSeverity,
    });
    this.state = new StateTable(this, 'State');
    const egress = staticEgress ? new StaticEgress(this, 'Egress') : undefined;
    this.egress = egress;
    // Named after the stack (unique per account and region) so the function can link its alerts to it without a cycle.
    const dashboardName = `${this.stackName}-key-health`;
    this.checker = new CheckerFunction(this, 'Checker', {
      config,
      dashboardName,
      keyMetrics: props.keyMetrics ?? readKeyMetricsContext(this),
      alertTopicArn: this.alerts.topic.topicArn,
      stateTableName: this.state.table.tableName,
      ...(props.checkerEntry !== undefined && { entry: props.checkerEntry }),
      ...(egress && { network: { vpc: egress.vpc, subnets: egress.subnets, securityGroup: egress.securityGroup } }),
    });
    this.alerts.grantPublish(this.checker.role);
    grantSecretsRead(this.checker.role, config.keys, props.secretsKeyArns);
    this.state.grantStateAccess(this.checker.role);

    new events.Rule(this, 'Schedule', {
      description: 'key-health: runs the key checks',
      schedule: events.Schedule.expression(config.schedule),
      targets: [new targets.LambdaFunction(this.checker.function)],
    });
    this.alarms = new CheckerAlarms(this, 'Alarms', {
      function: this.checker.function,
      schedule: config.schedule,
      action: this.alerts.alarmAction,
    });
    this.dashboard = new CheckerDashboard(this, 'Dashboard', {
      keys: config.keys,
      function: this.checker.function,
      logGroup: this.checker.logGroup,
      schedule: config.schedule,
      alarms: [this.alarms.errors, this.alarms.missedRuns],
      dashboardName,
    });

    new CfnOutput(this, 'AlertTopicArn', { description: 'The SNS topic alerts go to', value: this.alerts.topic.topicArn });
    new CfnOutput(this, 'CheckerFunctionName', { description: 'The checker Lambda', value: this.checker.function.functionName });
    new CfnOutput(this, 'StateTableName', { description: 'The DynamoDB table of alert state per key', value: this.state.table.tableName });
    new CfnOutput(this, 'DashboardName', {
      description: 'The CloudWatch dashboard of the keys and the checker',
      value: this.dashboard.dashboard.dashboardName,
    });
    new CfnOutput(this, 'ManualRunCommand', {
      description: 'Checks every key now without alerting or changing state; the report lands in out.json',
      value: `aws lambda invoke --function-name ${this.checker.function.functionName} --cli-binary-format raw-in-base64-out --payload '{"dryRun":true}' out.json`,
    });
    if (egress)
      new CfnOutput(this, 'EgressIp', {
        description: "The checker's outbound address: add it to each exchange key's IP allow-list",
        value: egress.address.attrPublicIp,
      });
  }
}
