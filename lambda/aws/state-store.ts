import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { type AlertState, INITIAL_STATE } from '../alerts/decide';
import type { AlertStateStore, StoredAlertState } from '../alerts/deliver';
import { AlertStateError } from '../errors';
import { STATUSES, type Status } from '../findings';
import { describeAwsError } from './aws-error';

/** The only IAM actions {@link DynamoAlertStateStore} uses. */
export const STATE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/** The table's partition key (String); there is no sort key. */
export const STATE_TABLE_PARTITION_KEY = 'key';

const STATE_UPDATE =
  'SET #status = :status, #codes = :codes, #since = :since, #lastNotifiedAt = :lastNotifiedAt, ' +
  '#unknownRuns = :unknownRuns, #secretVersionId = :secretVersionId, #revision = :next REMOVE #claimUntil';
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
 * and bumps, and the lease `claimUntil` (epoch ms). A lost condition is an answer (`null`/`false`),
 * any other failure throws `AlertStateError`.
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

  async claim(key: string, revision: number, nowMs: number, untilMs: number): Promise<number | null> {
    const next = revision + 1;
    const done = await this.update('claim', key, {
      UpdateExpression: 'SET #revision = :next, #claimUntil = :until',
      ConditionExpression: `${revisionIs(revision)} AND ${UNCLAIMED}`,
      ExpressionAttributeNames: { '#revision': 'revision', '#claimUntil': 'claimUntil' },
      ExpressionAttributeValues: {
        ...revisionValue(revision),
        ':next': number(next),
        ':until': number(untilMs),
        ':now': number(nowMs),
      },
    });
    return done ? next : null;
  }

  save(key: string, revision: number, nowMs: number, state: AlertState): Promise<boolean> {
    return this.update('save', key, {
      UpdateExpression: STATE_UPDATE,
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

  commit(key: string, claimedRevision: number, state: AlertState): Promise<boolean> {
    // The claim bumped the revision, so an unchanged revision means nobody else wrote since.
    return this.update('commit', key, {
      UpdateExpression: STATE_UPDATE,
      ConditionExpression: '#revision = :revision',
      ExpressionAttributeNames: STATE_NAMES,
      ExpressionAttributeValues: { ...stateValues(state), ':revision': number(claimedRevision), ':next': number(claimedRevision + 1) },
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
  const status = item.status?.S;
  const claimUntil = item.claimUntil?.N;
  return {
    state: {
      status: (STATUSES as readonly string[]).includes(status ?? '') ? (status as Status) : INITIAL_STATE.status,
      codes: (item.codes?.L ?? []).flatMap((value) => (value.S === undefined ? [] : [value.S])),
      since: item.since?.S ?? null,
      lastNotifiedAt: item.lastNotifiedAt?.S ?? null,
      unknownRuns: Number(item.unknownRuns?.N ?? 0),
      secretVersionId: item.secretVersionId?.S ?? null,
    },
    revision: Number(item.revision?.N ?? 0),
    claimUntilMs: claimUntil === undefined ? null : Number(claimUntil),
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

function stateValues(state: AlertState): Record<string, AttributeValue> {
  return {
    ':status': { S: state.status },
    ':codes': { L: state.codes.map((code) => ({ S: code })) },
    ':since': stringOrNull(state.since),
    ':lastNotifiedAt': stringOrNull(state.lastNotifiedAt),
    ':unknownRuns': number(state.unknownRuns),
    ':secretVersionId': stringOrNull(state.secretVersionId),
  };
}

function number(value: number): AttributeValue {
  return { N: String(value) };
}

function stringOrNull(value: string | null): AttributeValue {
  return value === null ? { NULL: true } : { S: value };
}
