import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  DecryptionFailure,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidRequestException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import {
  KMSAccessDeniedException,
  KMSDisabledException,
  KMSThrottlingException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { LEASE_MS } from '../../lambda/alerts/deliver';
import { DynamoAlertStateStore } from '../../lambda/aws/state-store';
import { DEFAULT_RETRY } from '../../lambda/engine/runtime';
import { AlertDeliveryError } from '../../lambda/errors';
import { createHandler, type LambdaContext } from '../../lambda/handler';
import type { LogEntry } from '../../lambda/log';
import type { Report } from '../../lambda/report';
import { type ClientTap, type LocalDynamo, startDynalite, type TappedCall, tapClient } from '../support/dynalite';
import { coinbaseExchangeHandler } from '../support/simulator/coinbase-exchange';
import { type SimKey, type Simulator, startSimulator } from '../support/simulator/sim-server';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:key-health-alerts';
const API_SECRET = randomBytes(64).toString('base64');
const PASSPHRASE = 'fault matrix passphrase';
const SIM_KEY: SimKey = {
  apiKey: 'cbx-live-faults',
  secret: API_SECRET,
  passphrase: PASSPHRASE,
  permissions: { view: true, trade: true, transfer: false },
  futures: true,
};
const SECRETS: Record<string, string> = {
  'trading/healthy': JSON.stringify({ apiKey: 'cbx-live-faults', apiSecret: API_SECRET, passphrase: PASSPHRASE }),
  'trading/bad-passphrase': JSON.stringify({ apiKey: 'cbx-live-faults', apiSecret: API_SECRET, passphrase: 'not the one' }),
  'trading/unknown-key': JSON.stringify({ apiKey: 'cbx-deleted-0000', apiSecret: API_SECRET, passphrase: PASSPHRASE }),
};
const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event' };

/** An error as the SDK throws a service's answer after its own retries. */
function smError(name: string, status: number): SecretsManagerServiceException {
  return new SecretsManagerServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    message: `${name}`,
    $metadata: { httpStatusCode: status },
  });
}

/** Secret ids that fail, by the error Secrets Manager answers with (a binary secret is answered, not thrown). */
const SECRET_FAULTS: Record<string, Error | 'binary'> = {
  'trading/throttled': smError('ThrottlingException', 400),
  'trading/outage': new InternalServiceError({ message: 'internal', $metadata: { httpStatusCode: 500 } }),
  'trading/denied': smError('AccessDeniedException', 400),
  'trading/kms': new DecryptionFailure({ message: 'Access to KMS is not allowed', $metadata: { httpStatusCode: 400 } }),
  'trading/kms-disabled': smError('KMSDisabledException', 400),
  'trading/deleting': new InvalidRequestException({ message: 'marked for deletion', $metadata: { httpStatusCode: 400 } }),
  'trading/binary': 'binary',
};

const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const sm = mockClient(smClient);
const snsClient = new SNSClient({ region: 'us-east-1' });
const sns = mockClient(snsClient);

let sim: Simulator;
let dynamo: LocalDynamo;
let ddb: ClientTap;
let table: string;
/** How far the handler's clock (and the exchange's, so signatures stay valid) runs ahead of real time. */
let shiftMs = 0;

/** Moves the handler's and the exchange's clocks `ms` ahead, as the next scheduled run would find them. */
function later(ms: number): void {
  shiftMs += ms;
  sim.skewMs = shiftMs;
}

beforeAll(async () => {
  sim = await startSimulator(coinbaseExchangeHandler, { keys: [SIM_KEY] });
  dynamo = await startDynalite();
  ddb = tapClient(dynamo.client);
});
afterAll(async () => {
  await sim.close();
  await dynamo.stop();
});

beforeEach(async () => {
  sim.reset();
  shiftMs = 0;
  sim.skewMs = 0;
  sm.reset();
  sns.reset();
  table = await dynamo.createTable();
  ddb.calls.length = 0;
  ddb.fault = undefined;
  sm.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const fault = SECRET_FAULTS[input.SecretId];
    if (fault === 'binary') return { SecretBinary: new Uint8Array([1, 2, 3]), VersionId: 'v1' };
    if (fault) throw fault;
    const text = SECRETS[input.SecretId];
    if (text === undefined) throw new Error(`test has no secret ${input.SecretId}`);
    return { SecretString: text, VersionId: 'v1' };
  });
  sm.on(DescribeSecretCommand).resolves({ RotationEnabled: false });
  sns.on(PublishCommand).resolves({ MessageId: 'msg' });
});

interface Setup {
  readonly names: string[];
  readonly concurrency?: number;
  readonly dynamodb?: DynamoDBClient;
  readonly tableName?: string;
  readonly sns?: SNSClient;
}

function handlerFor(setup: Setup) {
  const logs: LogEntry[] = [];
  const sleeps: number[] = [];
  const handler = createHandler({
    secretsManager: smClient,
    sns: setup.sns ?? snsClient,
    dynamodb: setup.dynamodb ?? dynamo.client,
    env: {
      KEY_HEALTH_CONFIG: JSON.stringify({
        alerts: { emails: ['ops@example.com'], unknownAfterRuns: 3 },
        ...(setup.concurrency && { concurrency: setup.concurrency }),
        keys: setup.names.map((name) => ({ name, exchange: 'coinbase-exchange', secretId: `trading/${name}`, baseUrl: sim.origin })),
      }),
      ALERT_TOPIC_ARN: TOPIC,
      STATE_TABLE_NAME: setup.tableName ?? table,
    },
    // Real time for the signatures; waits (request backoff, commit retries) are recorded, not slept.
    clock: {
      now: () => Date.now() + shiftMs,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    retry: { ...DEFAULT_RETRY, backoffMs: 10 },
    log: (entry) => logs.push(entry),
    emitMetric: () => {},
  });
  return { handler, logs, sleeps };
}

function contextOf(remainingMs = 30_000): LambdaContext {
  return { getRemainingTimeInMillis: () => remainingMs, functionName: 'key-health-checker', awsRequestId: 'req-faults' };
}

/** Runs the handler and returns its report or the error it ended in. */
function run(handler: ReturnType<typeof handlerFor>['handler'], context = contextOf()): Promise<Report | AlertDeliveryError> {
  return handler(SCHEDULED, context).catch((error: unknown) => {
    if (error instanceof AlertDeliveryError) return error;
    throw error;
  });
}

/** The keys and stages an AlertDeliveryError names. */
function stagesOf(failure: unknown) {
  return (failure as AlertDeliveryError).failures.map(({ key, stage }) => ({ key, stage }));
}

function published(): Array<string | undefined> {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject);
}

const stateOf = (key: string, tableName = table) => new DynamoAlertStateStore(dynamo.client, tableName).read(key);
const keyOf = (call: TappedCall) => (call.input.Key as { key?: { S?: string } } | undefined)?.key?.S;
/** The keys a call reads: its Key, or every key of a BatchGetItem. */
const keysOf = (call: TappedCall): string[] => {
  const batch = (call.input.RequestItems as Record<string, { Keys: { key?: { S?: string } }[] }> | undefined) ?? {};
  const many = Object.values(batch).flatMap((table) => table.Keys.map((k) => k.key?.S ?? ''));
  return [...many, ...(keyOf(call) === undefined ? [] : [keyOf(call) as string])];
};
const isCommit = (call: TappedCall) => call.command === 'UpdateItemCommand' && call.input.ConditionExpression === '#revision = :revision';
const isClaim = (call: TappedCall) =>
  call.command === 'UpdateItemCommand' && String(call.input.UpdateExpression).startsWith('SET #revision = :next, #claimUntil');

describe('Secrets Manager faults through the handler', () => {
  it('reports each unreadable secret as a finding of its own key, checks the others, and pages only for what a person must fix', async () => {
    const names = ['healthy', 'throttled', 'outage', 'denied', 'kms', 'kms-disabled', 'deleting', 'binary'];
    const { handler, logs } = handlerFor({ names });
    const report = await handler(SCHEDULED, contextOf());
    expect(report.results.map((r) => [r.name, r.status, r.findings.map((f) => f.code)])).toEqual([
      ['healthy', 'ok', []],
      ['throttled', 'unknown', ['RATE_LIMITED']],
      ['outage', 'unknown', ['SECRET_STORE_UNAVAILABLE']],
      ['denied', 'critical', ['SECRET_UNREADABLE']],
      ['kms', 'critical', ['SECRET_UNREADABLE']],
      ['kms-disabled', 'critical', ['SECRET_UNREADABLE']],
      ['deleting', 'critical', ['SECRET_UNREADABLE']],
      ['binary', 'critical', ['SECRET_UNREADABLE']],
    ]);
    expect(report.results[1]?.findings[0]?.message).toBe(
      'Cannot read the secret "trading/throttled": ThrottlingException: Secrets Manager throttled the request; the next run tries again.',
    );
    expect(published()).toEqual([
      '[CRITICAL] denied: SECRET_UNREADABLE',
      '[CRITICAL] kms: SECRET_UNREADABLE',
      '[CRITICAL] kms-disabled: SECRET_UNREADABLE',
      '[CRITICAL] deleting: SECRET_UNREADABLE',
      '[CRITICAL] binary: SECRET_UNREADABLE',
    ]);
    expect(logs.filter((l) => l.message === 'key checked')).toHaveLength(names.length);
    expect(JSON.stringify([logs, report, sns.calls().map((c) => c.args)])).not.toContain(API_SECRET);
  });

  it('announces a Secrets Manager that keeps throttling as UNKNOWN, and only after unknownAfterRuns runs in a row', async () => {
    const { handler } = handlerFor({ names: ['throttled'] });
    for (const _ of [1, 2]) await handler(SCHEDULED, contextOf());
    expect(published()).toEqual([]);
    await handler(SCHEDULED, contextOf());
    expect(published()).toEqual(['[UNKNOWN] throttled: RATE_LIMITED']);
    expect(JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}').email).toContain('request quota');
  });
});

describe('DynamoDB faults through the handler', () => {
  const NAMES = ['healthy', 'bad-passphrase', 'unknown-key'];

  it.each([
    [
      'ProvisionedThroughputExceededException on the claim',
      'claim',
      isClaim,
      new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the current capacity', $metadata: {} }),
    ],
    [
      'ThrottlingException on the read',
      'read',
      // The run's batch read, and then the key's own read, are throttled.
      (call: TappedCall) => call.command === 'GetItemCommand' || call.command === 'BatchGetItemCommand',
      Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' }),
    ],
  ])(
    'logs %s naming the key and the stage, tries every key, fails the run, and sends the alert once the table recovers',
    async (_label, stage, matches, error) => {
      ddb.fault = (call) => (matches(call) && keysOf(call).includes('bad-passphrase') ? { error, when: 'before' } : undefined);
      const { handler, logs } = handlerFor({ names: NAMES });
      const failure = await run(handler);
      expect(failure).toBeInstanceOf(AlertDeliveryError);
      expect(stagesOf(failure)).toEqual([{ key: 'bad-passphrase', stage }]);
      expect(logs.filter((l) => l.message === 'key checked')).toHaveLength(3);
      expect(logs).toContainEqual(
        expect.objectContaining({
          level: 'ERROR',
          name: 'bad-passphrase',
          stage,
          requestId: 'req-faults',
          error: expect.stringContaining(error.name),
        }),
      );
      expect(published()).toEqual(['[CRITICAL] unknown-key: AUTH_INVALID_KEY']);

      ddb.fault = undefined;
      await expect(run(handler)).resolves.toMatchObject({ status: 'critical' });
      await run(handler);
      expect(published()).toEqual(['[CRITICAL] unknown-key: AUTH_INVALID_KEY', '[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE']);
    },
  );

  it('ends in AlertDeliveryError naming every key when the table does not exist, after checking them all', async () => {
    const { handler, logs } = handlerFor({ names: NAMES, tableName: 'KeyHealth-Deleted' });
    const failure = await run(handler);
    expect(stagesOf(failure)).toEqual(NAMES.map((key) => ({ key, stage: 'read' })));
    expect(
      logs
        .filter((l) => l.level === 'ERROR' && l.stage === 'read')
        .map((l) => [l.name, String(l.error).includes('ResourceNotFoundException')]),
    ).toEqual(NAMES.map((name) => [name, true]));
    expect(published()).toEqual([]);
  });

  it('ends in AlertDeliveryError when the table cannot be reached, and publishes nothing it could not record', async () => {
    const gone = await startDynalite();
    const client = gone.newClient();
    const tableName = await gone.createTable();
    await gone.stop();
    const { handler, logs } = handlerFor({ names: NAMES, dynamodb: client, tableName });
    const failure = await run(handler);
    expect((failure as AlertDeliveryError).keys).toEqual(NAMES);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'ERROR', stage: 'read', error: expect.stringContaining('ECONNREFUSED') }));
    expect(published()).toEqual([]);
    client.destroy();
  });

  it('sends a message whose commit failed for the whole retry window once more on the next run, and not a third time', async () => {
    ddb.fault = (call) =>
      isCommit(call) && keyOf(call) === 'bad-passphrase'
        ? { error: new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }), when: 'before' }
        : undefined;
    const { handler, logs, sleeps } = handlerFor({ names: NAMES });
    const failure = await run(handler);
    expect(stagesOf(failure)).toEqual([{ key: 'bad-passphrase', stage: 'commit' }]);
    expect(sleeps).toEqual([200, 400, 800]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'alert published but its state not saved; the next run may send it again',
        name: 'bad-passphrase',
      }),
    );
    ddb.fault = undefined;
    // The failed commit left the claim's lease: the next run comes after it expired.
    later(LEASE_MS + 60_000);
    await run(handler);
    later(5 * 60_000);
    await run(handler);
    expect(published().filter((s) => s?.includes('bad-passphrase'))).toEqual([
      '[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE',
      '[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE',
    ]);
    expect(published().filter((s) => s?.includes('unknown-key'))).toHaveLength(1);
  });

  it('leaves a key another run is sending for alone (its condition fails) without failing the run', async () => {
    const other = new DynamoAlertStateStore(dynamo.client, table);
    const now = Date.now();
    const before = { status: 'ok', codes: [], since: null, lastNotifiedAt: null, unknownRuns: 0, secretVersionId: null } as const;
    await other.claim('bad-passphrase', 0, now, now + LEASE_MS, {
      next: { ...before, status: 'critical', codes: ['AUTH_INVALID_PASSPHRASE'] },
      from: before,
      by: 'another-run',
    });
    const { handler, logs } = handlerFor({ names: NAMES });
    await expect(run(handler)).resolves.toMatchObject({ status: 'critical' });
    expect(published()).toEqual(['[CRITICAL] unknown-key: AUTH_INVALID_KEY']);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'INFO', message: 'alert skipped: another run is handling this key', name: 'bad-passphrase' }),
    );
  });
});

describe('SNS faults through the handler', () => {
  it.each([
    [
      'ThrottledException',
      new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
      'SNS throttled the publish',
    ],
    [
      'KMSAccessDeniedException',
      new KMSAccessDeniedException({
        message: 'User is not authorized to perform kms:GenerateDataKey',
        $metadata: { httpStatusCode: 400 },
      }),
      "may not use the topic's KMS key",
    ],
    ['KMSDisabledException', new KMSDisabledException({ message: 'key is disabled', $metadata: { httpStatusCode: 400 } }), 'is disabled'],
    [
      'KMSThrottlingException',
      new KMSThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
      'KMS throttled',
    ],
  ])('keeps the state of a key whose publish hit %s, logs it, fails the run, and sends it next run', async (name, error, hint) => {
    sns.on(PublishCommand).callsFake((input: { MessageAttributes?: Record<string, { StringValue?: string }> }) => {
      if (input.MessageAttributes?.key?.StringValue === 'bad-passphrase') throw error;
      return { MessageId: 'msg' };
    });
    const { handler, logs } = handlerFor({ names: ['healthy', 'bad-passphrase', 'unknown-key'] });
    const failure = await run(handler);
    expect(stagesOf(failure)).toEqual([{ key: 'bad-passphrase', stage: 'publish' }]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        name: 'bad-passphrase',
        stage: 'publish',
        error: expect.stringMatching(new RegExp(`${name}: .*${hint}`)),
      }),
    );
    await expect(stateOf('bad-passphrase')).resolves.toMatchObject({
      state: { status: 'ok', codes: [] },
      claimUntilMs: null,
      pending: null,
    });

    sns.on(PublishCommand).resolves({ MessageId: 'msg' });
    await expect(run(handler)).resolves.toMatchObject({ status: 'critical' });
    await run(handler);
    expect(published().filter((s) => s?.includes('bad-passphrase'))).toEqual([
      '[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE',
      '[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE',
    ]);
    expect(sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.Subject?.includes('unknown-key'))).toHaveLength(1);
  });
});

describe('the invocation running out of time', () => {
  it('reports the keys its deadline left unchecked as not checked and leaves their alert state as it was', async () => {
    const names = ['healthy', 'bad-passphrase', 'unknown-key'];
    await run(handlerFor({ names }).handler);
    expect(published()).toHaveLength(2);
    const before = await Promise.all(names.map((name) => stateOf(name)));

    sim.misbehave('/accounts', { kind: 'hang' });
    const { handler, logs } = handlerFor({ names, concurrency: 1 });
    // 1.5 s left: the engine gets its minimum of 1 s; the first key's request is cut at the deadline.
    const report = await handler(SCHEDULED, contextOf(1_500));
    expect(report.results.map((r) => [r.name, r.findings.map((f) => f.message)])).toEqual([
      ['healthy', [expect.stringContaining('timed out')]],
      ['bad-passphrase', ['The run deadline was reached before this key was checked.']],
      ['unknown-key', ['The run deadline was reached before this key was checked.']],
    ]);
    const after = await Promise.all(names.map((name) => stateOf(name)));
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(after[0]?.state.unknownRuns).toBe(1);
    expect(logs.filter((l) => l.message.startsWith('alert state left as it was')).map((l) => l.name)).toEqual([
      'bad-passphrase',
      'unknown-key',
    ]);
    expect(published()).toHaveLength(2);

    sim.reset();
    await expect(run(handlerFor({ names }).handler)).resolves.toMatchObject({ status: 'critical' });
    expect(published()).toHaveLength(2);
  });

  describe('with SNS not answering', () => {
    let silent: Server;
    let silentSns: SNSClient;
    beforeAll(async () => {
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentSns = new SNSClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
    });
    afterAll(async () => {
      silentSns.destroy();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('aborts a publish still running near the timeout, keeps it pending, and sends it on the next run', async () => {
      const { handler, logs } = handlerFor({ names: ['bad-passphrase'], sns: silentSns });
      const started = Date.now();
      // 1.1 s left: PUBLISH_RESERVE_MS (1 s) leaves the publish 100 ms.
      const failure = await run(handler, contextOf(1_100));
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(stagesOf(failure)).toEqual([{ key: 'bad-passphrase', stage: 'publish' }]);
      expect(logs).toContainEqual(
        expect.objectContaining({ level: 'ERROR', stage: 'publish', error: expect.stringContaining('AbortError') }),
      );
      await expect(stateOf('bad-passphrase')).resolves.toMatchObject({
        state: { status: 'ok' },
        pending: { next: { status: 'critical', codes: ['AUTH_INVALID_PASSPHRASE'] } },
        claimUntilMs: null,
      });

      await run(handlerFor({ names: ['bad-passphrase'] }).handler);
      expect(published()).toEqual(['[CRITICAL] bad-passphrase: AUTH_INVALID_PASSPHRASE']);
      await expect(stateOf('bad-passphrase')).resolves.toMatchObject({ state: { status: 'critical' }, pending: null });
    });
  });
});
