import { randomUUID } from 'node:crypto';
import type { CheckedKey } from '../engine/check-key';
import { mapWithConcurrency } from '../engine/concurrency';
import type { RunResult } from '../engine/run-checks';
import { AlertPublishError, describeError } from '../errors';
import type { Logger } from '../log';
import type { KeyResult } from '../report';
import { type AlertSettings, type AlertState, decideAlert, INITIAL_STATE, sameAlertState } from './decide';
import { type Alert, type AlertContext, formatAlert } from './format';

/** A key's alert state as stored, with the revision every write checks and the lease of a run that is sending. */
export interface StoredAlertState {
  /** What was last announced and recorded. */
  readonly state: AlertState;
  /** Bumped by every write; 0 for a key never written. */
  readonly revision: number;
  /** Epoch ms until which a run that claimed the key may publish and commit, or `null`. */
  readonly claimUntilMs: number | null;
  /**
   * An announcement a run claimed the key for and never recorded: its message may or may not have
   * gone out (the run failed to commit or died, or SNS gave no answer). `null` when there is none.
   */
  readonly pending: PendingAnnouncement | null;
}

/** A message that may have gone out: the state it announced, the state it announced it from, and the run that claimed it. */
export interface PendingAnnouncement {
  readonly next: AlertState;
  /** What the message took the recipients to know before it; a message sent again starts from here too. */
  readonly from: AlertState;
  /** The claiming run's id, so that a run whose claim got no answer can tell it landed. */
  readonly by: string;
}

/**
 * Where alert state lives between runs. Every write is conditional on the revision read, so of two
 * overlapping runs only one can claim a key, and only the claimant can commit it.
 */
export interface AlertStateStore {
  /** The stored state (a strongly consistent read), or `null` for a key never stored. */
  read(key: string): Promise<StoredAlertState | null>;
  /**
   * Takes the lease until `untilMs` if the key is still at `revision` and no unexpired lease is held,
   * recording `pending`, the announcement about to be sent; returns the claimed revision, or `null`
   * when another run got there first.
   */
  claim(key: string, revision: number, nowMs: number, untilMs: number, pending: PendingAnnouncement): Promise<number | null>;
  /** Stores `state` (leaving any pending announcement) if the key is still at `revision` and unclaimed; `false` when another run changed or claimed it. */
  save(key: string, revision: number, nowMs: number, state: AlertState): Promise<boolean>;
  /**
   * Stores `state`, drops the lease taken at `claimedRevision` and replaces the pending announcement
   * (`null`: none); `false` when the lease was lost to another run.
   */
  commit(key: string, claimedRevision: number, state: AlertState, pending: PendingAnnouncement | null): Promise<boolean>;
}

/** How long a claim holds a key: a run that dies between publish and commit is retried once this has passed. */
export const LEASE_MS = 120_000;

/** A publish is abandoned after this, well inside the lease, so a slow publish cannot outlive its claim. */
export const PUBLISH_TIMEOUT_MS = LEASE_MS / 2;

/** Delivers this many keys at once. */
const DELIVERY_CONCURRENCY = 10;

/** Where delivering one key's alert went wrong. */
export type DeliveryStage = 'read' | 'save' | 'claim' | 'publish' | 'commit';

/** A key whose alert could not be delivered or whose state could not be kept. */
export interface DeliveryFailure {
  readonly key: string;
  readonly stage: DeliveryStage;
  readonly error: string;
}

/** What one run delivered. */
export interface DeliverySummary {
  /** Messages SNS accepted. */
  readonly published: number;
  /** Keys left alone because another run was handling them. */
  readonly skipped: readonly string[];
  readonly failures: readonly DeliveryFailure[];
}

/** What {@link deliverAlerts} runs on. */
export interface DeliveryOptions {
  readonly store: AlertStateStore;
  /**
   * States already read for this run (one batch read started beside the checks); a key missing
   * from it, or all of them if the batch failed, is read on its own.
   */
  readonly prefetched?: Promise<ReadonlyMap<string, StoredAlertState | null>>;
  /** Publishes one alert and returns the message id; throws when the alert was not accepted. */
  readonly publish: (alert: Alert) => Promise<string>;
  /** Also the reminder interval the e-mail mentions. */
  readonly settings: AlertSettings;
  /** Epoch ms, for leases. */
  readonly now: () => number;
  /** Reads the state and logs the decisions, but writes nothing and publishes nothing. */
  readonly dryRun: boolean;
  /** The Lambda's name and region, for the check-by-hand commands of the e-mail. */
  readonly context?: Omit<AlertContext, 'checkedAt' | 'repeatAfterHours'>;
  readonly log: Logger;
  /** @default LEASE_MS */
  readonly leaseMs?: number;
  /** Waits between commit attempts; tests pass a clock that does not wait. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default COMMIT_RETRY */
  readonly commitRetry?: CommitRetry;
  /** Marks this run's claims. @default a random UUID per call */
  readonly runId?: string;
}

/** How a commit (after a publish, or the release after a failed one) that throws is tried again. */
export interface CommitRetry {
  /** Attempts after the first. */
  readonly retries: number;
  /** The wait before the first retry, doubled before each next one. */
  readonly backoffMs: number;
}

/**
 * A commit that throws is tried three more times, 200, 400 and 800 ms apart: until one lands, the
 * message's outcome is unknown to the next run. Each attempt already carries the SDK's own retries;
 * 1.4 s of waiting fits well inside the 10 s the run keeps for delivery.
 */
export const COMMIT_RETRY: CommitRetry = { retries: 3, backoffMs: 200 };

/**
 * For each result: read the key's state, decide, and when there is a message claim the key (recording
 * the message as pending), publish, then commit the new state (tried again per {@link COMMIT_RETRY}
 * when the table fails). A refused publish releases the claim with the state unchanged, so the next
 * run sends it again; a message whose outcome stayed unknown (no answer from SNS, a commit that never
 * landed, a run that died) stays pending: the next run sends it again while the key still shows it,
 * and otherwise starts the next message from it. A claim lost to an overlapping run skips the key,
 * and a key the run's deadline left unchecked keeps its state. Every key is tried whatever fails; the
 * failures are returned, never thrown.
 */
export async function deliverAlerts(run: RunResult, options: DeliveryOptions): Promise<DeliverySummary> {
  const withId = { ...options, runId: options.runId ?? randomUUID() };
  const outcomes = await mapWithConcurrency(run.checked, DELIVERY_CONCURRENCY, (checked) =>
    deliverOne(checked, run.report.checkedAt, withId),
  );
  return {
    published: outcomes.filter((o) => o.sent).length,
    skipped: outcomes.filter((o) => o.skipped).map((o) => o.key),
    failures: outcomes.flatMap((o) => (o.failure ? [o.failure] : [])),
  };
}

interface Outcome {
  readonly key: string;
  readonly sent?: boolean;
  readonly skipped?: boolean;
  readonly failure?: DeliveryFailure;
}

async function deliverOne(checked: CheckedKey, checkedAt: string, options: DeliveryOptions & { runId: string }): Promise<Outcome> {
  const { result, secretVersionId } = checked;
  const { store, log } = options;
  const key = result.name;
  const fail = (stage: DeliveryStage, error: unknown): Outcome => {
    const failure = { key, stage, error: describeError(error) };
    log({ level: 'ERROR', message: FAILURE_MESSAGES[stage], name: key, stage, error: failure.error });
    return { key, failure };
  };
  const skip = (why: string): Outcome => {
    log({ level: 'INFO', message: 'alert skipped: another run is handling this key', name: key, why });
    return { key, skipped: true };
  };
  if (checked.deadlineReached) {
    // The run's own deadline says nothing about the key: no unknown run is counted and nothing is sent.
    log({ level: 'WARN', message: 'alert state left as it was: the key was not checked before the run deadline', name: key });
    return { key };
  }

  let stored: StoredAlertState | null;
  try {
    const prefetched = await options.prefetched?.catch(() => undefined);
    stored = prefetched?.has(key) ? (prefetched.get(key) ?? null) : await store.read(key);
  } catch (error) {
    return fail('read', error);
  }
  const recorded = stored?.state ?? INITIAL_STATE;
  const pending = stored?.pending ?? null;
  // A message whose outcome is unknown is sent again, from where it started, while the key still
  // shows it (so it is never lost, at the price of a duplicate if it had gone out); once the key moved
  // on, it is taken as heard, so the next message starts from it and a RESOLVED or an escalation
  // cannot go missing. The run counters are always the recorded ones: they keep counting meanwhile.
  const base =
    pending === null
      ? recorded
      : {
          ...(shows(result, pending.next) ? pending.from : pending.next),
          unknownRuns: recorded.unknownRuns,
          secretVersionId: recorded.secretVersionId,
        };
  const { decision, next, idle } = decideAlert(base, result, checkedAt, options.settings, secretVersionId);
  // What a run without a message stores: the recorded state with this run's counters, never a pending one taken as heard.
  const keep: AlertState = { ...recorded, unknownRuns: idle.unknownRuns, secretVersionId: idle.secretVersionId };
  log({
    level: 'INFO',
    message: 'alert decided',
    name: key,
    kind: decision?.kind ?? 'none',
    codes: next.codes,
    ...(decision && { status: next.status, previous: { status: base.status, codes: base.codes }, rotated: decision.rotated }),
    ...(pending && { pending: { status: pending.next.status, codes: pending.next.codes } }),
    dryRun: options.dryRun,
  });
  if (options.dryRun) return { key };
  const nowMs = options.now();
  if (stored?.claimUntilMs != null && stored.claimUntilMs > nowMs)
    return skip(`claimed until ${new Date(stored.claimUntilMs).toISOString()}`);
  const revision = stored?.revision ?? 0;

  if (decision === null) {
    if (sameAlertState(keep, recorded)) return { key };
    try {
      return (await store.save(key, revision, nowMs, keep)) ? { key } : skip('state changed since it was read');
    } catch (error) {
      return fail('save', error);
    }
  }

  const alert = formatAlert(decision, { ...options.context, checkedAt, repeatAfterHours: options.settings.repeatAfterHours });
  const announcement: PendingAnnouncement = { next, from: base, by: options.runId };
  const untilMs = nowMs + (options.leaseMs ?? LEASE_MS);
  let claimed: number | null;
  try {
    claimed = await store.claim(key, revision, nowMs, untilMs, announcement);
  } catch (error) {
    claimed = await claimedAnyway(store, key, revision, untilMs, announcement);
    if (claimed === null) return fail('claim', error);
    log({ level: 'WARN', message: 'alert state claimed although the call failed; sending', name: key, error: describeError(error) });
  }
  // A refusal can be our own claim met again by the SDK's retry after its answer was lost.
  claimed ??= await claimedAnyway(store, key, revision, untilMs, announcement);
  if (claimed === null) return skip('claimed or changed since it was read');

  try {
    const messageId = await options.publish(alert);
    log({
      level: 'INFO',
      message: 'alert published',
      name: key,
      kind: decision.kind,
      severity: alert.severity,
      codes: alert.codes,
      messageId,
    });
  } catch (error) {
    const outcome = fail('publish', error);
    // Releasing keeps unknownRuns counting. A publish that got no answer may have gone out, so it
    // stays pending; a refused one leaves what was pending before. If the release fails, the lease
    // simply expires and the claim's pending state stands.
    const stillPending = error instanceof AlertPublishError && error.maybeAccepted ? announcement : pending;
    await commitWithRetry(key, claimed, keep, stillPending, options).catch((releaseError: unknown) =>
      log({ level: 'WARN', message: 'claim not released; it expires on its own', name: key, error: describeError(releaseError) }),
    );
    return outcome;
  }

  try {
    if (await commitWithRetry(key, claimed, next, null, options)) return { key, sent: true };
    return { ...fail('commit', new Error('the claim was lost to another run before the state was saved')), sent: true };
  } catch (error) {
    return { ...fail('commit', error), sent: true };
  }
}

/** The revision our claim took if it landed although its answer said otherwise or never came; `null` if not (or unknown). */
async function claimedAnyway(
  store: AlertStateStore,
  key: string,
  revision: number,
  untilMs: number,
  announcement: PendingAnnouncement,
): Promise<number | null> {
  const now = await store.read(key).catch(() => null);
  const ours = now !== null && now.revision === revision + 1 && now.claimUntilMs === untilMs && now.pending?.by === announcement.by;
  return ours ? revision + 1 : null;
}

/** Whether this result shows the status and codes of `state` (its codes sorted, as decisions keep them). */
function shows(result: KeyResult, state: AlertState): boolean {
  if (result.status !== state.status) return false;
  const codes = [...new Set(result.findings.map((f) => f.code))].sort();
  return codes.length === state.codes.length && codes.every((code, i) => code === state.codes[i]);
}

/**
 * Commits `state` and `pending` at the claimed revision, trying again with backoff when the call
 * throws (a throttled or unreachable table). A refused commit is read back before it is believed: an
 * attempt whose answer was lost (here or in the SDK's own retries) may have landed, and then the
 * retry's condition fails on our own write. Returns `false` only when another run took the key;
 * throws the last error when every attempt failed.
 */
async function commitWithRetry(
  key: string,
  claimed: number,
  state: AlertState,
  pending: PendingAnnouncement | null,
  options: DeliveryOptions,
): Promise<boolean> {
  const { store, log } = options;
  const retry = options.commitRetry ?? COMMIT_RETRY;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      if (await store.commit(key, claimed, state, pending)) return true;
      return await landed(store, key, claimed, state, pending);
    } catch (error) {
      if (attempt >= retry.retries) throw error;
      const waitMs = retry.backoffMs * 2 ** attempt;
      log({
        level: 'WARN',
        message: 'alert state not committed; trying again',
        name: key,
        attempt: attempt + 1,
        waitMs,
        error: describeError(error),
      });
      await sleep(waitMs);
    }
  }
}

/** Whether the key holds exactly what a commit at `claimed` writes: that commit landed, whoever saw its answer. */
async function landed(
  store: AlertStateStore,
  key: string,
  claimed: number,
  state: AlertState,
  pending: PendingAnnouncement | null,
): Promise<boolean> {
  const now = await store.read(key);
  if (now === null || now.revision !== claimed + 1 || now.claimUntilMs !== null || !sameAlertState(now.state, state)) return false;
  if (pending === null || now.pending === null) return pending === now.pending;
  return now.pending.by === pending.by && sameAlertState(now.pending.next, pending.next) && sameAlertState(now.pending.from, pending.from);
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const FAILURE_MESSAGES: Record<DeliveryStage, string> = {
  read: 'alert state not read; no alert decided for this key',
  save: 'alert state not saved',
  claim: 'alert state not claimed; no alert sent for this key',
  publish: 'alert not published; it is sent again next run',
  commit: 'alert published but its state not saved; the next run may send it again',
};
