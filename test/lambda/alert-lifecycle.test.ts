import { randomBytes } from 'node:crypto';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoAlertStateStore } from '../../lambda/aws/state-store';
import { SYSTEM_CLOCK } from '../../lambda/clock';
import { DEFAULT_RETRY } from '../../lambda/engine/runtime';
import { AlertDeliveryError } from '../../lambda/errors';
import { createHandler, type LambdaContext } from '../../lambda/handler';
import { nodeTransport } from '../../lambda/http/node-transport';
import { type ClientTap, type LocalDynamo, startDynalite, tapClient } from '../support/dynalite';
import { coinbaseExchangeHandler } from '../support/simulator/coinbase-exchange';
import { MISBEHAVIOURS, type SimKey, type Simulator, startSimulator } from '../support/simulator/sim-server';

const API_KEY = 'cbx-live-lifecycle';
const API_SECRET = randomBytes(64).toString('base64');
const PASSPHRASE = 'lifecycle passphrase';
const MINUTE = 60_000;
const CONTEXT: LambdaContext = { getRemainingTimeInMillis: () => 30_000, functionName: 'key-health-checker', awsRequestId: 'req' };

const TABLE = 'KeyHealth-AlertState';

const sm = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
let dynamo: LocalDynamo;
let ddb: ClientTap;

let sim: Simulator;
let simKey: SimKey;
let secretVersion: string;
/** How far the handler's clock (and, to keep signatures valid, the exchange's) runs ahead of real time. */
let shiftMs: number;

beforeAll(async () => {
  sim = await startSimulator(coinbaseExchangeHandler, {
    keys: [
      {
        apiKey: API_KEY,
        secret: API_SECRET,
        passphrase: PASSPHRASE,
        permissions: { view: true, trade: true, transfer: false },
        futures: true,
      },
    ],
  });
});
afterAll(() => sim.close());

beforeAll(async () => {
  dynamo = await startDynalite();
  ddb = tapClient(dynamo.client);
  await dynamo.createTable(TABLE);
});
afterAll(() => dynamo.stop());

beforeEach(async () => {
  sim.reset();
  simKey = sim.keys.get(API_KEY) as SimKey;
  simKey.passphrase = PASSPHRASE;
  secretVersion = 'v1';
  shiftMs = 0;
  for (const mock of [sm, sns]) mock.reset();
  sm.on(GetSecretValueCommand).callsFake(() => ({
    SecretString: JSON.stringify({ apiKey: API_KEY, apiSecret: API_SECRET, passphrase: PASSPHRASE }),
    VersionId: secretVersion,
  }));
  sm.on(DescribeSecretCommand).resolves({ RotationEnabled: false });
  sns.on(PublishCommand).resolves({ MessageId: 'msg' });
  ddb.fault = undefined;
  ddb.hold = undefined;
  await dynamo.clearTable(TABLE);
});

function handlerFor(alerts: Record<string, unknown> = {}) {
  return createHandler({
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    sns: new SNSClient({ region: 'us-east-1' }),
    dynamodb: dynamo.client,
    env: {
      KEY_HEALTH_CONFIG: JSON.stringify({
        alerts: { emails: ['ops@example.com'], repeatAfterHours: 24, unknownAfterRuns: 3, ...alerts },
        keys: [{ name: 'coinbase-futures', exchange: 'coinbase-exchange', secretId: 'trading/futures', baseUrl: sim.origin }],
      }),
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:key-health-alerts',
      STATE_TABLE_NAME: TABLE,
    },
    transport: nodeTransport,
    clock: { ...SYSTEM_CLOCK, now: () => Date.now() + shiftMs },
    retry: { ...DEFAULT_RETRY, backoffMs: 5 },
    log: () => {},
    emitMetric: () => {},
  });
}

/** Runs the schedule at `minutes` after the start, on the handler's and the exchange's shifted clock. */
async function runAt(minutes: number, handler = handlerFor()): Promise<unknown> {
  shiftMs = minutes * MINUTE;
  sim.skewMs = shiftMs;
  return handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, CONTEXT).then(
    (report) => report.status,
    (error: unknown) => error,
  );
}

function stateOf(key: string) {
  return new DynamoAlertStateStore(dynamo.client, TABLE).read(key);
}

function subjects(): Array<string | undefined> {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject);
}

function emails(): string[] {
  return sns.commandCalls(PublishCommand).map((call) => JSON.parse(call.args[0].input.Message ?? '{}').email);
}

const broken = () => {
  simKey.passphrase = 'changed on the exchange';
};
const fixed = () => {
  simKey.passphrase = PASSPHRASE;
};

describe('alert lifecycle through the handler', () => {
  it('sends exactly new, reminder and RESOLVED for ok -> broken -> still broken -> past the repeat interval -> fixed', async () => {
    const handler = handlerFor();
    expect(await runAt(0, handler)).toBe('ok');
    broken();
    expect(await runAt(5, handler)).toBe('critical');
    expect(await runAt(10, handler)).toBe('critical');
    expect(await runAt(5 + 24 * 60 - 5, handler)).toBe('critical');
    expect(subjects()).toEqual(['[CRITICAL] coinbase-futures: AUTH_INVALID_PASSPHRASE']);

    expect(await runAt(5 + 24 * 60, handler)).toBe('critical');
    expect(await runAt(10 + 24 * 60, handler)).toBe('critical');
    fixed();
    expect(await runAt(15 + 24 * 60, handler)).toBe('ok');
    expect(await runAt(20 + 24 * 60, handler)).toBe('ok');

    expect(subjects()).toEqual([
      '[CRITICAL] coinbase-futures: AUTH_INVALID_PASSPHRASE',
      '[STILL CRITICAL] coinbase-futures: AUTH_INVALID_PASSPHRASE',
      '[RESOLVED] coinbase-futures: AUTH_INVALID_PASSPHRASE',
    ]);
    const [first, reminder, resolved] = emails();
    expect(first).toContain('Invalid Passphrase');
    expect(reminder).toContain('for 24 hours.');
    expect(resolved).toContain('The problem lasted 24 hours 10 minutes');
    await expect(stateOf('coinbase-futures')).resolves.toMatchObject({ state: { status: 'ok', codes: [] }, pending: null });
    expect(JSON.stringify(sns.calls().map((call) => call.args))).not.toContain(PASSPHRASE);
  });

  it('stays quiet while the exchange is down for fewer than unknownAfterRuns runs, and speaks once it has been', async () => {
    sim.misbehave('', MISBEHAVIOURS.unavailableHtml);
    expect(await runAt(0)).toBe('unknown');
    expect(await runAt(5)).toBe('unknown');
    expect(subjects()).toEqual([]);
    expect(await runAt(10)).toBe('unknown');
    expect(await runAt(15)).toBe('unknown');
    expect(subjects()).toEqual(['[UNKNOWN] coinbase-futures: EXCHANGE_UNAVAILABLE']);
  });

  it('does not page for a flapping exchange', async () => {
    for (const [minutes, down] of [
      [0, true],
      [5, true],
      [10, false],
      [15, true],
      [20, true],
      [25, false],
    ] as const) {
      if (down) sim.misbehave('', MISBEHAVIOURS.unavailableHtml);
      else sim.reset();
      await runAt(minutes);
    }
    expect(subjects()).toEqual([]);
  });

  it('sends a message whose publish failed on the next run, once', async () => {
    broken();
    sns
      .on(PublishCommand)
      .rejectsOnce(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ MessageId: 'msg' });
    const failure = await runAt(5);
    expect(failure).toBeInstanceOf(AlertDeliveryError);
    expect((failure as AlertDeliveryError).failures).toEqual([
      { key: 'coinbase-futures', stage: 'publish', error: expect.stringContaining('ThrottledException: Rate exceeded') },
    ]);
    expect(await runAt(10)).toBe('critical');
    expect(await runAt(15)).toBe('critical');
    expect(subjects()).toEqual([
      '[CRITICAL] coinbase-futures: AUTH_INVALID_PASSPHRASE',
      '[CRITICAL] coinbase-futures: AUTH_INVALID_PASSPHRASE',
    ]);
  });

  it('sends once when two runs overlap', async () => {
    broken();
    shiftMs = 5 * MINUTE;
    sim.skewMs = shiftMs;
    // Both runs read the state before either claims: the worst interleaving.
    const waiting: Array<() => void> = [];
    // Only the first read of each run (its batch read) waits; the loser reading its claim back passes.
    ddb.hold = (call) =>
      call.command === 'BatchGetItemCommand' && waiting.length < 2
        ? new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length === 2) for (const release of waiting) release();
          })
        : undefined;
    const event = { source: 'aws.events', 'detail-type': 'Scheduled Event' };
    const outcomes = await Promise.allSettled([handlerFor()(event, CONTEXT), handlerFor()(event, CONTEXT)]);
    expect(waiting).toHaveLength(2);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(subjects()).toEqual(['[CRITICAL] coinbase-futures: AUTH_INVALID_PASSPHRASE']);
  });

  it('says so when a rotation installed the key that now fails', async () => {
    expect(await runAt(0)).toBe('ok');
    secretVersion = 'v2';
    broken();
    await runAt(5);
    expect(emails()[0]).toContain('the secret changed since the last run (a rotation installed this key)');
    expect((await stateOf('coinbase-futures'))?.state.secretVersionId).toBe('v2');
  });
});
