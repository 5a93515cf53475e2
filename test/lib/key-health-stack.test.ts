import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lambda/config';
import { readLambdaEnv } from '../../lambda/env';
import { ConfigError } from '../../lambda/errors';
import { ALARM_RELAY_SOURCE } from '../../lib/alarm-relay';
import { EXAMPLE_CONFIG, exampleWith, type FlatTemplate, logicalId, resourcesOf, type SynthResult, single, synth } from './stack-fixture';

const ACCOUNT_ARN = 'arn:<AWS::Partition>';
const REGION_ACCOUNT = '<AWS::Region>:<AWS::AccountId>';
const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0b5a7a9e-6a6f-4c1e-9f1e-2b7c4d0a1e11';

type Resource = { id: string; Properties: Record<string, unknown> };

/** The resource with this logical id; fails the test if there is none. */
function byId(json: FlatTemplate, id: string): Resource {
  const resource = json.Resources[id];
  if (!resource) throw new Error(`no resource ${id}`);
  return { id, Properties: resource.Properties };
}

/** The one IAM policy attached to the checker's role. */
function checkerPolicy(result: SynthResult): Resource {
  const role = `<${logicalId(result.stack.checker.role)}>`;
  const found = resourcesOf(result.json, 'AWS::IAM::Policy').filter((p) => (p.Properties.Roles as string[]).includes(role));
  if (found.length !== 1) throw new Error(`expected one policy of the checker role, found ${found.length}`);
  return found[0] as Resource;
}

describe('KeyHealthStack', () => {
  let example: SynthResult;
  let ids: {
    topic: string;
    fn: string;
    logs: string;
    role: string;
    table: string;
    dashboard: string;
    relay: string;
    relayRole: string;
    relayLogs: string;
  };

  beforeAll(() => {
    example = synth();
    const { alerts, checker, state, dashboard } = example.stack;
    ids = {
      topic: logicalId(alerts.topic),
      relay: logicalId(alerts.alarmRelay.function),
      relayRole: logicalId(alerts.alarmRelay.role),
      relayLogs: logicalId(alerts.alarmRelay.logGroup),
      fn: logicalId(checker.function),
      logs: logicalId(checker.logGroup),
      role: logicalId(checker.role),
      table: logicalId(state.table),
      dashboard: logicalId(dashboard.dashboard),
    };
  });

  describe('schedule', () => {
    it('invokes the function on the configured schedule', () => {
      const rule = single(example.json, 'AWS::Events::Rule');
      expect(rule.Properties).toMatchObject({
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Arn: `<${ids.fn}.Arn>` }],
      });
      expect((rule.Properties.Targets as unknown[])[0]).not.toHaveProperty('Input');
    });

    it('lets only that rule invoke the function', () => {
      const rule = single(example.json, 'AWS::Events::Rule');
      const permissions = resourcesOf(example.json, 'AWS::Lambda::Permission').filter(
        (p) => p.Properties.FunctionName === `<${ids.fn}.Arn>`,
      );
      expect(permissions.map((p) => p.Properties)).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: `<${ids.fn}.Arn>`,
          Principal: 'events.amazonaws.com',
          SourceArn: `<${rule.id}.Arn>`,
        },
      ]);
    });
  });

  describe('alert topic', () => {
    it('is encrypted with the AWS managed key of SNS, and the stack creates no KMS key', () => {
      expect(byId(example.json, ids.topic).Properties.KmsMasterKeyId).toBe(`${ACCOUNT_ARN}:kms:${REGION_ACCOUNT}:alias/aws/sns`);
      expect(resourcesOf(example.json, 'AWS::KMS::Key')).toEqual([]);
    });

    it('refuses publishing without TLS and admits no service principal: only IAM grants publish', () => {
      const policy = single(example.json, 'AWS::SNS::TopicPolicy');
      expect(policy.Properties).toEqual({
        Topics: [`<${ids.topic}>`],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AllowPublishThroughSSLOnly',
              Effect: 'Deny',
              Principal: '*',
              Action: 'sns:Publish',
              Resource: `<${ids.topic}>`,
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      });
    });

    it('subscribes each e-mail address without a filter and each phone with the severity filter', () => {
      const subscriptions = resourcesOf(example.json, 'AWS::SNS::Subscription').map((s) => s.Properties);
      expect(subscriptions).toEqual(
        expect.arrayContaining([
          { Protocol: 'email', Endpoint: 'oncall@trading-desk.net', TopicArn: `<${ids.topic}>` },
          { Protocol: 'sms', Endpoint: '+442079460958', TopicArn: `<${ids.topic}>`, FilterPolicy: { severity: ['critical'] } },
        ]),
      );
      expect(subscriptions).toHaveLength(2);
    });

    it.each([
      ['critical', ['critical']],
      ['unknown', ['unknown', 'critical']],
      ['warning', ['warning', 'unknown', 'critical']],
    ])('sends SMS from smsMinSeverity %s for severities %j', (smsMinSeverity, severities) => {
      const { template } = synth({
        keyHealth: exampleWith({ alerts: { phones: ['+442079460958', '+442079460959'], smsMinSeverity } }),
      });
      template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'sms', FilterPolicy: { severity: severities } }, 2);
      template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 0);
    });

    it('subscribes a repeated address once', () => {
      const { template } = synth({
        keyHealth: exampleWith({ alerts: { emails: ['oncall@trading-desk.net', 'oncall@trading-desk.net'] } }),
      });
      template.resourceCountIs('AWS::SNS::Subscription', 1);
    });
  });

  describe('checker function', () => {
    it('runs the bundled handler on arm64 and the latest Node runtime, one run at a time', () => {
      const fn = byId(example.json, ids.fn);
      expect(fn.Properties).toMatchObject({
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        ReservedConcurrentExecutions: 1,
        MemorySize: 256,
        Timeout: 120,
        Role: `<${ids.role}.Arn>`,
        LoggingConfig: { LogGroup: `<${ids.logs}>` },
      });
      expect(fn.Properties).not.toHaveProperty('FunctionName');
      example.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: ids.fn }, MaximumRetryAttempts: 0 });
    });

    it('gets exactly the config, the topic ARN and the state table name in its environment', () => {
      const fn = byId(example.json, ids.fn);
      const variables = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(Object.keys(variables).sort()).toEqual(['ALERT_TOPIC_ARN', 'DASHBOARD_NAME', 'KEY_HEALTH_CONFIG', 'STATE_TABLE_NAME']);
      expect(variables.DASHBOARD_NAME).toBe('KeyHealth-key-health');
      expect(variables.ALERT_TOPIC_ARN).toBe(`<${ids.topic}>`);
      expect(variables.STATE_TABLE_NAME).toBe(`<${ids.table}>`);
    });

    it('gives the handler an environment it accepts once CloudFormation has resolved the names', () => {
      const fn = byId(example.json, ids.fn);
      const variables = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
      const resolved = {
        ...variables,
        ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:KeyHealth-AlertsTopic-AbCdEf012345',
        STATE_TABLE_NAME: 'KeyHealth-StateTable962DE04C-1A2B3C4D5E6F7',
      };
      expect(readLambdaEnv(resolved).stateTableName).toBe('KeyHealth-StateTable962DE04C-1A2B3C4D5E6F7');
    });

    it('passes a config the handler parses back to the deployed one, without recipients', () => {
      const fn = byId(example.json, ids.fn);
      const text = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables.KEY_HEALTH_CONFIG ?? '';
      const expected = parseConfig(EXAMPLE_CONFIG, { requireSecretId: true });
      expect(parseConfig(JSON.parse(text), { requireSecretId: true })).toEqual({
        ...expected,
        alerts: { ...expected.alerts, emails: [], phones: [] },
      });
      expect(text).not.toContain('oncall@trading-desk.net');
      expect(text).not.toContain('+442079460958');
    });

    it('writes to its own log group, kept 30 days and removed with the stack', () => {
      const logGroups = resourcesOf(example.json, 'AWS::Logs::LogGroup');
      expect(logGroups.map((g) => g.id).sort()).toEqual([ids.logs, ids.relayLogs].sort());
      const logGroup = logGroups.find((g) => g.id === ids.logs);
      expect(logGroup?.Properties).toEqual({ RetentionInDays: 30 });
      expect(logGroup?.DeletionPolicy).toBe('Delete');
    });

    it('declares no custom metric unless keyHealthMetrics opts in, and then tells the function which', () => {
      const variables = (result: SynthResult) =>
        (byId(result.json, logicalId(result.stack.checker.function)).Properties.Environment as { Variables: Record<string, string> })
          .Variables;
      expect(variables(example)).not.toHaveProperty('KEY_HEALTH_METRICS');
      expect(variables(synth({ keyHealthMetrics: 'none' }))).not.toHaveProperty('KEY_HEALTH_METRICS');
      expect(variables(synth({ keyHealthMetrics: 'status' })).KEY_HEALTH_METRICS).toBe('status');
      expect(variables(synth({ keyHealthMetrics: 'all' })).KEY_HEALTH_METRICS).toBe('all');
    });

    it('stops synth for a metric set it does not know, naming the context key and the choices', () => {
      expect(() => synth({ keyHealthMetrics: 'everything' })).toThrow(
        'keyHealthMetrics: must be one of none, status, all (-c keyHealthMetrics=status), got "everything"',
      );
    });

    it('runs outside any VPC by default: no EC2 resource, no VpcConfig, no EgressIp output', () => {
      const types = Object.values(example.json.Resources).map((r) => r.Type);
      expect(types.filter((type) => type.startsWith('AWS::EC2::'))).toEqual([]);
      expect(types).toContain('AWS::Lambda::Function');
      expect(byId(example.json, ids.fn).Properties).not.toHaveProperty('VpcConfig');
      expect(example.json.Outputs).not.toHaveProperty('EgressIp');
      expect(example.stack.egress).toBeUndefined();
    });

    const manyKeys = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        name: `key-${i}`,
        exchange: 'coinbase-exchange',
        secretId: `trading/exchange-key-number-${i}`,
        expect: { trade: false, ipRestricted: true },
      }));

    it('names a config too large for the environment by KEY_HEALTH_CONFIG_FILE instead of passing it', () => {
      const { template, json } = synth({ keyHealth: exampleWith({ keys: manyKeys(100) }) });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { KEY_HEALTH_CONFIG_FILE: 'key-health-config.json', KEY_HEALTH_CONFIG: Match.absent() } },
      });
      const { stack } = synth({ keyHealth: exampleWith({ keys: manyKeys(100) }) });
      const variables = (byId(json, logicalId(stack.checker.function)).Properties.Environment as { Variables: Record<string, string> })
        .Variables;
      expect(Object.keys(variables).sort()).toEqual(['ALERT_TOPIC_ARN', 'DASHBOARD_NAME', 'KEY_HEALTH_CONFIG_FILE', 'STATE_TABLE_NAME']);
    });

    it('stops synth when the config is too large even for the bundle', () => {
      expect(() => synth({ keyHealth: exampleWith({ keys: manyKeys(1600) }) })).toThrow(
        /the config takes \d+ bytes in the function's bundle \(key-health-config\.json\), over the limit of 262144/,
      );
    });
  });

  describe('IAM', () => {
    it('gives both roles (checker and alarm relay) no managed policy and a trust for Lambda only', () => {
      const roles = resourcesOf(example.json, 'AWS::IAM::Role');
      expect(roles.map((r) => r.id).sort()).toEqual([ids.role, ids.relayRole].sort());
      for (const role of roles) {
        expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
        expect(role.Properties.AssumeRolePolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }],
        });
      }
    });

    it('grants exactly its log group, the topic, the configured secret and the state table, and no KMS key', () => {
      const policy = checkerPolicy(example);
      expect(policy.Properties.Roles).toEqual([`<${ids.role}>`]);
      expect(policy.Properties.PolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `<${ids.logs}.Arn>` },
          { Sid: 'PublishAlerts', Effect: 'Allow', Action: 'sns:Publish', Resource: `<${ids.topic}>` },
          {
            Sid: 'ReadConfiguredSecrets',
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds'],
            Resource: `${ACCOUNT_ARN}:secretsmanager:${REGION_ACCOUNT}:secret:trading/coinbase-futures-??????`,
          },
          {
            Sid: 'KeepAlertState',
            Effect: 'Allow',
            Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
            Resource: `<${ids.table}.Arn>`,
          },
        ],
      });
    });

    it('grants names with the six-character suffix, ARNs as given, each secret once', () => {
      const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/okx-AbCdEf';
      const keys = [
        { name: 'a', exchange: 'coinbase-exchange', secretId: 'prod/a' },
        { name: 'b', exchange: 'coinbase-exchange', secretId: arn },
        { name: 'c', exchange: 'coinbase-international', secretId: 'prod/a' },
      ];
      const statements = (
        checkerPolicy(synth({ keyHealth: exampleWith({ keys }) })).Properties.PolicyDocument as {
          Statement: Array<{ Sid?: string; Resource: unknown }>;
        }
      ).Statement;
      const read = statements.find((statement) => statement.Sid === 'ReadConfiguredSecrets');
      // The minimizePolicies feature flag sorts; the set is what matters.
      expect([read?.Resource].flat().sort()).toEqual(
        [arn, 'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:prod/a-??????'].sort(),
      );
    });

    it('grants no KMS action to any role when no customer key is configured', () => {
      const actions = resourcesOf(example.json, 'AWS::IAM::Policy').flatMap((p) =>
        (p.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement.flatMap((s) => [s.Action].flat()),
      );
      expect(actions.filter((a) => a.startsWith('kms:'))).toEqual([]);
    });

    it('grants kms:Decrypt on the configured key through Secrets Manager only', () => {
      const policy = checkerPolicy(synth({ keyHealthKmsKeyArn: KMS_KEY_ARN }));
      expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual({
        Sid: 'DecryptConfiguredSecrets',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: KMS_KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.<AWS::Region>.<AWS::URLSuffix>' } },
      });
    });

    it('allows no wildcard action and no wildcard resource in any IAM policy', () => {
      const { json } = synth({ keyHealthKmsKeyArn: KMS_KEY_ARN });
      const statements = resourcesOf(json, 'AWS::IAM::Policy').flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: string | string[] }> }).Statement,
      );
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => a.includes('*'))).toEqual([]);
      expect(statements.flatMap((s) => [s.Resource].flat()).filter((r) => r.includes('*'))).toEqual([]);
    });

    it.each([
      ['trading/*', 'keys[0].secretId: a secret name may only hold letters'],
      ['prod/key?', 'keys[0].secretId: a secret name may only hold letters'],
      ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:*', 'keys[0].secretId: is not a Secrets Manager secret ARN'],
      [
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/okx',
        'keys[0].secretId: a secret ARN must end in the 6-character suffix',
      ],
    ])('refuses secretId %j, naming its path', (secretId, message) => {
      const keys = [{ name: 'a', exchange: 'coinbase-exchange', secretId }];
      expect(() => synth({ keyHealth: exampleWith({ keys }) })).toThrow(ConfigError);
      expect(() => synth({ keyHealth: exampleWith({ keys }) })).toThrow(message);
    });

    it('refuses a KMS alias where a key ARN is needed', () => {
      expect(() => synth({ keyHealthKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/secrets' })).toThrow(
        '"arn:aws:kms:eu-west-1:123456789012:alias/secrets" is not a KMS key ARN',
      );
    });
  });

  describe('state table', () => {
    it('is billed per request, keyed by the key name, recoverable to a point in time, with no physical name', () => {
      const table = single(example.json, 'AWS::DynamoDB::Table');
      expect(table.id).toBe(ids.table);
      expect(table.Properties).toEqual({
        KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled false is DynamoDB's own (AWS owned) key; true would mean a KMS key.
        SSESpecification: { SSEEnabled: false },
      });
    });

    it('is kept when the stack is deleted or the table replaced', () => {
      example.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });
  });

  describe('alarms', () => {
    it('sends every alarm and every recovery to the relay that publishes them to the alert topic', () => {
      const alarms = resourcesOf(example.json, 'AWS::CloudWatch::Alarm');
      expect(alarms.map((a) => [a.Properties.AlarmActions, a.Properties.OKActions])).toEqual(
        alarms.map(() => [[`<${ids.relay}.Arn>`], [`<${ids.relay}.Arn>`]]),
      );
      expect(alarms).toHaveLength(2);
    });

    it('lets only these two alarms of this account invoke the relay', () => {
      const alarms = resourcesOf(example.json, 'AWS::CloudWatch::Alarm');
      const permissions = resourcesOf(example.json, 'AWS::Lambda::Permission').filter(
        (p) => p.Properties.FunctionName === `<${ids.relay}.Arn>`,
      );
      expect(permissions.map((p) => p.Properties).sort((a, b) => String(a.SourceArn).localeCompare(String(b.SourceArn)))).toEqual(
        alarms
          .map((a) => ({
            Action: 'lambda:InvokeFunction',
            FunctionName: `<${ids.relay}.Arn>`,
            Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
            SourceAccount: '<AWS::AccountId>',
            SourceArn: `<${a.id}.Arn>`,
          }))
          .sort((a, b) => a.SourceArn.localeCompare(b.SourceArn)),
      );
    });

    it('runs the relay from inline code, outside any VPC, with only its log group and publishing to the topic', () => {
      const relay = byId(example.json, ids.relay).Properties;
      expect(relay).toMatchObject({
        Code: { ZipFile: ALARM_RELAY_SOURCE },
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Role: `<${ids.relayRole}.Arn>`,
        Environment: { Variables: { TOPIC_ARN: `<${ids.topic}>` } },
        LoggingConfig: { LogGroup: `<${ids.relayLogs}>` },
      });
      expect(relay).not.toHaveProperty('VpcConfig');
      const policy = resourcesOf(example.json, 'AWS::IAM::Policy').find((p) =>
        (p.Properties.Roles as string[]).includes(`<${ids.relayRole}>`),
      );
      expect(policy?.Properties.PolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'WriteOwnLogs',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `<${ids.relayLogs}.Arn>`,
          },
          { Sid: 'PublishAlarms', Effect: 'Allow', Action: 'sns:Publish', Resource: `<${ids.topic}>` },
        ],
      });
    });

    it('alarms on any function error and announces the recovery', () => {
      example.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'ignore',
        AlarmActions: [{ 'Fn::GetAtt': [ids.relay, 'Arn'] }],
        OKActions: [{ 'Fn::GetAtt': [ids.relay, 'Arn'] }],
      });
    });

    it('alarms when two scheduled periods pass without an invocation, missing data included', () => {
      example.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [{ 'Fn::GetAtt': [ids.relay, 'Arn'] }],
        OKActions: [{ 'Fn::GetAtt': [ids.relay, 'Arn'] }],
      });
      example.template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    });
  });

  describe('outputs', () => {
    it('names the topic, the function, the state table, the dashboard and the manual dry-run command', () => {
      expect(example.json.Outputs.AlertTopicArn?.Value).toBe(`<${ids.topic}>`);
      expect(example.json.Outputs.CheckerFunctionName?.Value).toBe(`<${ids.fn}>`);
      expect(example.json.Outputs.StateTableName?.Value).toBe(`<${ids.table}>`);
      expect(example.json.Outputs.DashboardName?.Value).toBe(`<${ids.dashboard}>`);
      expect(example.json.Outputs.ManualRunCommand?.Value).toBe(
        `aws lambda invoke --function-name <${ids.fn}> --cli-binary-format raw-in-base64-out --payload '{"dryRun":true}' out.json`,
      );
    });
  });
});
