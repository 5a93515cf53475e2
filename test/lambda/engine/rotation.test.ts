import { assessRotation, keyCreatedAt, type RotationFacts } from '../../../lambda/engine/rotation';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-27T10:00:00.000Z');
const POLICY = { maxAgeDays: 90, warnDays: 14 };

const ago = (ms: number) => new Date(NOW - ms);
const ahead = (ms: number) => new Date(NOW + ms);
const createdAgo = (ms: number): RotationFacts => ({ secret: { versionCreatedAt: ago(ms) } });
const codes = (facts: RotationFacts, policy = POLICY) => assessRotation(facts, policy, NOW).findings.map((f) => f.code);

describe('keyCreatedAt', () => {
  const version = new Date('2026-10-01T00:00:00Z');
  const field = new Date('2026-09-01T00:00:00Z');
  const secret = new Date('2026-01-01T00:00:00Z');

  it.each<[string, RotationFacts, Date | null]>([
    ['the version date first', { secret: { versionCreatedAt: version, secretCreatedAt: secret }, createdAtField: field }, version],
    [
      'the createdAt field without a version date',
      { secret: { versionCreatedAt: null, secretCreatedAt: secret }, createdAtField: field },
      field,
    ],
    ['the secret creation last', { secret: { secretCreatedAt: secret }, createdAtField: null }, secret],
    ['null when nothing is known', { secret: {} }, null],
  ])('takes %s', (_, facts, expected) => {
    expect(keyCreatedAt(facts)).toEqual(expected);
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

  it('reports nulls and no finding when the age is unknown', () => {
    expect(assessRotation({ secret: {} }, POLICY, NOW)).toEqual({ expiry: { keyAgeDays: null, nextRotationAt: null }, findings: [] });
  });

  it('says how old the key is and what the policy is', () => {
    const [overdue] = assessRotation(createdAgo(100 * DAY), POLICY, NOW).findings;
    expect(overdue?.message).toBe('The key is 100 days old (created 2026-08-19); the policy is to rotate within 90 days.');
    const [due] = assessRotation(createdAgo(80 * DAY), POLICY, NOW).findings;
    expect(due?.message).toBe('The key is 80 days old; rotation is due by 2026-12-07 (maxAgeDays 90).');
  });

  it('takes the age from the version date over the createdAt field over the secret creation', () => {
    const facts = (versionDays: number | null, fieldDays: number | null, secretDays: number | null): RotationFacts => ({
      secret: {
        versionCreatedAt: versionDays === null ? null : ago(versionDays * DAY),
        secretCreatedAt: secretDays === null ? null : ago(secretDays * DAY),
      },
      createdAtField: fieldDays === null ? null : ago(fieldDays * DAY),
    });
    expect(assessRotation(facts(5, 100, 200), POLICY, NOW).expiry.keyAgeDays).toBe(5);
    expect(assessRotation(facts(null, 100, 200), POLICY, NOW).expiry.keyAgeDays).toBe(100);
    expect(assessRotation(facts(null, null, 200), POLICY, NOW).expiry.keyAgeDays).toBe(200);
    expect(codes(facts(5, 100, 200))).toEqual([]);
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

    it('says the rotation is failing when it is past due', () => {
      const [finding] = assessRotation(scheduled(-DAY), POLICY, NOW).findings;
      expect(finding?.message).toBe(
        'Secrets Manager rotation was due on 2026-11-26T10:00:00.000Z and has not happened: the rotation is failing.',
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

    it('still warns by the policy when Secrets Manager would rotate only after the limit', () => {
      // Policy 30 days, age 20, rotation scheduled in 60 days: without a warning the key would turn critical at day 31.
      expect(codes(scheduled(60 * DAY, 20 * DAY), { maxAgeDays: 30, warnDays: 14 })).toEqual(['ROTATION_DUE']);
    });

    it('ignores nextRotationAt when rotation is disabled', () => {
      const facts: RotationFacts = { secret: { versionCreatedAt: ago(DAY), rotationEnabled: false, nextRotationAt: ago(DAY) } };
      expect(assessRotation(facts, POLICY, NOW)).toEqual({
        expiry: { keyAgeDays: 1, nextRotationAt: new Date(NOW - DAY + 90 * DAY).toISOString() },
        findings: [],
      });
    });
  });

  it('finds a version stuck in AWSPENDING overdue, naming the version', () => {
    const findings = assessRotation({ secret: { versionCreatedAt: ago(DAY), pendingVersionId: 'v-pending-123' } }, POLICY, NOW).findings;
    expect(findings.map((f) => f.code)).toEqual(['ROTATION_OVERDUE']);
    expect(findings[0]?.message).toContain('(v-pending-123) is stuck in AWSPENDING');
  });
});
