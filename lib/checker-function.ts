import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Config } from '../lambda/config';
import { ConfigError } from '../lambda/errors';
import { CHECKER_ENTRY, CHECKER_ESBUILD, CHECKER_HANDLER } from './checker-bundling';
import { MAX_CONFIG_ENV_BYTES, serializeLambdaConfig } from './lambda-config';

/** Properties of {@link CheckerFunction}. */
export interface CheckerFunctionProps {
  /** The validated config; the function gets it without the alert recipients. */
  readonly config: Config;
  /** The topic whose ARN the function publishes alerts to (the grant is the topic's business). */
  readonly alertTopicArn: string;
  /** The DynamoDB table holding the alert state per key (the grant is the table's business). */
  readonly stateTableName: string;
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
    const configJson = serializeLambdaConfig(props.config);
    const configBytes = Buffer.byteLength(configJson);
    if (configBytes > MAX_CONFIG_ENV_BYTES)
      throw new ConfigError([
        `keys: the config takes ${configBytes} bytes in the function's environment (KEY_HEALTH_CONFIG), over the ${MAX_CONFIG_ENV_BYTES} that fit in Lambda's 4 KB limit; check fewer keys per stack`,
      ]);

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
        KEY_HEALTH_CONFIG: configJson,
        ALERT_TOPIC_ARN: props.alertTopicArn,
        STATE_TABLE_NAME: props.stateTableName,
      },
      bundling: {
        forceDockerBundling: false,
        target: CHECKER_ESBUILD.target,
        minify: CHECKER_ESBUILD.minify,
        keepNames: CHECKER_ESBUILD.keepNames,
        sourceMap: CHECKER_ESBUILD.sourceMap,
        externalModules: [...CHECKER_ESBUILD.externalModules],
        format: nodejs.OutputFormat.CJS,
      },
    });
  }
}
