import { type AlertState, INITIAL_STATE } from '../../lambda/alerts/decide';
import type { AlertStateStore, PendingAnnouncement, StoredAlertState } from '../../lambda/alerts/deliver';

interface ModelItem {
  readonly state: AlertState | undefined;
  readonly revision: number | undefined;
  readonly claimUntil: number | undefined;
  readonly pending: PendingAnnouncement | undefined;
}

/**
 * The state table's semantics in memory: what DynamoAlertStateStore's condition and update
 * expressions do, written out. test/lambda/aws/state-store-model.test.ts proves it answers and
 * stores exactly as the real store on dynalite, so the property test can run thousands of histories
 * on it in seconds.
 */
export class ModelAlertStateStore implements AlertStateStore {
  private readonly items = new Map<string, ModelItem>();

  async read(key: string): Promise<StoredAlertState | null> {
    const item = this.items.get(key);
    if (item === undefined) return null;
    return {
      state: copy(item.state ?? INITIAL_STATE),
      revision: item.revision ?? 0,
      claimUntilMs: item.claimUntil ?? null,
      pending: item.pending === undefined ? null : copyPending(item.pending),
    };
  }

  async claim(key: string, revision: number, nowMs: number, untilMs: number, pending: PendingAnnouncement): Promise<number | null> {
    const item = this.items.get(key);
    if (!isAt(item, revision) || !isUnclaimed(item, nowMs)) return null;
    this.items.set(key, { ...emptyOr(item), revision: revision + 1, claimUntil: untilMs, pending: copyPending(pending) });
    return revision + 1;
  }

  async save(key: string, revision: number, nowMs: number, state: AlertState): Promise<boolean> {
    const item = this.items.get(key);
    if (!isAt(item, revision) || !isUnclaimed(item, nowMs)) return false;
    this.items.set(key, { ...emptyOr(item), state: copy(state), revision: revision + 1, claimUntil: undefined });
    return true;
  }

  async commit(key: string, claimedRevision: number, state: AlertState, pending: PendingAnnouncement | null): Promise<boolean> {
    const item = this.items.get(key);
    if (item?.revision !== claimedRevision) return false;
    this.items.set(key, {
      state: copy(state),
      revision: claimedRevision + 1,
      claimUntil: undefined,
      pending: pending === null ? undefined : copyPending(pending),
    });
    return true;
  }
}

/** `attribute_not_exists(#revision)` for revision 0, `#revision = :revision` otherwise. */
function isAt(item: ModelItem | undefined, revision: number): boolean {
  return revision === 0 ? item?.revision === undefined : item?.revision === revision;
}

/** `attribute_not_exists(#claimUntil) OR #claimUntil < :now`. */
function isUnclaimed(item: ModelItem | undefined, nowMs: number): boolean {
  return item?.claimUntil === undefined || item.claimUntil < nowMs;
}

function emptyOr(item: ModelItem | undefined): ModelItem {
  return item ?? { state: undefined, revision: undefined, claimUntil: undefined, pending: undefined };
}

function copy(state: AlertState): AlertState {
  return { ...state, codes: [...state.codes] };
}

function copyPending(pending: PendingAnnouncement): PendingAnnouncement {
  return { next: copy(pending.next), from: copy(pending.from), by: pending.by };
}
