import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Config } from '../lambda/config';
import { DEFAULT_KEY_METRIC_SET, KEY_METRICS_ENV, type KeyMetricSet } from '../lambda/metrics';
import { CHECKER_ENTRY, CHECKER_ESBUILD, CHECKER_HANDLER } from './checker-bundling';
import { CONFIG_FILE_NAME, planLambdaConfigDelivery, writeFileCommands } from './lambda-config';

/** Where in a VPC the checker runs. */
export interface CheckerNetwork {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** The subnets of its network interfaces; they need a route to the internet. */
  readonly subnets: ec2.SubnetSelection;
  /** The one security group of its network interfaces. */
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * The EC2 actions Lambda needs in a function's role to attach it to a VPC: the Lambda developer
 * guide's list, the same as AWSLambdaVPCAccessExecutionRole without its log rights.
 */
export const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/**
 * Writes the config file next to the bundled handler after esbuild. The asset hash is computed from
 * the bundle's output (NodejsFunction's default), so a changed config is a changed asset and
 * redeploys the function; CDK's per-app bundle cache is keyed by the bundling options, which hold
 * these commands, so two configs never share a bundle.
 */
class ConfigFileHook implements nodejs.ICommandHooks {
  constructor(private readonly content: string) {}

  beforeBundling(): string[] {
    return [];
  }

  beforeInstall(): string[] {
    return [];
  }

  afterBundling(_inputDir: string, outputDir: string): string[] {
    return writeFileCommands(`${outputDir}/${CONFIG_FILE_NAME}`, this.content);
  }
}

/** Properties of {@link CheckerFunction}. */
export interface CheckerFunctionProps {
  /** The validated config; the function gets it without the alert recipients. */
  readonly config: Config;
  /** The topic whose ARN the function publishes alerts to (the grant is the topic's business). */
  readonly alertTopicArn: string;
  /** The DynamoDB table holding the alert state per key (the grant is the table's business). */
  readonly stateTableName: string;
  /**
   * The dashboard alerts link to (DASHBOARD_NAME).
   * @default - alerts carry no dashboard link
   */
  readonly dashboardName?: string;
  /**
   * Which per-key figures CloudWatch also stores as custom metrics ($0.30 each a month); the
   * function gets it as KEY_HEALTH_METRICS when it is not the default.
   * @default DEFAULT_KEY_METRIC_SET ('none': the dashboard reads the log lines)
   */
  readonly keyMetrics?: KeyMetricSet;
  /**
   * The handler source file.
   * @default lambda/handler.ts
   */
  readonly entry?: string;
  /**
   * The invocation timeout; the engine stops checking 10 s before it to report and publish.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (CPU scales with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * How long the function's log lines are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Runs the function in a VPC; its role then also gets {@link NETWORK_INTERFACE_ACTIONS}.
   * @default - no VPC: Lambda's own network and its shared, changing addresses
   */
  readonly network?: CheckerNetwork;
}

/**
 * The checker Lambda: bundled by the local esbuild (never Docker), arm64, one run at a time, with
 * its own log group and a role that may write only to that log group until grants are added.
 */
export class CheckerFunction extends Construct {
  /** The function. */
  readonly function: nodejs.NodejsFunction;
  /** The function's role; it starts with log-writing rights only. */
  readonly role: iam.Role;
  /** The function's log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CheckerFunctionProps) {
    super(scope, id);
    const configDelivery = planLambdaConfigDelivery(props.config);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole, whose log rights cover every log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'key-health checker: its log group, the configured secrets, the alert topic, the alert state table',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'key-health: checks exchange API keys and publishes alerts',
      entry: props.entry ?? CHECKER_ENTRY,
      handler: CHECKER_HANDLER,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(2),
      // Runs never overlap: two runs at once would race on alert state and double-send alerts.
      reservedConcurrentExecutions: 1,
      // A failed run is not retried: the next scheduled run repeats it, and unsent alerts stay due.
      retryAttempts: 0,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...configDelivery.environment,
        ALERT_TOPIC_ARN: props.alertTopicArn,
        STATE_TABLE_NAME: props.stateTableName,
        ...(props.dashboardName !== undefined && { DASHBOARD_NAME: props.dashboardName }),
        ...(props.keyMetrics !== undefined && props.keyMetrics !== DEFAULT_KEY_METRIC_SET && { [KEY_METRICS_ENV]: props.keyMetrics }),
      },
      bundling: {
        forceDockerBundling: false,
        target: CHECKER_ESBUILD.target,
        minify: CHECKER_ESBUILD.minify,
        keepNames: CHECKER_ESBUILD.keepNames,
        sourceMap: CHECKER_ESBUILD.sourceMap,
        externalModules: [...CHECKER_ESBUILD.externalModules],
        format: nodejs.OutputFormat.CJS,
        ...(configDelivery.kind === 'file' && { commandHooks: new ConfigFileHook(configDelivery.content) }),
      },
      ...(props.network && {
        vpc: props.network.vpc,
        vpcSubnets: props.network.subnets,
        securityGroups: [props.network.securityGroup],
      }),
    });
    if (props.network) this.allowNetworkInterfaces();
  }

  private allowNetworkInterfaces(): void {
    const policy = new iam.Policy(this, 'NetworkInterfaces', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ sid: 'ManageNetworkInterfaces', actions: [...NETWORK_INTERFACE_ACTIONS], resources: ['*'] })],
    });
    // Lambda checks these rights when the function is created with its VPC settings.
    this.function.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda needs these six network-interface actions to attach the function to its VPC; ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets work only on Resource "*", and the interfaces do not exist (so have no ARN) before Lambda creates them. This policy holds only that statement, the same actions as AWSLambdaVPCAccessExecutionRole minus its log rights.',
    });
  }
}
