import { type AlertSettings, type AlertState, decideAlert, INITIAL_STATE, sameAlertState } from '../../../lambda/alerts/decide';
import { type FindingCode, makeFinding, rateFindings } from '../../../lambda/findings';
import type { KeyResult } from '../../../lambda/report';

const SETTINGS: AlertSettings = { repeatAfterHours: 24, unknownAfterRuns: 3 };
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function result(...codes: FindingCode[]): KeyResult {
  const findings = codes.map((code) => makeFinding(code, `${code} happened`));
  return {
    name: 'coinbase-futures',
    exchange: 'coinbase-advanced',
    status: rateFindings(findings),
    findings,
    clock: { offsetMs: null, rttMs: null, toleranceMs: null, source: null },
    permissions: { view: null, trade: null, transfer: null, futures: null, ipRestricted: null },
    expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt: null },
    latencyMs: null,
    notes: [],
  };
}

/** Runs results through decideAlert as the handler does when every publish succeeds; returns the kinds sent. */
function drive(steps: Array<[minutes: number, result: KeyResult]>, settings = SETTINGS): Array<string | null> {
  let state: AlertState | null = null;
  return steps.map(([minutes, r]) => {
    const { decision, next } = decideAlert(state, r, at(minutes), settings);
    state = next;
    return decision?.kind ?? null;
  });
}

describe('decideAlert', () => {
  it('sends new, stays quiet, reminds after repeatAfterHours, then resolves: four messages for a whole incident', () => {
    const broken = result('AUTH_INVALID_SIGNATURE');
    const kinds = drive([
      [0, result()],
      [5, broken],
      [10, broken],
      [5 + 24 * 60 - 1, broken],
      [5 + 24 * 60, broken],
      [10 + 24 * 60, broken],
      [5 + 48 * 60, broken],
      [10 + 48 * 60, result()],
      [15 + 48 * 60, result()],
    ]);
    expect(kinds).toEqual([null, 'new', null, null, 'reminder', null, 'reminder', 'resolved', null]);
    expect(kinds.filter((k) => k !== null)).toHaveLength(4);
  });

  it.each([
    ['an escalation from warning to critical', [result('CLOCK_DRIFT'), result('CLOCK_SKEW_REJECTED')], ['new', 'changed']],
    ['a different failure at the same severity', [result('AUTH_INVALID_KEY'), result('AUTH_INVALID_SIGNATURE')], ['new', 'changed']],
    ['an added code', [result('AUTH_INVALID_KEY'), result('AUTH_INVALID_KEY', 'ROTATION_OVERDUE')], ['new', 'changed']],
    ['an improvement from critical to warning', [result('AUTH_INVALID_KEY'), result('CLOCK_DRIFT')], ['new', 'changed']],
    ['the same codes in another order', [result('CLOCK_DRIFT', 'ROTATION_DUE'), result('ROTATION_DUE', 'CLOCK_DRIFT')], ['new', null]],
  ])('announces %s', (_label, results, expected) => {
    expect(drive(results.map((r, i) => [i * 5, r] as [number, KeyResult]))).toEqual(expected);
  });

  it.each([
    [1, [null, 'new', null]],
    [2, [null, null, 'new']],
    [3, [null, null, null]],
  ])('raises unknown only after unknownAfterRuns=%i runs in a row', (runs, expected) => {
    const down = result('EXCHANGE_UNAVAILABLE');
    expect(
      drive(
        [
          [0, result()],
          [5, down],
          [10, down],
        ],
        { ...SETTINGS, unknownAfterRuns: runs },
      ).slice(0, 3),
    ).toEqual(expected);
  });

  it('does not let a flapping network page anyone', () => {
    const down = result('EXCHANGE_UNAVAILABLE');
    const kinds = drive([
      [0, result()],
      [5, down],
      [10, down],
      [15, result()],
      [20, down],
      [25, down],
      [30, result()],
    ]);
    expect(kinds).toEqual([null, null, null, null, null, null, null]);
  });

  it('never masks a critical that follows unknown runs', () => {
    const down = result('RATE_LIMITED');
    expect(
      drive([
        [0, down],
        [5, down],
        [10, result('AUTH_INVALID_KEY')],
      ]),
    ).toEqual([null, null, 'new']);
  });

  it('keeps a critical announced through a passing unknown, without a RESOLVED or a repeat', () => {
    const broken = result('AUTH_INVALID_KEY');
    const down = result('EXCHANGE_UNAVAILABLE');
    expect(
      drive([
        [0, broken],
        [5, down],
        [10, broken],
      ]),
    ).toEqual(['new', null, null]);
  });

  it('keeps the state unchanged when a publish fails, so the message is sent again next run', () => {
    const broken = result('IP_NOT_ALLOWED');
    const first = decideAlert(null, broken, at(0), SETTINGS);
    expect(first.decision?.kind).toBe('new');
    const retry = decideAlert(first.idle, broken, at(5), SETTINGS);
    expect(retry.decision?.kind).toBe('new');
    expect(decideAlert(retry.next, broken, at(10), SETTINGS).decision).toBeNull();
  });

  it('dates the problem from when it began and says what a RESOLVED cleared', () => {
    const first = decideAlert(INITIAL_STATE, result('AUTH_INVALID_KEY'), at(5), SETTINGS);
    const changed = decideAlert(first.next, result('AUTH_INVALID_SIGNATURE'), at(10), SETTINGS);
    expect(changed.decision?.since).toBe(at(5));
    const resolved = decideAlert(changed.next, result(), at(70), SETTINGS);
    expect(resolved.decision?.kind).toBe('resolved');
    expect(resolved.decision?.previous.codes).toEqual(['AUTH_INVALID_SIGNATURE']);
    expect(resolved.decision?.since).toBe(at(5));
    expect(resolved.next).toMatchObject({ status: 'ok', codes: [], since: null });
  });

  it('notices a new secret version since the last run', () => {
    const first = decideAlert(null, result(), at(0), SETTINGS, 'v1');
    const after = decideAlert(first.next, result('AUTH_INVALID_SIGNATURE'), at(5), SETTINGS, 'v2');
    expect(after.decision?.rotated).toBe(true);
    expect(after.next.secretVersionId).toBe('v2');
    expect(decideAlert(first.next, result('AUTH_INVALID_SIGNATURE'), at(5), SETTINGS, 'v1').decision?.rotated).toBe(false);
  });
});

describe('decideAlert timing', () => {
  it('carries the time of the decision, so a message can say for how long', () => {
    const first = decideAlert(null, result('KEY_EXPIRED'), at(0), SETTINGS);
    const reminder = decideAlert(first.next, result('KEY_EXPIRED'), at(24 * 60), SETTINGS);
    expect(reminder.decision).toMatchObject({ kind: 'reminder', since: at(0), at: at(24 * 60) });
  });

  it('counts unknown runs in the idle state too, so a failed publish does not reset the count', () => {
    const down = result('EXCHANGE_UNAVAILABLE');
    const one = decideAlert(null, down, at(0), SETTINGS);
    const two = decideAlert(one.idle, down, at(5), SETTINGS);
    expect(two.idle.unknownRuns).toBe(2);
    expect(decideAlert(two.idle, down, at(10), SETTINGS).decision?.kind).toBe('new');
  });
});

describe('sameAlertState', () => {
  const base: AlertState = { ...INITIAL_STATE, codes: ['A', 'B'], secretVersionId: 'v1' };
  it.each<[string, Partial<AlertState>, boolean]>([
    ['nothing differs', {}, true],
    ['only the code list is a copy', { codes: ['A', 'B'] }, true],
    ['the status differs', { status: 'warning' }, false],
    ['a code differs', { codes: ['A'] }, false],
    ['since differs', { since: at(0) }, false],
    ['lastNotifiedAt differs', { lastNotifiedAt: at(0) }, false],
    ['unknownRuns differs', { unknownRuns: 1 }, false],
    ['secretVersionId differs', { secretVersionId: 'v2' }, false],
  ])('compares two states when %s', (_label, change, same) => {
    expect(sameAlertState(base, { ...base, ...change })).toBe(same);
  });
});
