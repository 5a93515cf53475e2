import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseStoredState } from '../../../lambda/aws/state-store';
import { AlertStateError } from '../../../lambda/errors';
import 'aws-sdk-client-mock-jest';
import type { AlertState } from '../../../lambda/alerts/decide';
import { DynamoAlertStateStore } from '../../../lambda/aws/state-store';
import { MemoryTable } from '../../support/memory-dynamodb';

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

const ddb = mockClient(DynamoDBClient);
const store = new DynamoAlertStateStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE);
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

function updateInputs(): UpdateItemCommandInput[] {
  return ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
}

beforeEach(() => ddb.reset());

describe('DynamoAlertStateStore', () => {
  it('reads one item consistently by its key and maps every attribute', async () => {
    ddb.on(GetItemCommand).resolves({
      Item: {
        key: { S: 'coinbase-futures' },
        status: { S: 'critical' },
        codes: { L: [{ S: 'AUTH_INVALID_KEY' }, { S: 'ROTATION_OVERDUE' }] },
        since: { S: BROKEN.since as string },
        lastNotifiedAt: { S: BROKEN.lastNotifiedAt as string },
        unknownRuns: { N: '0' },
        secretVersionId: { S: 'v-7' },
        revision: { N: '12' },
        claimUntil: { N: String(NOW + 120_000) },
      },
    });
    await expect(store.read('coinbase-futures')).resolves.toEqual({ state: BROKEN, revision: 12, claimUntilMs: NOW + 120_000 });
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

  it('reads an item that only a claim wrote as the initial state', () => {
    expect(parseStoredState({ key: { S: 'k' }, revision: { N: '1' }, claimUntil: { N: '5' } })).toEqual({
      state: { status: 'ok', codes: [], since: null, lastNotifiedAt: null, unknownRuns: 0, secretVersionId: null },
      revision: 1,
      claimUntilMs: 5,
    });
    expect(parseStoredState({ key: { S: 'k' }, status: { S: 'bogus' }, since: { NULL: true } }).state.status).toBe('ok');
  });

  it('claims an existing key only at the revision read and when no lease runs, and returns the next revision', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await expect(store.claim('k1', 4, NOW, NOW + 120_000)).resolves.toBe(5);
    expect(updateInputs()).toEqual([
      {
        TableName: TABLE,
        Key: { key: { S: 'k1' } },
        UpdateExpression: 'SET #revision = :next, #claimUntil = :until',
        ConditionExpression: '#revision = :revision AND (attribute_not_exists(#claimUntil) OR #claimUntil < :now)',
        ExpressionAttributeNames: { '#revision': 'revision', '#claimUntil': 'claimUntil' },
        ExpressionAttributeValues: {
          ':revision': { N: '4' },
          ':next': { N: '5' },
          ':until': { N: String(NOW + 120_000) },
          ':now': { N: String(NOW) },
        },
      },
    ]);
  });

  it('claims a key never written only while it has no revision', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await expect(store.claim('k1', 0, NOW, NOW + 1)).resolves.toBe(1);
    const input = updateInputs()[0];
    expect(input?.ConditionExpression).toBe(
      'attribute_not_exists(#revision) AND (attribute_not_exists(#claimUntil) OR #claimUntil < :now)',
    );
    expect(input?.ExpressionAttributeValues).not.toHaveProperty(':revision');
  });

  it('answers null when another run claimed or changed the key first', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(store.claim('k1', 4, NOW, NOW + 1)).resolves.toBeNull();
  });

  it('commits the state at the claimed revision, bumps it and drops the lease', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await expect(store.commit('k1', 5, BROKEN)).resolves.toBe(true);
    expect(updateInputs()[0]).toEqual({
      TableName: TABLE,
      Key: { key: { S: 'k1' } },
      UpdateExpression:
        'SET #status = :status, #codes = :codes, #since = :since, #lastNotifiedAt = :lastNotifiedAt, #unknownRuns = :unknownRuns, #secretVersionId = :secretVersionId, #revision = :next REMOVE #claimUntil',
      ConditionExpression: '#revision = :revision',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#codes': 'codes',
        '#since': 'since',
        '#lastNotifiedAt': 'lastNotifiedAt',
        '#unknownRuns': 'unknownRuns',
        '#secretVersionId': 'secretVersionId',
        '#revision': 'revision',
        '#claimUntil': 'claimUntil',
      },
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

  it('answers false when the lease was lost before the commit', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    await expect(store.commit('k1', 5, BROKEN)).resolves.toBe(false);
  });

  it('saves a state without a message only at the revision read and when unclaimed, with nulls and an empty list', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await expect(store.save('k1', 7, NOW, FRESH)).resolves.toBe(true);
    const input = updateInputs()[0];
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
    ['claim', () => store.claim('k1', 1, NOW, NOW + 1)],
    ['commit', () => store.commit('k1', 2, BROKEN)],
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

describe('DynamoAlertStateStore on a table that checks its conditions', () => {
  const table = new MemoryTable('key');
  beforeEach(() => {
    table.items.clear();
    ddb.on(GetItemCommand).callsFake((input) => table.getItem(input));
    ddb.on(UpdateItemCommand).callsFake((input) => table.updateItem(input));
  });

  it('lets one of two runs that read the same revision claim, and only the claimant commit', async () => {
    await expect(store.claim('k1', 0, NOW, NOW + 120_000)).resolves.toBe(1);
    await expect(store.claim('k1', 0, NOW, NOW + 120_000)).resolves.toBeNull();
    await expect(store.save('k1', 0, NOW, FRESH)).resolves.toBe(false);
    await expect(store.commit('k1', 1, BROKEN)).resolves.toBe(true);
    await expect(store.commit('k1', 1, FRESH)).resolves.toBe(false);
    await expect(store.read('k1')).resolves.toEqual({ state: BROKEN, revision: 2, claimUntilMs: null });
  });

  it('refuses a claim while a lease runs and allows it once the lease expired', async () => {
    await store.claim('k1', 0, NOW, NOW + 120_000);
    await expect(store.claim('k1', 1, NOW + 119_999, NOW + 240_000)).resolves.toBeNull();
    await expect(store.save('k1', 1, NOW + 119_999, FRESH)).resolves.toBe(false);
    await expect(store.claim('k1', 1, NOW + 120_001, NOW + 240_000)).resolves.toBe(2);
    await expect(store.commit('k1', 1, BROKEN)).resolves.toBe(false);
  });

  it('round-trips a state through save and read', async () => {
    await expect(store.save('k1', 0, NOW, FRESH)).resolves.toBe(true);
    await expect(store.read('k1')).resolves.toEqual({ state: FRESH, revision: 1, claimUntilMs: null });
    await expect(store.save('k1', 0, NOW, BROKEN)).resolves.toBe(false);
  });
});
