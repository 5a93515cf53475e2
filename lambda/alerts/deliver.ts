import type { CheckedKey } from '../engine/check-key';
import { mapWithConcurrency } from '../engine/concurrency';
import type { RunResult } from '../engine/run-checks';
import { describeError } from '../errors';
import type { Logger } from '../log';
import { type AlertSettings, type AlertState, decideAlert, INITIAL_STATE, sameAlertState } from './decide';
import { type Alert, type AlertContext, formatAlert } from './format';

/** A key's alert state as stored, with the revision every write checks and the lease of a run that is sending. */
export interface StoredAlertState {
  readonly state: AlertState;
  /** Bumped by every write; 0 for a key never written. */
  readonly revision: number;
  /** Epoch ms until which a run that claimed the key may publish and commit, or `null`. */
  readonly claimUntilMs: number | null;
}

/**
 * Where alert state lives between runs. Every write is conditional on the revision read, so of two
 * overlapping runs only one can claim a key, and only the claimant can commit it.
 */
export interface AlertStateStore {
  /** The stored state (a strongly consistent read), or `null` for a key never stored. */
  read(key: string): Promise<StoredAlertState | null>;
  /**
   * Takes the lease until `untilMs` if the key is still at `revision` and no unexpired lease is held;
   * returns the claimed revision, or `null` when another run got there first.
   */
  claim(key: string, revision: number, nowMs: number, untilMs: number): Promise<number | null>;
  /** Stores `state` if the key is still at `revision` and unclaimed; `false` when another run changed or claimed it. */
  save(key: string, revision: number, nowMs: number, state: AlertState): Promise<boolean>;
  /** Stores `state` and drops the lease taken at `claimedRevision`; `false` when the lease was lost to another run. */
  commit(key: string, claimedRevision: number, state: AlertState): Promise<boolean>;
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
}

/**
 * For each result: read the key's state, decide, and when there is a message claim the key, publish,
 * then commit the new state; a failed publish releases the claim with the state unchanged (so the
 * next run sends it again), and a claim lost to an overlapping run skips the key. Every key is
 * tried whatever fails; the failures are returned, never thrown.
 */
export async function deliverAlerts(run: RunResult, options: DeliveryOptions): Promise<DeliverySummary> {
  const outcomes = await mapWithConcurrency(run.checked, DELIVERY_CONCURRENCY, (checked) =>
    deliverOne(checked, run.report.checkedAt, options),
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

async function deliverOne({ result, secretVersionId }: CheckedKey, checkedAt: string, options: DeliveryOptions): Promise<Outcome> {
  const { store, log } = options;
  const key = result.name;
  const fail = (stage: DeliveryStage, error: unknown): Outcome => {
    const failure = { key, stage, error: describeError(error) };
    log({ level: 'ERROR', message: FAILURE_MESSAGES[stage], name: key, error: failure.error });
    return { key, failure };
  };
  const skip = (why: string): Outcome => {
    log({ level: 'INFO', message: 'alert skipped: another run is handling this key', name: key, why });
    return { key, skipped: true };
  };

  let stored: StoredAlertState | null;
  try {
    stored = await store.read(key);
  } catch (error) {
    return fail('read', error);
  }
  const previous = stored?.state ?? null;
  const { decision, next, idle } = decideAlert(previous, result, checkedAt, options.settings, secretVersionId);
  log({
    level: 'INFO',
    message: 'alert decided',
    name: key,
    kind: decision?.kind ?? 'none',
    codes: next.codes,
    ...(decision && { rotated: decision.rotated }),
    dryRun: options.dryRun,
  });
  if (options.dryRun) return { key };
  const nowMs = options.now();
  if (stored?.claimUntilMs != null && stored.claimUntilMs > nowMs)
    return skip(`claimed until ${new Date(stored.claimUntilMs).toISOString()}`);
  const revision = stored?.revision ?? 0;

  if (decision === null) {
    if (sameAlertState(idle, previous ?? INITIAL_STATE)) return { key };
    try {
      return (await store.save(key, revision, nowMs, idle)) ? { key } : skip('state changed since it was read');
    } catch (error) {
      return fail('save', error);
    }
  }

  const alert = formatAlert(decision, { ...options.context, checkedAt, repeatAfterHours: options.settings.repeatAfterHours });
  let claimed: number | null;
  try {
    claimed = await store.claim(key, revision, nowMs, nowMs + (options.leaseMs ?? LEASE_MS));
  } catch (error) {
    return fail('claim', error);
  }
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
    // Releasing keeps unknownRuns counting; if it fails, the lease simply expires.
    await store
      .commit(key, claimed, idle)
      .catch((releaseError: unknown) =>
        log({ level: 'WARN', message: 'claim not released; it expires on its own', name: key, error: describeError(releaseError) }),
      );
    return outcome;
  }

  try {
    if (await store.commit(key, claimed, next)) return { key, sent: true };
    return { ...fail('commit', new Error('the claim was lost to another run before the state was saved')), sent: true };
  } catch (error) {
    return { ...fail('commit', error), sent: true };
  }
}

const FAILURE_MESSAGES: Record<DeliveryStage, string> = {
  read: 'alert state not read; no alert decided for this key',
  save: 'alert state not saved',
  claim: 'alert state not claimed; no alert sent for this key',
  publish: 'alert not published; it is sent again next run',
  commit: 'alert published but its state not saved; the next run may send it again',
};
