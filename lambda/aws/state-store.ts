import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { type AlertState, INITIAL_STATE } from '../alerts/decide';
import type { AlertStateStore, PendingAnnouncement, StoredAlertState } from '../alerts/deliver';
import { AlertStateError } from '../errors';
import { STATUSES, type Status } from '../findings';
import { describeAwsError } from './aws-error';

/** The only IAM actions {@link DynamoAlertStateStore} uses. */
export const STATE_TABLE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/** BatchGetItem reads at most 100 keys a call. */
const BATCH_GET_LIMIT = 100;
/** Calls per batch while DynamoDB leaves keys unprocessed; the rest are read one by one. */
const BATCH_GET_ATTEMPTS = 3;

/** The table's partition key (String); there is no sort key. */
export const STATE_TABLE_PARTITION_KEY = 'key';

const STATE_SET =
  'SET #status = :status, #codes = :codes, #since = :since, #lastNotifiedAt = :lastNotifiedAt, ' +
  '#unknownRuns = :unknownRuns, #secretVersionId = :secretVersionId, #revision = :next';
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
const UNCLAIMED = '(attribute_not_exists(#claimUntil) OR #claimUntil < :now)';

/**
 * The alert state in DynamoDB, one item per key (`key` S): `status`, `codes` (list), `since`,
 * `lastNotifiedAt`, `unknownRuns`, `secretVersionId`, a numeric `revision` that every write checks
 * and bumps, the lease `claimUntil` (epoch ms), and from the claim until the commit `pending`: a map
 * of `next` and `from` (each a map of the same state fields) and `by` (the claiming run's id). A lost condition is an answer (`null`/`false`), any other failure
 * throws `AlertStateError`.
 */
export class DynamoAlertStateStore implements AlertStateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(key: string): Promise<StoredAlertState | null> {
    const command = new GetItemCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true });
    const output = await this.send('read', key, () => this.client.send(command));
    return output.Item ? parseStoredState(output.Item) : null;
  }

  /**
   * Reads many keys' states at once (strongly consistent, 100 to a BatchGetItem call, the API's limit):
   * one call instead of one per key. Keys DynamoDB leaves unprocessed after a few tries are left out of
   * the map, so the caller reads them one by one.
   */
  async readMany(keys: readonly string[]): Promise<Map<string, StoredAlertState | null>> {
    const found = new Map<string, StoredAlertState | null>();
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let wanted: Record<string, AttributeValue>[] = [...new Set(keys.slice(start, start + BATCH_GET_LIMIT))].map(keyOf);
      for (let attempt = 0; attempt < BATCH_GET_ATTEMPTS && wanted.length > 0; attempt++) {
        const command = new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: wanted, ConsistentRead: true } } });
        const output = await this.send('read', `${wanted.length} keys`, () => this.client.send(command));
        // An answer without Responses is not one DynamoDB gives: believe nothing of it.
        if (output?.Responses === undefined)
          throw new AlertStateError('read', `${wanted.length} keys`, `BatchGetItem answered without Responses (table ${this.tableName})`);
        for (const key of wanted) found.set(key[STATE_TABLE_PARTITION_KEY]?.S ?? '', null);
        for (const item of output.Responses[this.tableName] ?? [])
          found.set(item[STATE_TABLE_PARTITION_KEY]?.S ?? '', parseStoredState(item));
        wanted = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        for (const key of wanted) found.delete(key[STATE_TABLE_PARTITION_KEY]?.S ?? '');
      }
    }
    return found;
  }

  async claim(key: string, revision: number, nowMs: number, untilMs: number, pending: PendingAnnouncement): Promise<number | null> {
    const next = revision + 1;
    const done = await this.update('claim', key, {
      UpdateExpression: 'SET #revision = :next, #claimUntil = :until, #pending = :pending',
      ConditionExpression: `${revisionIs(revision)} AND ${UNCLAIMED}`,
      ExpressionAttributeNames: { '#revision': 'revision', '#claimUntil': 'claimUntil', '#pending': 'pending' },
      ExpressionAttributeValues: {
        ...revisionValue(revision),
        ':next': number(next),
        ':until': number(untilMs),
        ':now': number(nowMs),
        ':pending': pendingValue(pending),
      },
    });
    return done ? next : null;
  }

  save(key: string, revision: number, nowMs: number, state: AlertState): Promise<boolean> {
    // A pending announcement is left as it is: only a commit says what became of it.
    return this.update('save', key, {
      UpdateExpression: `${STATE_SET} REMOVE #claimUntil`,
      ConditionExpression: `${revisionIs(revision)} AND ${UNCLAIMED}`,
      ExpressionAttributeNames: STATE_NAMES,
      ExpressionAttributeValues: {
        ...stateValues(state),
        ...revisionValue(revision),
        ':next': number(revision + 1),
        ':now': number(nowMs),
      },
    });
  }

  commit(key: string, claimedRevision: number, state: AlertState, pending: PendingAnnouncement | null): Promise<boolean> {
    // The claim bumped the revision, so an unchanged revision means nobody else wrote since.
    return this.update('commit', key, {
      UpdateExpression:
        pending === null ? `${STATE_SET} REMOVE #claimUntil, #pending` : `${STATE_SET}, #pending = :pending REMOVE #claimUntil`,
      ConditionExpression: '#revision = :revision',
      ExpressionAttributeNames: { ...STATE_NAMES, '#pending': 'pending' },
      ExpressionAttributeValues: {
        ...stateValues(state),
        ...(pending && { ':pending': pendingValue(pending) }),
        ':revision': number(claimedRevision),
        ':next': number(claimedRevision + 1),
      },
    });
  }

  private async update(operation: string, key: string, input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>): Promise<boolean> {
    const command = new UpdateItemCommand({ TableName: this.tableName, Key: keyOf(key), ...input });
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException')
        return false;
      throw new AlertStateError(operation, key, `${describeAwsError(error)} (table ${this.tableName})`, { cause: error });
    }
  }

  private async send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new AlertStateError(operation, key, `${describeAwsError(error)} (table ${this.tableName})`, { cause: error });
    }
  }
}

/** Reads one item; attributes a bare claim left out read as the initial state. */
export function parseStoredState(item: Record<string, AttributeValue>): StoredAlertState {
  const claimUntil = item.claimUntil?.N;
  const next = item.pending?.M?.next?.M;
  const from = item.pending?.M?.from?.M;
  return {
    state: parseState(item),
    revision: Number(item.revision?.N ?? 0),
    claimUntilMs: claimUntil === undefined ? null : Number(claimUntil),
    pending:
      next === undefined || from === undefined
        ? null
        : { next: parseState(next), from: parseState(from), by: item.pending?.M?.by?.S ?? '' },
  };
}

function parseState(attributes: Record<string, AttributeValue>): AlertState {
  const status = attributes.status?.S;
  return {
    status: (STATUSES as readonly string[]).includes(status ?? '') ? (status as Status) : INITIAL_STATE.status,
    codes: (attributes.codes?.L ?? []).flatMap((value) => (value.S === undefined ? [] : [value.S])),
    since: attributes.since?.S ?? null,
    lastNotifiedAt: attributes.lastNotifiedAt?.S ?? null,
    unknownRuns: Number(attributes.unknownRuns?.N ?? 0),
    secretVersionId: attributes.secretVersionId?.S ?? null,
  };
}

function keyOf(key: string): Record<string, AttributeValue> {
  return { [STATE_TABLE_PARTITION_KEY]: { S: key } };
}

/** Revision 0 is a key never written: the attribute is absent (so is the whole item, which satisfies the same test). */
function revisionIs(revision: number): string {
  return revision === 0 ? 'attribute_not_exists(#revision)' : '#revision = :revision';
}

function revisionValue(revision: number): Record<string, AttributeValue> {
  return revision === 0 ? {} : { ':revision': number(revision) };
}

function pendingValue(pending: PendingAnnouncement): AttributeValue {
  return { M: { next: { M: stateAttributes(pending.next) }, from: { M: stateAttributes(pending.from) }, by: { S: pending.by } } };
}

/** The state's attributes, as the item holds them (and, as maps, the two states of its `pending` attribute). */
function stateAttributes(state: AlertState): Record<string, AttributeValue> {
  return {
    status: { S: state.status },
    codes: { L: state.codes.map((code) => ({ S: code })) },
    since: stringOrNull(state.since),
    lastNotifiedAt: stringOrNull(state.lastNotifiedAt),
    unknownRuns: number(state.unknownRuns),
    secretVersionId: stringOrNull(state.secretVersionId),
  };
}

function stateValues(state: AlertState): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(stateAttributes(state)).map(([name, value]) => [`:${name}`, value]));
}

function number(value: number): AttributeValue {
  return { N: String(value) };
}

function stringOrNull(value: string | null): AttributeValue {
  return value === null ? { NULL: true } : { S: value };
}
