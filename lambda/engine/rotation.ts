import type { RotationPolicy } from '../config';
import { type Finding, makeFinding } from '../findings';
import type { Expiry } from '../report';
import type { LoadedSecret } from './secrets';

const DAY_MS = 86_400_000;

/** What is known about a key's age and rotation, from the secret store and the secret's own `createdAt`. */
export interface RotationFacts {
  readonly secret: Pick<LoadedSecret, 'versionCreatedAt' | 'secretCreatedAt' | 'rotationEnabled' | 'nextRotationAt' | 'pendingVersionId'>;
  /** The secret's optional `createdAt` field, for keys rotated by hand. */
  readonly createdAtField?: Date | null;
}

/** When the key in use was created: the current version's date, else the secret's `createdAt` field, else the secret's creation. */
export function keyCreatedAt(facts: RotationFacts): Date | null {
  return facts.secret.versionCreatedAt ?? facts.createdAtField ?? facts.secret.secretCreatedAt ?? null;
}

/** Age and rotation findings at `nowMs`: ROTATION_OVERDUE past `maxAgeDays` or a failed rotation, ROTATION_DUE within `warnDays`. */
export function assessRotation(
  facts: RotationFacts,
  policy: RotationPolicy,
  nowMs: number,
): { expiry: Pick<Expiry, 'keyAgeDays' | 'nextRotationAt'>; findings: Finding[] } {
  const findings: Finding[] = [];
  const created = keyCreatedAt(facts);
  const ageMs = created ? nowMs - created.getTime() : null;
  const scheduled = facts.secret.rotationEnabled ? (facts.secret.nextRotationAt ?? null) : null;
  const policyDue = created ? new Date(created.getTime() + policy.maxAgeDays * DAY_MS) : null;

  if (ageMs !== null && created) {
    const ageDays = Math.floor(ageMs / DAY_MS);
    if (ageMs > policy.maxAgeDays * DAY_MS)
      findings.push(
        makeFinding(
          'ROTATION_OVERDUE',
          `The key is ${ageDays} days old (created ${isoDay(created)}); the policy is to rotate within ${policy.maxAgeDays} days.`,
        ),
      );
    // Within warnDays of the policy's limit, unless Secrets Manager rotates before that limit anyway.
    else if (ageMs >= (policy.maxAgeDays - policy.warnDays) * DAY_MS && !(scheduled && policyDue && scheduled <= policyDue))
      findings.push(
        makeFinding(
          'ROTATION_DUE',
          `The key is ${ageDays} days old; rotation is due by ${isoDay(policyDue as Date)} (maxAgeDays ${policy.maxAgeDays}).`,
        ),
      );
  }
  if (facts.secret.pendingVersionId)
    findings.push(
      makeFinding(
        'ROTATION_OVERDUE',
        `A secret version (${facts.secret.pendingVersionId}) is stuck in AWSPENDING: the last rotation did not finish.`,
      ),
    );
  if (scheduled) {
    const untilMs = scheduled.getTime() - nowMs;
    if (untilMs < 0)
      findings.push(
        makeFinding(
          'ROTATION_OVERDUE',
          `Secrets Manager rotation was due on ${scheduled.toISOString()} and has not happened: the rotation is failing.`,
        ),
      );
    else if (untilMs <= policy.warnDays * DAY_MS)
      findings.push(
        makeFinding(
          'ROTATION_DUE',
          `The key will be replaced on ${scheduled.toISOString()} by Secrets Manager rotation; make sure the bots reload it.`,
        ),
      );
  }
  return {
    expiry: {
      // A version created moments ago by a store whose clock is ahead of ours is 0 days old, not -1.
      keyAgeDays: ageMs === null ? null : Math.max(0, Math.floor(ageMs / DAY_MS)),
      nextRotationAt: (scheduled ?? policyDue)?.toISOString() ?? null,
    },
    findings,
  };
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
