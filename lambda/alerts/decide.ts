import { HOUR_MS } from '../duration';
import { compareStatus, type Status } from '../findings';
import type { KeyResult } from '../report';

/** What the monitor remembers about one key between runs (docs/contracts.md, "Alerting"). */
export interface AlertState {
  /** Status last announced (`ok` when nothing is outstanding). */
  readonly status: Status;
  /** Finding codes last announced, sorted. */
  readonly codes: readonly string[];
  /** When the announced problem began (ISO), `null` while ok. */
  readonly since: string | null;
  /** When the last message for this key was sent (ISO). */
  readonly lastNotifiedAt: string | null;
  /** Consecutive runs whose result was `unknown`. */
  readonly unknownRuns: number;
  /** The secret version checked last run, to say when a rotation changed the key. */
  readonly secretVersionId: string | null;
}

/** Alerting settings from the config. */
export interface AlertSettings {
  readonly repeatAfterHours: number;
  readonly unknownAfterRuns: number;
}

/** Why a message is sent. */
export type AlertKind = 'new' | 'changed' | 'reminder' | 'resolved';

/** A message to send about one key, with what it needs to say. */
export interface AlertDecision {
  readonly kind: AlertKind;
  readonly result: KeyResult;
  /** The status and codes announced before (for "escalated from", and what a RESOLVED cleared). */
  readonly previous: Pick<AlertState, 'status' | 'codes' | 'since'>;
  /** When the problem began (for "since" and how long it lasted). */
  readonly since: string;
  /** When this run decided (ISO): "for N hours" and a RESOLVED's duration end here. */
  readonly at: string;
  /** The secret's version changed since the last run: a rotation installed this key. */
  readonly rotated: boolean;
}

/** The state of a key never seen before. */
export const INITIAL_STATE: AlertState = {
  status: 'ok',
  codes: [],
  since: null,
  lastNotifiedAt: null,
  unknownRuns: 0,
  secretVersionId: null,
};

/**
 * Decides whether this run's result for a key is worth a message, and the state to keep.
 * `next` is what to store once the message (if any) was sent; `idle` is what to store if there is
 * no message or it could not be sent, so a failed publish is tried again next run.
 * An `unknown` result is announced only after `unknownAfterRuns` in a row and never hides a
 * critical: until then the last announced state stands.
 */
export function decideAlert(
  previous: AlertState | null,
  result: KeyResult,
  nowIso: string,
  settings: AlertSettings,
  secretVersionId: string | null = null,
): { decision: AlertDecision | null; next: AlertState; idle: AlertState } {
  const prev = previous ?? INITIAL_STATE;
  const codes = [...new Set(result.findings.map((f) => f.code))].sort();
  const unknownRuns = result.status === 'unknown' ? prev.unknownRuns + 1 : 0;
  const rotated = prev.secretVersionId !== null && secretVersionId !== null && prev.secretVersionId !== secretVersionId;
  const idle: AlertState = { ...prev, unknownRuns, secretVersionId: secretVersionId ?? prev.secretVersionId };

  // A passing unknown (exchange down, rate limited) keeps the announced state as it was.
  const settledUnknown = result.status !== 'unknown' || unknownRuns >= settings.unknownAfterRuns;
  if (!settledUnknown) return { decision: null, next: idle, idle };

  const changed = result.status !== prev.status || !sameCodes(codes, prev.codes);
  const since = result.status === 'ok' ? null : prev.status === 'ok' || prev.since === null ? nowIso : prev.since;
  const next: AlertState = { ...idle, status: result.status, codes, since, lastNotifiedAt: nowIso };
  const about = { status: prev.status, codes: prev.codes, since: prev.since };

  if (changed) {
    if (result.status === 'ok') {
      const decision: AlertDecision = { kind: 'resolved', result, previous: about, since: prev.since ?? nowIso, at: nowIso, rotated };
      return { decision, next, idle };
    }
    const kind: AlertKind = prev.status === 'ok' ? 'new' : 'changed';
    return { decision: { kind, result, previous: about, since: since ?? nowIso, at: nowIso, rotated }, next, idle };
  }
  const dueForReminder =
    result.status !== 'ok' &&
    (prev.lastNotifiedAt === null || Date.parse(nowIso) - Date.parse(prev.lastNotifiedAt) >= settings.repeatAfterHours * HOUR_MS);
  if (dueForReminder)
    return { decision: { kind: 'reminder', result, previous: about, since: prev.since ?? nowIso, at: nowIso, rotated }, next, idle };
  return { decision: null, next: idle, idle };
}

/** Whether the change is for the worse (for wording: "escalated" vs "changed"). */
export function isEscalation(decision: AlertDecision): boolean {
  return compareStatus(decision.result.status, decision.previous.status) > 0;
}

/** Whether two states hold the same facts, so storing one over the other would change nothing. */
export function sameAlertState(a: AlertState, b: AlertState): boolean {
  return (
    a.status === b.status &&
    sameCodes(a.codes, b.codes) &&
    a.since === b.since &&
    a.lastNotifiedAt === b.lastNotifiedAt &&
    a.unknownRuns === b.unknownRuns &&
    a.secretVersionId === b.secretVersionId
  );
}

function sameCodes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((code, i) => code === b[i]);
}
