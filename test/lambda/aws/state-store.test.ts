import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoAlertStateStore, parseStoredState } from '../../../lambda/aws/state-store';
import { AlertStateError } from '../../../lambda/errors';
import 'aws-sdk-client-mock-jest';
import type { AlertState } from '../../../lambda/alerts/decide';
import type { PendingAnnouncement } from '../../../lambda/alerts/deliver';
import { freshTableName, type LocalDynamo, startDynalite, tapClient } from '../../support/dynalite';

const TABLE = 'KeyHealth-AlertState-1A2B3C';
const NOW = Date.parse('2026-11-27T10:00:00.000Z');
const BROKEN: AlertState = {
  status: 'critical',
  codes: ['AUTH_INVALID_KEY', 'ROTATION_OVERDUE'],
  since: '2026-11-27T09:55:00.000Z',
  lastNotifiedAt: '2026-11-27T09:55:00.000Z',
  unknownRuns: 0,
  secretVersionId: 'v-7',
};
const FRESH: AlertState = { status: 'ok', codes: [], since: null, lastNotifiedAt: null, unknownRuns: 2, secretVersionId: null };

const BROKEN_ATTRIBUTES: Record<string, AttributeValue> = {
  status: { S: 'critical' },
  codes: { L: [{ S: 'AUTH_INVALID_KEY' }, { S: 'ROTATION_OVERDUE' }] },
  since: { S: '2026-11-27T09:55:00.000Z' },
  lastNotifiedAt: { S: '2026-11-27T09:55:00.000Z' },
  unknownRuns: { N: '0' },
  secretVersionId: { S: 'v-7' },
};
const FRESH_ATTRIBUTES: Record<string, AttributeValue> = {
  status: { S: 'ok' },
  codes: { L: [] },
  since: { NULL: true },
  lastNotifiedAt: { NULL: true },
  unknownRuns: { N: '2' },
  secretVersionId: { NULL: true },
};
/** A claim about to announce BROKEN to recipients who know FRESH. */
const SENDING: PendingAnnouncement = { next: BROKEN, from: FRESH, by: 'run-1' };
const SENDING_ATTRIBUTE: AttributeValue = { M: { next: { M: BROKEN_ATTRIBUTES }, from: { M: FRESH_ATTRIBUTES }, by: { S: 'run-1' } } };
const STATE_SET =
  'SET #status = :status, #codes = :codes, #since = :since, #lastNotifiedAt = :lastNotifiedAt, #unknownRuns = :unknownRuns, #secretVersionId = :secretVersionId, #revision = :next';
const STATE_NAMES = {
  '#status': 'status',
  '#codes': 'codes',
  '#since': 'since',
  '#lastNotifiedAt': 'lastNotifiedAt',
  '#unknownRuns': 'unknownRuns',
  '#secretVersionId': 'secretVersionId',
  '#revision': 'revision',
  '#claimUntil': 'claimUntil',
};

// Only this client is mocked: the dynalite clients below talk to a real DynamoDB implementation.
const mocked = new DynamoDBClient({ region: 'us-east-1' });
const ddb = mockClient(mocked);
const store = new DynamoAlertStateStore(mocked, TABLE);
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function updateInputs(): UpdateItemCommandInput[] {
  return ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
}

beforeEach(() => ddb.reset());

describe('DynamoAlertStateStore requests', () => {
  it('reads one item consistently by its key and maps every attribute, the pending announcement included', async () => {
    ddb.on(GetItemCommand).resolves({
      Item: {
        key: { S: 'coinbase-futures' },
        ...BROKEN_ATTRIBUTES,
        revision: { N: '12' },
        claimUntil: { N: String(NOW + 120_000) },
        pending: {
          M: {
            next: { M: { status: { S: 'ok' }, codes: { L: [] }, since: { NULL: true }, unknownRuns: { N: '2' } } },
            from: { M: BROKEN_ATTRIBUTES },
            by: { S: 'run-7' },
          },
        },
      },
    });
    await expect(store.read('coinbase-futures')).resolves.toEqual({
      state: BROKEN,
      revision: 12,
      claimUntilMs: NOW + 120_000,
      pending: { next: FRESH, from: BROKEN, by: 'run-7' },
    });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: TABLE,
      Key: { key: { S: 'coinbase-futures' } },
      ConsistentRead: true,
    });
  });

  it('reads a missing item as null', async () => {
    ddb.on(GetItemCommand).resolves({});
    await expect(store.read('new-key')).resolves.toBeNull();
  });

  it('reads an item that only a claim wrote as the initial state, and an unknown status as ok', () => {
    expect(parseStoredState({ key: { S: 'k' }, revision: { N: '1' }, claimUntil: { N: '5' } })).toEqual({
      state: { status: 'ok', codes: [], since: null, lastNotifiedAt: null, unknownRuns: 0, secretVersionId: null },
      revision: 1,
      claimUntilMs: 5,
      pending: null,
    });
    expect(parseStoredState({ key: { S: 'k' }, status: { S: 'bogus' }, since: { NULL: true } }).state.status).toBe('ok');
  });

  it('claims an existing key only at the revision read and when no lease runs, recording what it will announce', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await expect(store.claim('k1', 4, NOW, NOW + 120_000, SENDING)).resolves.toBe(5);
    expect(updateInputs()).toEqual([
      {
        TableName: TABLE,
        Key: { key: { S: 'k1' } },
        UpdateExpression: 'SET #revision = :next, #claimUntil = :until, #pending = :pending',
        ConditionExpression: '#revision = :revision AND (attribute_not_exists(#claimUntil) OR #claimUntil < :now)',
        ExpressionAttributeNames: { '#revision': 'revision', '#claimUntil': 'claimUntil', '#pending': 'pending' },
        ExpressionAttributeValues: {
          ':revision': { N: '4' },
          ':next': { N: '5' },
          ':until': { N: String(NOW + 120_000) },
          ':now': { N: String(NOW) },
          ':pending': SENDING_ATTRIBUTE,
        },
      },
    ]);
  });

  it('claims a key never written only while it has no revision', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await expect(store.claim('k1', 0, NOW, NOW + 1, SENDING)).resolves.toBe(1);
    const input = updateInputs()[0];
    expect(input?.ConditionExpression).toBe(
      'attribute_not_exists(#revision) AND (attribute_not_exists(#claimUntil) OR #claimUntil < :now)',
    );
    expect(input?.ExpressionAttributeValues).not.toHaveProperty(':revision');
  });

  it('answers null when another run claimed or changed the key first', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(store.claim('k1', 4, NOW, NOW + 1, SENDING)).resolves.toBeNull();
  });

  it('commits the state at the claimed revision, bumps it and drops the lease and the pending announcement', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await expect(store.commit('k1', 5, BROKEN, null)).resolves.toBe(true);
    expect(updateInputs()[0]).toEqual({
      TableName: TABLE,
      Key: { key: { S: 'k1' } },
      UpdateExpression: `${STATE_SET} REMOVE #claimUntil, #pending`,
      ConditionExpression: '#revision = :revision',
      ExpressionAttributeNames: { ...STATE_NAMES, '#pending': 'pending' },
      ExpressionAttributeValues: {
        ':status': { S: 'critical' },
        ':codes': { L: [{ S: 'AUTH_INVALID_KEY' }, { S: 'ROTATION_OVERDUE' }] },
        ':since': { S: BROKEN.since },
        ':lastNotifiedAt': { S: BROKEN.lastNotifiedAt },
        ':unknownRuns': { N: '0' },
        ':secretVersionId': { S: 'v-7' },
        ':revision': { N: '5' },
        ':next': { N: '6' },
      },
    });
  });

  it('commits a release that keeps an announcement pending', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.commit('k1', 5, FRESH, SENDING);
    expect(updateInputs()[0]).toMatchObject({
      UpdateExpression: `${STATE_SET}, #pending = :pending REMOVE #claimUntil`,
      ExpressionAttributeValues: expect.objectContaining({ ':pending': SENDING_ATTRIBUTE, ':status': { S: 'ok' } }),
    });
  });

  it('answers false when the lease was lost before the commit', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(store.commit('k1', 5, BROKEN, null)).resolves.toBe(false);
  });

  it('saves a state without a message only at the revision read and when unclaimed, leaving a pending announcement alone', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await expect(store.save('k1', 7, NOW, FRESH)).resolves.toBe(true);
    const input = updateInputs()[0];
    expect(input?.UpdateExpression).toBe(`${STATE_SET} REMOVE #claimUntil`);
    expect(input?.ConditionExpression).toBe('#revision = :revision AND (attribute_not_exists(#claimUntil) OR #claimUntil < :now)');
    expect(input?.ExpressionAttributeValues).toMatchObject({
      ':codes': { L: [] },
      ':since': { NULL: true },
      ':secretVersionId': { NULL: true },
      ':unknownRuns': { N: '2' },
      ':revision': { N: '7' },
      ':next': { N: '8' },
      ':now': { N: String(NOW) },
    });
  });

  it.each([
    ['read', () => store.read('k1')],
    ['claim', () => store.claim('k1', 1, NOW, NOW + 1, SENDING)],
    ['commit', () => store.commit('k1', 2, BROKEN, null)],
    ['save', () => store.save('k1', 1, NOW, BROKEN)],
  ])('throws an AlertStateError naming the %s, the key, the table and the AWS error', async (operation, call) => {
    const throttled = new ProvisionedThroughputExceededException({
      message: 'Rate of requests exceeds the allowed throughput',
      $metadata: {},
    });
    ddb.on(GetItemCommand).rejects(throttled);
    ddb.on(UpdateItemCommand).rejects(throttled);
    const failure = await call().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AlertStateError);
    expect((failure as Error).message).toBe(
      `Cannot ${operation} the alert state of key "k1": ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput (table ${TABLE})`,
    );
    expect((failure as Error).cause).toBe(throttled);
  });
});

describe('DynamoAlertStateStore on dynalite', () => {
  let dynamo: LocalDynamo;
  let table: string;
  let real: DynamoAlertStateStore;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());
  beforeEach(async () => {
    table = await dynamo.createTable();
    real = new DynamoAlertStateStore(dynamo.client, table);
  });

  async function rawItem(key: string) {
    return (await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { key: { S: key } }, ConsistentRead: true }))).Item;
  }

  it('lets one of two runs that read the same revision claim, and only the claimant commit', async () => {
    await expect(real.claim('k1', 0, NOW, NOW + 120_000, SENDING)).resolves.toBe(1);
    await expect(real.claim('k1', 0, NOW, NOW + 120_000, SENDING)).resolves.toBeNull();
    await expect(real.save('k1', 0, NOW, FRESH)).resolves.toBe(false);
    await expect(real.commit('k1', 1, BROKEN, null)).resolves.toBe(true);
    await expect(real.commit('k1', 1, FRESH, null)).resolves.toBe(false);
    await expect(real.read('k1')).resolves.toEqual({ state: BROKEN, revision: 2, claimUntilMs: null, pending: null });
  });

  it('refuses a claim or a save while a lease runs, up to and including its last millisecond, and allows them after', async () => {
    await real.claim('k1', 0, NOW, NOW + 120_000, SENDING);
    await expect(real.claim('k1', 1, NOW + 120_000, NOW + 240_000, SENDING)).resolves.toBeNull();
    await expect(real.save('k1', 1, NOW + 120_000, FRESH)).resolves.toBe(false);
    await expect(real.claim('k1', 1, NOW + 120_001, NOW + 240_000, SENDING)).resolves.toBe(2);
    await expect(real.commit('k1', 1, BROKEN, null)).resolves.toBe(false);
    await expect(real.save('k1', 2, NOW + 240_001, FRESH)).resolves.toBe(true);
    await expect(real.read('k1')).resolves.toEqual({ state: FRESH, revision: 3, claimUntilMs: null, pending: SENDING });
  });

  it('reads many keys in one batch per 100, known ones as stored and unknown ones as null', async () => {
    await real.save('k1', 0, NOW, BROKEN);
    await real.claim('k150', 0, NOW, NOW + 120_000, SENDING);
    const client = dynamo.newClient();
    const tap = tapClient(client);
    const tapped = new DynamoAlertStateStore(client, table);
    const names = Array.from({ length: 150 }, (_, i) => `k${i + 1}`);
    const states = await tapped.readMany([...names, 'k1']);
    expect(tap.calls.map((c) => c.command)).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
    expect(states.size).toBe(150);
    expect(states.get('k1')).toEqual({ state: BROKEN, revision: 1, claimUntilMs: null, pending: null });
    expect(states.get('k150')).toMatchObject({ revision: 1, claimUntilMs: NOW + 120_000, pending: SENDING });
    expect(states.get('k2')).toBeNull();
  });

  it('lets the claimant commit after its own lease ran out, as long as nobody else claimed', async () => {
    await real.claim('k1', 0, NOW, NOW + 1, SENDING);
    await expect(real.commit('k1', 1, BROKEN, null)).resolves.toBe(true);
  });

  it('refuses a claim or a save at a revision the key has left, and a claim of a key never written at a revision above 0', async () => {
    await real.save('k1', 0, NOW, FRESH);
    await expect(real.claim('k1', 0, NOW, NOW + 1, SENDING)).resolves.toBeNull();
    await expect(real.save('k1', 0, NOW, BROKEN)).resolves.toBe(false);
    await expect(real.save('k1', 2, NOW, BROKEN)).resolves.toBe(false);
    await expect(real.claim('never-written', 3, NOW, NOW + 1, SENDING)).resolves.toBeNull();
    await expect(rawItem('never-written')).resolves.toBeUndefined();
  });

  it('keeps a pending announcement through saves until a commit replaces or drops it', async () => {
    await real.claim('k1', 0, NOW, NOW + 1, SENDING);
    await expect(real.read('k1')).resolves.toMatchObject({ pending: SENDING, claimUntilMs: NOW + 1 });
    await expect(real.save('k1', 1, NOW + 2, { ...FRESH, unknownRuns: 1 })).resolves.toBe(true);
    await expect(real.read('k1')).resolves.toEqual({
      state: { ...FRESH, unknownRuns: 1 },
      revision: 2,
      claimUntilMs: null,
      pending: SENDING,
    });
    await real.claim('k1', 2, NOW + 3, NOW + 4, { next: FRESH, from: BROKEN, by: 'run-7' });
    await expect(real.read('k1')).resolves.toMatchObject({ pending: { next: FRESH, from: BROKEN, by: 'run-7' } });
    await real.commit('k1', 3, FRESH, SENDING);
    await expect(real.read('k1')).resolves.toMatchObject({ revision: 4, pending: SENDING, claimUntilMs: null });
    await real.claim('k1', 4, NOW + 5, NOW + 6, SENDING);
    await real.commit('k1', 5, BROKEN, null);
    await expect(real.read('k1')).resolves.toEqual({ state: BROKEN, revision: 6, claimUntilMs: null, pending: null });
  });

  it('writes the item as the table keeps it: a list of codes, NULL for no date, a numeric revision, no lease after a commit', async () => {
    await real.claim('k1', 0, NOW, NOW + 120_000, SENDING);
    await expect(rawItem('k1')).resolves.toEqual({
      key: { S: 'k1' },
      revision: { N: '1' },
      claimUntil: { N: String(NOW + 120_000) },
      pending: SENDING_ATTRIBUTE,
    });
    await real.commit('k1', 1, { ...FRESH, codes: ['RATE_LIMITED'] }, null);
    await expect(rawItem('k1')).resolves.toEqual({
      key: { S: 'k1' },
      status: { S: 'ok' },
      codes: { L: [{ S: 'RATE_LIMITED' }] },
      since: { NULL: true },
      lastNotifiedAt: { NULL: true },
      unknownRuns: { N: '2' },
      secretVersionId: { NULL: true },
      revision: { N: '2' },
    });
  });

  it('reads a key never written as null and round-trips a state through save and read', async () => {
    await expect(real.read('k1')).resolves.toBeNull();
    await expect(real.save('k1', 0, NOW, BROKEN)).resolves.toBe(true);
    await expect(real.read('k1')).resolves.toEqual({ state: BROKEN, revision: 1, claimUntilMs: null, pending: null });
  });

  it.each([
    ['read', (s: DynamoAlertStateStore) => s.read('k1')],
    ['claim', (s: DynamoAlertStateStore) => s.claim('k1', 0, NOW, NOW + 1, SENDING)],
    ['save', (s: DynamoAlertStateStore) => s.save('k1', 0, NOW, FRESH)],
    ['commit', (s: DynamoAlertStateStore) => s.commit('k1', 1, BROKEN, null)],
  ])('throws an AlertStateError from %s on a table that does not exist, naming the table', async (operation, call) => {
    const missing = freshTableName('Missing');
    const failure = await call(new DynamoAlertStateStore(dynamo.client, missing)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AlertStateError);
    expect((failure as AlertStateError).message).toMatch(
      new RegExp(`^Cannot ${operation} the alert state of key "k1": ResourceNotFoundException: .*\\(table ${missing}\\)$`),
    );
  });

  it('throws an AlertStateError when the table cannot be reached at all', async () => {
    const down = await startDynalite();
    const client = down.newClient();
    const name = await down.createTable();
    await down.stop();
    const failure = await new DynamoAlertStateStore(client, name).claim('k1', 0, NOW, NOW + 1, SENDING).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AlertStateError);
    expect((failure as AlertStateError).message).toMatch(/^Cannot claim the alert state of key "k1": .*ECONNREFUSED/);
    client.destroy();
  });

  it.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the current capacity', $metadata: {} }),
    ],
    ['ThrottlingException', Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' })],
  ])('passes on %s from the SDK as an AlertStateError, leaving the item as it was', async (name, error) => {
    const client = dynamo.newClient();
    const tap = tapClient(client);
    const throttled = new DynamoAlertStateStore(client, table);
    await real.save('k1', 0, NOW, FRESH);
    tap.fault = (call) => (call.command === 'UpdateItemCommand' ? { error, when: 'before' } : undefined);
    const failure = await throttled.claim('k1', 1, NOW, NOW + 1, SENDING).catch((e: unknown) => e);
    expect((failure as AlertStateError).message).toContain(`Cannot claim the alert state of key "k1": ${name}: `);
    expect((failure as AlertStateError).cause).toBe(error);
    expect(tap.calls.map((c) => c.command)).toEqual(['UpdateItemCommand']);
    await expect(real.read('k1')).resolves.toEqual({ state: FRESH, revision: 1, claimUntilMs: null, pending: null });
  });
});
