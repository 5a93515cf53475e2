import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, type PublishCommandInput, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_RETRY } from '../../lambda/engine/runtime';
import { AlertDeliveryError, EnvError, InvalidEventError } from '../../lambda/errors';
import type { LogEntry } from '../../lambda/log';
import 'aws-sdk-client-mock-jest';
import { buildSync } from 'esbuild';
import { createHandler, type LambdaContext } from '../../lambda/handler';
import type { Report } from '../../lambda/report';
import { type ClientTap, type LocalDynamo, startDynalite, tapClient } from '../support/dynalite';
import { coinbaseExchangeHandler } from '../support/simulator/coinbase-exchange';
import { type SimKey, type Simulator, startSimulator } from '../support/simulator/sim-server';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:key-health-alerts';
const TABLE = 'KeyHealth-AlertState-1A2B3C';
const API_SECRET = randomBytes(64).toString('base64');
const PASSPHRASE = 'correct horse battery staple';
const WRONG_PASSPHRASE = 'incorrect donkey battery staple';
const SIM_KEY: SimKey = {
  apiKey: 'cbx-live-7f3a',
  secret: API_SECRET,
  passphrase: PASSPHRASE,
  permissions: { view: true, trade: true, transfer: false },
  futures: true,
};
const SECRETS: Record<string, string> = {
  'trading/healthy': JSON.stringify({ apiKey: 'cbx-live-7f3a', apiSecret: API_SECRET, passphrase: PASSPHRASE }),
  'trading/bad-passphrase': JSON.stringify({ apiKey: 'cbx-live-7f3a', apiSecret: API_SECRET, passphrase: WRONG_PASSPHRASE }),
  'trading/unknown-key': JSON.stringify({ apiKey: 'cbx-deleted-0000', apiSecret: API_SECRET, passphrase: PASSPHRASE }),
};
const SECRET_MATERIAL = [API_SECRET, PASSPHRASE, WRONG_PASSPHRASE, 'cbx-live-7f3a', 'cbx-deleted-0000'];

const sm = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
// The state table is dynalite's: the store's conditional writes run for real.
let dynamo: LocalDynamo;
let ddb: ClientTap;
beforeAll(async () => {
  dynamo = await startDynalite();
  ddb = tapClient(dynamo.client);
  await dynamo.createTable(TABLE);
});
afterAll(() => dynamo.stop());

function configJson(origin: string, names: string[]): string {
  return JSON.stringify({
    alerts: { emails: ['ops@example.com'] },
    keys: names.map((name) => ({ name, exchange: 'coinbase-exchange', secretId: `trading/${name}`, baseUrl: origin })),
  });
}

function contextOf(remainingMs = 30_000): LambdaContext {
  return { getRemainingTimeInMillis: () => remainingMs, functionName: 'key-health-checker', awsRequestId: 'req-1' };
}

function setUp(env: Record<string, string | undefined>, options: { lazySns?: () => Promise<SNSClient>; configDir?: string } = {}) {
  const logs: LogEntry[] = [];
  const metrics: string[] = [];
  const handler = createHandler({
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    sns: options.lazySns ?? new SNSClient({ region: 'us-east-1' }),
    dynamodb: dynamo.client,
    env,
    configDir: options.configDir,
    retry: { ...DEFAULT_RETRY, backoffMs: 10 },
    log: (entry) => logs.push(entry),
    emitMetric: (line) => metrics.push(line),
  });
  return { handler, logs, metrics };
}

function publishedInputs(): PublishCommandInput[] {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

beforeEach(async () => {
  sm.reset();
  sns.reset();
  await dynamo.clearTable(TABLE);
  ddb.calls.length = 0;
  ddb.fault = undefined;
  sm.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const text = SECRETS[input.SecretId];
    if (text === undefined) throw new Error(`test has no secret ${input.SecretId}`);
    return { SecretString: text, VersionId: 'v1' };
  });
  sm.on(DescribeSecretCommand).resolves({ RotationEnabled: false });
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

describe('handler environment', () => {
  const VALID = { KEY_HEALTH_CONFIG: configJson('http://127.0.0.1:9', ['healthy']), ALERT_TOPIC_ARN: TOPIC, STATE_TABLE_NAME: TABLE };

  it('names every missing variable before reading any secret', async () => {
    const failure = await setUp({})
      .handler({}, contextOf())
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EnvError);
    expect((failure as EnvError).problems).toEqual([
      'KEY_HEALTH_CONFIG: is not set, nor is KEY_HEALTH_CONFIG_FILE; set exactly one of them',
      'ALERT_TOPIC_ARN: is not set',
      'STATE_TABLE_NAME: is not set',
    ]);
    expect(sm).not.toHaveReceivedCommand(GetSecretValueCommand);
  });

  it.each([
    ['config that is not JSON', { KEY_HEALTH_CONFIG: '{"keys": [' }, 'KEY_HEALTH_CONFIG: is not valid JSON'],
    [
      'a key without secretId',
      { KEY_HEALTH_CONFIG: JSON.stringify({ keys: [{ name: 'k', exchange: 'coinbase-exchange', credentials: { env: 'X' } }] }) },
      'KEY_HEALTH_CONFIG: keys[0].secretId: is required',
    ],
    ['an empty topic ARN', { ALERT_TOPIC_ARN: ' ' }, 'ALERT_TOPIC_ARN: is not set'],
    ['a queue ARN for the topic', { ALERT_TOPIC_ARN: 'arn:aws:sqs:us-east-1:123456789012:q' }, 'ALERT_TOPIC_ARN: must be an SNS topic ARN'],
    ['a topic name for the ARN', { ALERT_TOPIC_ARN: 'key-health-alerts' }, 'ALERT_TOPIC_ARN: must be an SNS topic ARN'],
    ['a FIFO topic', { ALERT_TOPIC_ARN: `${TOPIC}.fifo` }, 'ALERT_TOPIC_ARN: is a FIFO topic'],
    ['a malformed table name', { STATE_TABLE_NAME: 'a b' }, 'STATE_TABLE_NAME: must be a DynamoDB table name'],
    ['no state table', { STATE_TABLE_NAME: undefined }, 'STATE_TABLE_NAME: is not set'],
  ])('refuses %s, naming the variable', async (_label, override, message) => {
    await expect(setUp({ ...VALID, ...override }).handler({}, contextOf())).rejects.toThrow(message);
  });

  it.each([
    ['a GovCloud topic', 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts', 'key-health-State'],
    ['a China topic', 'arn:aws-cn:sns:cn-north-1:123456789012:Key_Health-1', 'state.table_1'],
  ])('accepts %s', async (_label, arn, tableName) => {
    const { handler } = setUp({ ...VALID, ALERT_TOPIC_ARN: arn, STATE_TABLE_NAME: tableName });
    const report = await handler({ dryRun: true }, contextOf());
    expect(report.results.map((r) => r.name)).toEqual(['healthy']);
  });
});

describe('handler', () => {
  let sim: Simulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSimulator(coinbaseExchangeHandler, { keys: [SIM_KEY] });
    env = {
      KEY_HEALTH_CONFIG: configJson(sim.origin, ['healthy', 'bad-passphrase', 'unknown-key']),
      ALERT_TOPIC_ARN: TOPIC,
      STATE_TABLE_NAME: TABLE,
    };
  });
  afterAll(() => sim.close());

  it('publishes one alert for a bad key, with subject, attributes and no secret', async () => {
    const { handler, logs } = setUp(env);
    const report = await handler({ keys: ['healthy', 'bad-passphrase'] }, contextOf());

    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ['healthy', 'ok'],
      ['bad-passphrase', 'critical'],
    ]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      MessageStructure: 'json',
      Subject: '[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        key: { DataType: 'String', StringValue: 'bad-passphrase' },
        exchange: { DataType: 'String', StringValue: 'coinbase-exchange' },
        codes: { DataType: 'String', StringValue: 'AUTH_INVALID_PASSPHRASE' },
      },
    });
    const message = JSON.parse(publishedInputs()[0]?.Message ?? '{}');
    expect(message.sms).toBe('key-health CRITICAL bad-passphrase: AUTH_INVALID_PASSPHRASE');
    expect(message.email).toContain('Invalid Passphrase');
    expect(message.email).toContain('--function-name key-health-checker');

    const everything = JSON.stringify([sns.calls().map((c) => c.args), logs, report]);
    for (const secret of SECRET_MATERIAL) expect(everything).not.toContain(secret);
    expect(logs.filter((l) => l.message === 'key checked').map((l) => [l.name, l.status, l.codes])).toEqual([
      ['healthy', 'ok', []],
      ['bad-passphrase', 'critical', ['AUTH_INVALID_PASSPHRASE']],
    ]);
  });

  it('checks every key on the schedule and publishes nothing for a healthy one', async () => {
    const { handler, logs } = setUp({ ...env, KEY_HEALTH_CONFIG: configJson(sim.origin, ['healthy']) });
    const report: Report = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, contextOf());
    expect(report.status).toBe('ok');
    expect(report.results[0]?.clock.source).toBe('time-endpoint');
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    const line = logs.find((l) => l.message === 'key checked');
    expect(line).toMatchObject({ name: 'healthy', exchange: 'coinbase-exchange', status: 'ok', codes: [], requestId: 'req-1' });
    expect(typeof line?.offsetMs).toBe('number');
    expect(typeof line?.latencyMs).toBe('number');
  });

  it('reads a config given as a file in its directory (KEY_HEALTH_CONFIG_FILE) and checks its keys', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'key-health-handler-'));
    try {
      writeFileSync(path.join(dir, 'key-health-config.json'), configJson(sim.origin, ['healthy', 'bad-passphrase']));
      const { KEY_HEALTH_CONFIG: _inline, ...rest } = env;
      const { handler } = setUp({ ...rest, KEY_HEALTH_CONFIG_FILE: 'key-health-config.json' }, { configDir: dir });
      const report = await handler({}, contextOf());
      expect(report.results.map((r) => [r.name, r.status])).toEqual([
        ['healthy', 'ok'],
        ['bad-passphrase', 'critical'],
      ]);
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes one embedded-metric line per key on a scheduled run and none on a dry run', async () => {
    const { handler, metrics } = setUp({
      ...env,
      KEY_HEALTH_METRICS: 'all',
      KEY_HEALTH_CONFIG: configJson(sim.origin, ['healthy', 'bad-passphrase']),
    });
    await handler({ dryRun: true }, contextOf());
    expect(metrics).toEqual([]);
    await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, contextOf());
    const lines = metrics.map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.Key, l.Exchange, l.StatusLevel])).toEqual([
      ['healthy', 'coinbase-exchange', 0],
      ['bad-passphrase', 'coinbase-exchange', 3],
    ]);
    expect(lines[0]._aws.CloudWatchMetrics[0].Namespace).toBe('KeyHealth');
    expect(metrics.join('\n')).not.toContain(PASSPHRASE);
  });

  it('builds the SNS client only when a run has an alert to send', async () => {
    let built = 0;
    const lazySns = async () => {
      built += 1;
      return new SNSClient({ region: 'us-east-1' });
    };
    const healthy = setUp({ ...env, KEY_HEALTH_CONFIG: configJson(sim.origin, ['healthy']) }, { lazySns });
    await healthy.handler({}, contextOf());
    expect(built).toBe(0);
    const broken = setUp(env, { lazySns });
    await broken.handler({}, contextOf());
    expect(built).toBe(1);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
  });

  it('publishes nothing on a dry run, but reports the bad keys', async () => {
    const { handler, logs } = setUp(env);
    const report = await handler({ dryRun: true }, contextOf());
    expect(report.results.map((r) => r.status)).toEqual(['ok', 'critical', 'critical']);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    // One batch read of the three keys' states, and no write.
    expect(ddb.calls.map((c) => c.command)).toEqual(['BatchGetItemCommand']);
    expect(logs.filter((l) => l.message === 'alert decided').map((l) => [l.name, l.kind])).toEqual([
      ['healthy', 'none'],
      ['bad-passphrase', 'new'],
      ['unknown-key', 'new'],
    ]);
    expect(logs.at(-1)).toMatchObject({ message: 'run finished', dryRun: true, alertsPublished: 0, deliveryFailures: 0 });
  });

  it('returns the report of a dry run even when the state table cannot be read', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: dynamodb:GetItem'), { name: 'AccessDeniedException' });
    ddb.fault = (call) => (/GetItemCommand$/.test(call.command) ? { error: denied, when: 'before' } : undefined);
    const { handler, logs } = setUp(env);
    const report = await handler({ keys: ['bad-passphrase'], dryRun: true }, contextOf());
    expect(report.results.map((r) => r.status)).toEqual(['critical']);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'alert state not read; no alert decided for this key', name: 'bad-passphrase' }),
    );
    await expect(handler({ keys: ['bad-passphrase'] }, contextOf())).rejects.toThrow('bad-passphrase (read failed)');
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('fails after every key was checked and every other alert tried when one publish fails', async () => {
    sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      if (input.MessageAttributes?.key?.StringValue === 'bad-passphrase')
        throw new ThrottledException({ message: 'Rate exceeded', $metadata: {} });
      return { MessageId: 'msg-2' };
    });
    const { handler, logs } = setUp(env);
    const failure = await handler(null, contextOf()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(AlertDeliveryError);
    expect((failure as AlertDeliveryError).keys).toEqual(['bad-passphrase']);
    expect((failure as Error).message).toContain('Alerts could not be delivered for 1 key(s): bad-passphrase (publish failed)');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
    expect(publishedInputs().map((i) => i.Subject)).toEqual([
      '[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE',
      '[CRITICAL] unknown-key: AUTH_INVALID_KEY',
    ]);
    expect(logs.filter((l) => l.message === 'key checked')).toHaveLength(3);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'alert not published; it is sent again next run',
        name: 'bad-passphrase',
        requestId: 'req-1',
        error: expect.stringContaining('ThrottledException'),
      }),
    );
    expect(logs.at(-1)).toMatchObject({ level: 'ERROR', message: 'run finished', alertsPublished: 1, deliveryFailures: 1 });

    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'msg-3' });
    await expect(setUp(env).handler(null, contextOf())).resolves.toMatchObject({ status: 'critical' });
    expect(publishedInputs().map((i) => i.Subject)).toEqual(['[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE']);
  });

  it('refuses a manual run naming an unknown key before reading any secret', async () => {
    const { handler } = setUp(env);
    const run = handler({ keys: ['healthy', 'bad-pasphrase'], dryRun: true }, contextOf());
    await expect(run).rejects.toThrow(InvalidEventError);
    await expect(run).rejects.toThrow('unknown key name(s) "bad-pasphrase"');
    expect(sm).not.toHaveReceivedCommand(GetSecretValueCommand);
  });

  it('stops checking at the deadline the invocation leaves', async () => {
    sim.misbehave('/accounts', { kind: 'hang' });
    try {
      const { handler } = setUp({ ...env, KEY_HEALTH_CONFIG: configJson(sim.origin, ['healthy']) });
      const started = Date.now();
      // 1.5 s left: the engine gets its minimum of 1 s, well before the key's 5 s request timeout.
      const report = await handler({ dryRun: true }, contextOf(1_500));
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(report.results[0]?.findings.map((f) => f.code)).toEqual(['EXCHANGE_UNAVAILABLE']);
    } finally {
      sim.reset();
    }
  });
});

describe('handler bundle', () => {
  it('pulls in nothing from test/ or lib/ and stays small with the AWS SDK external', () => {
    const result = buildSync({
      entryPoints: [path.join(__dirname, '../../lambda/handler.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node20',
      external: ['@aws-sdk/*'],
      write: false,
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((file) => /(^|\/)(test|lib)\//.test(file))).toEqual([]);
    expect(inputs.some((file) => file.endsWith('lambda/handler.ts'))).toBe(true);
    // Ten adapters with their error tables and README guides come to about 130 KB minified; a ccxt checker is 6 MB.
    expect(result.outputFiles[0]?.contents.byteLength).toBeLessThan(200_000);
  });
});
