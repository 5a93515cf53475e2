import type { RotationPolicy } from '../config';
import { DAY_MS, describeDuration, HOUR_MS } from '../duration';
import { type Finding, makeFinding } from '../findings';
import type { Expiry } from '../report';
import type { LoadedSecret } from './secrets';

/**
 * How long a version may sit in `AWSPENDING` before the rotation counts as stuck. A rotation runs its
 * four steps (createSecret, setSecret, testSecret, finishSecret) as Lambda invocations of at most
 * 15 minutes each, so one still pending after an hour has stopped.
 */
export const PENDING_GRACE_MS = HOUR_MS;

/** What is known about a key's age and rotation, from the secret store and the secret's own `createdAt`. */
export interface RotationFacts {
  readonly secret: Pick<
    LoadedSecret,
    | 'versionCreatedAt'
    | 'secretCreatedAt'
    | 'rotationEnabled'
    | 'nextRotationAt'
    | 'lastRotatedAt'
    | 'pendingVersionId'
    | 'pendingVersionCreatedAt'
    | 'lastChangedAt'
  >;
  /** The secret's optional `createdAt` field, for keys rotated by hand. */
  readonly createdAtField?: Date | null;
  /** When the exchange says the key was created (Binance, Bybit and Gate tell). */
  readonly exchangeCreatedAt?: Date | null;
}

const AGE_UNKNOWN =
  'Rotation not checked: the key\'s age is unknown (the secret has no "createdAt" field, its store keeps no dates, and the exchange does not tell); add "createdAt": "YYYY-MM-DD" to the secret to have it checked.';

/**
 * When the key in use was created: as the exchange records it, else the secret's `createdAt` field
 * (what the user says about the key, wherever it is stored), else the date the store put the current
 * value there (the Secrets Manager version), else the secret's creation; `null` when none is known.
 */
export function findKeyCreatedAt(facts: RotationFacts): Date | null {
  return facts.exchangeCreatedAt ?? facts.createdAtField ?? facts.secret.versionCreatedAt ?? facts.secret.secretCreatedAt ?? null;
}

/**
 * Age and rotation findings at `nowMs`, at most one per code: ROTATION_OVERDUE past `maxAgeDays`, past a
 * Secrets Manager rotation date, or with a version stuck in AWSPENDING; ROTATION_DUE within `warnDays`
 * of the policy limit or of the scheduled rotation.
 */
export function assessRotation(
  facts: RotationFacts,
  policy: RotationPolicy,
  nowMs: number,
): { expiry: Pick<Expiry, 'keyAgeDays' | 'nextRotationAt'>; findings: Finding[]; notes: string[] } {
  const { secret } = facts;
  const overdue: string[] = [];
  const due: string[] = [];
  const created = findKeyCreatedAt(facts);
  const ageMs = created ? nowMs - created.getTime() : null;
  const scheduled = secret.rotationEnabled ? (secret.nextRotationAt ?? null) : null;
  const untilScheduledMs = scheduled ? scheduled.getTime() - nowMs : null;
  const scheduleDue = untilScheduledMs !== null && untilScheduledMs >= 0 && untilScheduledMs <= policy.warnDays * DAY_MS;
  const policyDue = created ? new Date(created.getTime() + policy.maxAgeDays * DAY_MS) : null;

  if (ageMs !== null && created && policyDue) {
    const ageDays = Math.floor(ageMs / DAY_MS);
    if (ageMs > policy.maxAgeDays * DAY_MS)
      overdue.push(
        `The key is ${ageDays} days old (created ${isoDay(created)}); the policy is to rotate within ${policy.maxAgeDays} days.`,
      );
    // Within warnDays of the policy's limit, unless Secrets Manager rotates before that limit anyway.
    else if (ageMs >= (policy.maxAgeDays - policy.warnDays) * DAY_MS && !(scheduled && scheduled <= policyDue)) {
      const limit = `The key is ${ageDays} days old; rotation is due by ${isoDay(policyDue)} (maxAgeDays ${policy.maxAgeDays})`;
      // One warning for the key: the scheduled rotation, if any, is named in the same message.
      if (!scheduled) due.push(`${limit}.`);
      else if (scheduleDue)
        due.push(`${limit}, but Secrets Manager replaces it only on ${scheduled.toISOString()}; make sure the bots reload it.`);
      else due.push(`${limit}, but Secrets Manager rotation is scheduled only for ${scheduled.toISOString()}.`);
    }
  }
  const stuck = stuckRotation(secret, nowMs);
  if (stuck) overdue.push(stuck);
  if (scheduled && untilScheduledMs !== null) {
    const rotatedSince = secret.lastRotatedAt != null && secret.lastRotatedAt >= scheduled;
    if (untilScheduledMs < 0 && !rotatedSince) {
      const last = secret.lastRotatedAt ? `last rotated ${secret.lastRotatedAt.toISOString()}` : 'never rotated';
      overdue.push(
        `Secrets Manager rotation was due on ${scheduled.toISOString()} and has not happened (${last}): the rotation is failing.`,
      );
    } else if (scheduleDue && due.length === 0)
      due.push(`The key will be replaced on ${scheduled.toISOString()} by Secrets Manager rotation; make sure the bots reload it.`);
  }

  const findings: Finding[] = [];
  if (overdue.length > 0) findings.push(makeFinding('ROTATION_OVERDUE', overdue.join(' ')));
  if (due.length > 0) findings.push(makeFinding('ROTATION_DUE', due.join(' ')));
  return {
    expiry: {
      // A version created moments ago by a store whose clock is ahead of ours is 0 days old, not -1.
      keyAgeDays: ageMs === null ? null : Math.max(0, Math.floor(ageMs / DAY_MS)),
      nextRotationAt: (scheduled ?? policyDue)?.toISOString() ?? null,
    },
    findings,
    notes: created ? [] : [AGE_UNKNOWN],
  };
}

/** What was seen of a version left in AWSPENDING past the grace period; `null` for none, or a rotation still within it. */
function stuckRotation(secret: RotationFacts['secret'], nowMs: number): string | null {
  const versionId = secret.pendingVersionId;
  if (!versionId) return null;
  const createdAt = secret.pendingVersionCreatedAt ?? null;
  // A pending version without a value is not listed, so its creation is unknown; the secret's last
  // change is no earlier, so a last change older than the grace period still proves it is stuck.
  const since = createdAt ?? secret.lastChangedAt ?? null;
  if (since && nowMs - since.getTime() <= PENDING_GRACE_MS) return null;
  const seen = createdAt
    ? `created ${createdAt.toISOString()}, ${describeDuration(nowMs - createdAt.getTime())} ago`
    : since
      ? `no value stored; the secret last changed ${since.toISOString()}, ${describeDuration(nowMs - since.getTime())} ago`
      : 'created at an unknown time';
  return `Secret version ${versionId} is labelled AWSPENDING but not AWSCURRENT (${seen}): the last rotation did not finish.`;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
