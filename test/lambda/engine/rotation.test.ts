import { assessRotation, findKeyCreatedAt, PENDING_GRACE_MS, type RotationFacts } from '../../../lambda/engine/rotation';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-27T10:00:00.000Z');
const POLICY = { maxAgeDays: 90, warnDays: 14 };

const ago = (ms: number) => new Date(NOW - ms);
const ahead = (ms: number) => new Date(NOW + ms);
const createdAgo = (ms: number): RotationFacts => ({ secret: { versionCreatedAt: ago(ms) } });
const codes = (facts: RotationFacts, policy = POLICY) => assessRotation(facts, policy, NOW).findings.map((f) => f.code);

describe('findKeyCreatedAt', () => {
  const version = new Date('2026-10-01T00:00:00Z');
  const field = new Date('2026-09-01T00:00:00Z');
  const secret = new Date('2026-01-01T00:00:00Z');

  it.each<[string, RotationFacts, Date | null]>([
    // What the exchange records comes first; the createdAt field is what the user says about the key, wherever it is stored.
    ["the exchange's date first", { secret: { versionCreatedAt: version }, createdAtField: field, exchangeCreatedAt: secret }, secret],
    ['the createdAt field next', { secret: { versionCreatedAt: version, secretCreatedAt: secret }, createdAtField: field }, field],
    ['the version date without a createdAt field', { secret: { versionCreatedAt: version, secretCreatedAt: secret } }, version],
    ['the secret creation last', { secret: { secretCreatedAt: secret }, createdAtField: null }, secret],
    ['null when nothing is known', { secret: {} }, null],
  ])('takes %s', (_, facts, expected) => {
    expect(findKeyCreatedAt(facts)).toEqual(expected);
  });
});

describe('assessRotation', () => {
  it.each([
    ['76 days less 1 ms (just before the warn window)', 76 * DAY - 1, []],
    ['exactly 76 days (14 days before the limit)', 76 * DAY, ['ROTATION_DUE']],
    ['76 days and 1 ms', 76 * DAY + 1, ['ROTATION_DUE']],
    ['90 days less 1 ms', 90 * DAY - 1, ['ROTATION_DUE']],
    ['exactly 90 days', 90 * DAY, ['ROTATION_DUE']],
    ['90 days and 1 ms', 90 * DAY + 1, ['ROTATION_OVERDUE']],
    ['400 days', 400 * DAY, ['ROTATION_OVERDUE']],
    ['0 days', 0, []],
  ])('at an age of %s (%d ms) finds %j', (_, ageMs, expected) => {
    expect(codes(createdAgo(ageMs))).toEqual(expected);
  });

  it.each([
    ['just before the limit', 30 * DAY - 1, []],
    ['at the limit', 30 * DAY, ['ROTATION_DUE']],
    ['just past the limit', 30 * DAY + 1, ['ROTATION_OVERDUE']],
    ['a day before the limit', 29 * DAY, []],
  ])('with warnDays 0 warns only at the limit itself: %s', (_, ageMs, expected) => {
    expect(codes(createdAgo(ageMs), { maxAgeDays: 30, warnDays: 0 })).toEqual(expected);
  });

  it.each([
    [0, 0],
    [DAY - 1, 0],
    [DAY, 1],
    [90 * DAY + 1, 90],
    // Created "in the future" by a store whose clock is a little ahead of ours.
    [-1000, 0],
  ])('reports an age of %d ms as keyAgeDays %d', (ageMs, days) => {
    expect(assessRotation(createdAgo(ageMs), POLICY, NOW).expiry.keyAgeDays).toBe(days);
  });

  it('reports the policy due date as nextRotationAt without a rotation schedule', () => {
    const { expiry } = assessRotation(createdAgo(10 * DAY), { maxAgeDays: 30, warnDays: 14 }, NOW);
    expect(expiry).toEqual({ keyAgeDays: 10, nextRotationAt: new Date(NOW + 20 * DAY).toISOString() });
  });

  it('reports nulls and no finding when the age is unknown, and says rotation was not checked and why', () => {
    expect(assessRotation({ secret: {} }, POLICY, NOW)).toEqual({
      expiry: { keyAgeDays: null, nextRotationAt: null },
      findings: [],
      notes: [expect.stringMatching(/^Rotation not checked: the key's age is unknown \(the secret has no "createdAt" field/)],
    });
  });

  it('says how old the key is and what the policy is', () => {
    const [overdue] = assessRotation(createdAgo(100 * DAY), POLICY, NOW).findings;
    expect(overdue?.message).toBe('The key is 100 days old (created 2026-08-19); the policy is to rotate within 90 days.');
    const [due] = assessRotation(createdAgo(80 * DAY), POLICY, NOW).findings;
    expect(due?.message).toBe('The key is 80 days old; rotation is due by 2026-12-07 (maxAgeDays 90).');
  });

  it('takes the age from the exchange, then the createdAt field, then the version date, then the secret creation', () => {
    const facts = (
      exchangeDays: number | null,
      fieldDays: number | null,
      versionDays: number | null,
      secretDays: number | null,
    ): RotationFacts => ({
      secret: {
        versionCreatedAt: versionDays === null ? null : ago(versionDays * DAY),
        secretCreatedAt: secretDays === null ? null : ago(secretDays * DAY),
      },
      createdAtField: fieldDays === null ? null : ago(fieldDays * DAY),
      exchangeCreatedAt: exchangeDays === null ? null : ago(exchangeDays * DAY),
    });
    expect(assessRotation(facts(40, 100, 5, 200), POLICY, NOW).expiry.keyAgeDays).toBe(40);
    expect(assessRotation(facts(null, 100, 5, 200), POLICY, NOW).expiry.keyAgeDays).toBe(100);
    expect(assessRotation(facts(null, null, 5, 200), POLICY, NOW).expiry.keyAgeDays).toBe(5);
    expect(assessRotation(facts(null, null, null, 200), POLICY, NOW).expiry.keyAgeDays).toBe(200);
    expect(codes(facts(null, null, 5, 100))).toEqual([]);
  });

  describe('with Secrets Manager rotation', () => {
    const scheduled = (untilMs: number, ageMs = 10 * DAY): RotationFacts => ({
      secret: { versionCreatedAt: ago(ageMs), rotationEnabled: true, nextRotationAt: ahead(untilMs) },
    });

    it.each([
      ['15 days ahead', 15 * DAY, []],
      ['14 days and 1 ms ahead', 14 * DAY + 1, []],
      ['exactly 14 days ahead', 14 * DAY, ['ROTATION_DUE']],
      ['1 ms ahead', 1, ['ROTATION_DUE']],
      ['due now', 0, ['ROTATION_DUE']],
      ['1 ms in the past', -1, ['ROTATION_OVERDUE']],
      ['3 days in the past', -3 * DAY, ['ROTATION_OVERDUE']],
    ])('with the next rotation %s (%d ms) finds %j', (_, untilMs, expected) => {
      expect(codes(scheduled(untilMs))).toEqual(expected);
    });

    it.each([
      ['1 ms ahead', 1, []],
      ['due now', 0, ['ROTATION_DUE']],
      ['1 ms in the past', -1, ['ROTATION_OVERDUE']],
    ])('with warnDays 0 and the next rotation %s (%d ms) finds %j', (_, untilMs, expected) => {
      expect(codes(scheduled(untilMs), { maxAgeDays: 90, warnDays: 0 })).toEqual(expected);
    });

    it('says the rotation is failing when it is past due, with the last rotation seen', () => {
      const facts: RotationFacts = {
        secret: { ...scheduled(-DAY).secret, lastRotatedAt: new Date('2026-08-28T10:00:00.000Z') },
      };
      const [finding] = assessRotation(facts, POLICY, NOW).findings;
      expect(finding?.message).toBe(
        'Secrets Manager rotation was due on 2026-11-26T10:00:00.000Z and has not happened (last rotated 2026-08-28T10:00:00.000Z): the rotation is failing.',
      );
      expect(assessRotation(scheduled(-DAY), POLICY, NOW).findings[0]?.message).toContain('(never rotated)');
    });

    it('does not call a past rotation date failing when a rotation happened since', () => {
      const facts: RotationFacts = { secret: { ...scheduled(-HOUR).secret, lastRotatedAt: ago(HOUR - 1000) } };
      expect(codes(facts)).toEqual([]);
    });

    it('announces the replacement in the words of the issue', () => {
      expect(assessRotation(scheduled(5 * DAY), POLICY, NOW).findings[0]?.message).toBe(
        'The key will be replaced on 2026-12-02T10:00:00.000Z by Secrets Manager rotation; make sure the bots reload it.',
      );
    });

    it('reports the scheduled rotation as nextRotationAt', () => {
      expect(assessRotation(scheduled(5 * DAY), POLICY, NOW).expiry.nextRotationAt).toBe(ahead(5 * DAY).toISOString());
    });

    it('does not warn twice when Secrets Manager rotates before the policy limit', () => {
      // Age 80 of 90 days, rotation in 5 days: only the scheduled rotation is announced.
      const findings = assessRotation(scheduled(5 * DAY, 80 * DAY), POLICY, NOW).findings;
      expect(findings.map((f) => f.code)).toEqual(['ROTATION_DUE']);
      expect(findings[0]?.message).toContain('by Secrets Manager rotation');
    });

    it('still warns by the policy when Secrets Manager would rotate only after the limit, naming the schedule', () => {
      // Policy 30 days, age 20, rotation scheduled in 60 days: without a warning the key would turn critical at day 31.
      const findings = assessRotation(scheduled(60 * DAY, 20 * DAY), { maxAgeDays: 30, warnDays: 14 }, NOW).findings;
      expect(findings.map((f) => f.code)).toEqual(['ROTATION_DUE']);
      expect(findings[0]?.message).toBe(
        'The key is 20 days old; rotation is due by 2026-12-07 (maxAgeDays 30), but Secrets Manager rotation is scheduled only for 2027-01-26T10:00:00.000Z.',
      );
    });

    it('merges the policy warning and a scheduled rotation after the limit into one ROTATION_DUE', () => {
      // Age 80 of 90 days (limit in 10 days), rotation in 12 days: both are due within warnDays.
      const findings = assessRotation(scheduled(12 * DAY, 80 * DAY), POLICY, NOW).findings;
      expect(findings.map((f) => f.code)).toEqual(['ROTATION_DUE']);
      expect(findings[0]?.message).toBe(
        'The key is 80 days old; rotation is due by 2026-12-07 (maxAgeDays 90), but Secrets Manager replaces it only on 2026-12-09T10:00:00.000Z; make sure the bots reload it.',
      );
    });

    it('warns of the coming replacement next to an age that is already overdue', () => {
      expect(codes(scheduled(3 * DAY, 100 * DAY))).toEqual(['ROTATION_OVERDUE', 'ROTATION_DUE']);
    });

    it('falls back to the policy due date when rotation is enabled but no date is known', () => {
      const facts: RotationFacts = { secret: { versionCreatedAt: ago(10 * DAY), rotationEnabled: true, nextRotationAt: null } };
      expect(assessRotation(facts, POLICY, NOW).expiry.nextRotationAt).toBe(ahead(80 * DAY).toISOString());
    });

    it('ignores nextRotationAt when rotation is disabled', () => {
      const facts: RotationFacts = { secret: { versionCreatedAt: ago(DAY), rotationEnabled: false, nextRotationAt: ago(DAY) } };
      expect(assessRotation(facts, POLICY, NOW)).toEqual({
        expiry: { keyAgeDays: 1, nextRotationAt: new Date(NOW - DAY + 90 * DAY).toISOString() },
        findings: [],
        notes: [],
      });
    });
  });

  describe('with a version in AWSPENDING', () => {
    const pending = (secret: Partial<RotationFacts['secret']>): RotationFacts => ({
      secret: { versionCreatedAt: ago(DAY), pendingVersionId: 'v-pending-123', ...secret },
    });

    it.each([
      ['created just now (a rotation in progress)', 0, []],
      ['created just inside the grace period', PENDING_GRACE_MS - 1, []],
      ['created exactly the grace period ago', PENDING_GRACE_MS, []],
      ['created 1 ms past the grace period', PENDING_GRACE_MS + 1, ['ROTATION_OVERDUE']],
      ['created 3 days ago', 3 * DAY, ['ROTATION_OVERDUE']],
    ])('%s (%d ms ago) finds %j', (_, pendingAgeMs, expected) => {
      expect(codes(pending({ pendingVersionCreatedAt: ago(pendingAgeMs), lastChangedAt: ago(0) }))).toEqual(expected);
    });

    it('names the version, when it was created and how long ago', () => {
      const [finding] = assessRotation(pending({ pendingVersionCreatedAt: ago(3 * HOUR + 5000) }), POLICY, NOW).findings;
      expect(finding?.message).toBe(
        'Secret version v-pending-123 is labelled AWSPENDING but not AWSCURRENT (created 2026-11-27T06:59:55.000Z, 3 hours ago): the last rotation did not finish.',
      );
      const [old] = assessRotation(pending({ pendingVersionCreatedAt: ago(5 * DAY) }), POLICY, NOW).findings;
      expect(old?.message).toContain('(created 2026-11-22T10:00:00.000Z, 5 days ago)');
    });

    it.each([
      ['changed 2 h ago proves the version stuck', ago(2 * HOUR), ['ROTATION_OVERDUE']],
      ['changed 10 minutes ago may be a rotation starting', ago(10 * 60_000), []],
      ['unknown counts as stuck', null, ['ROTATION_OVERDUE']],
    ])('without the version date, a secret last %s', (_, lastChangedAt, expected) => {
      expect(codes(pending({ pendingVersionCreatedAt: null, lastChangedAt }))).toEqual(expected);
    });

    it('says what was seen when the pending version has no date of its own', () => {
      const [bounded] = assessRotation(pending({ lastChangedAt: ago(50 * HOUR) }), POLICY, NOW).findings;
      expect(bounded?.message).toContain('(no value stored; the secret last changed 2026-11-25T08:00:00.000Z, 2 days 2 hours ago)');
      const [unknown] = assessRotation(pending({}), POLICY, NOW).findings;
      expect(unknown?.message).toContain('(created at an unknown time)');
    });

    it('reports every overdue reason in one ROTATION_OVERDUE finding', () => {
      const facts: RotationFacts = {
        secret: {
          versionCreatedAt: ago(100 * DAY),
          rotationEnabled: true,
          nextRotationAt: ago(2 * DAY),
          pendingVersionId: 'v-new',
          pendingVersionCreatedAt: ago(2 * DAY),
        },
      };
      const findings = assessRotation(facts, POLICY, NOW).findings;
      expect(findings.map((f) => f.code)).toEqual(['ROTATION_OVERDUE']);
      const message = findings[0]?.message ?? '';
      expect(message).toMatch(
        /^The key is 100 days old .*Secret version v-new is labelled AWSPENDING.*Secrets Manager rotation was due on /,
      );
    });
  });
});
