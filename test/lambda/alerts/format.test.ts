import type { AlertDecision, AlertKind } from '../../../lambda/alerts/decide';
import { formatAlert, formatSms, formatSubject, SMS_MAX_BYTES, SUBJECT_MAX_CHARS } from '../../../lambda/alerts/format';
import { type FindingCode, makeFinding, rateFindings, type Status } from '../../../lambda/findings';
import { type KeyResult, UNKNOWN_CLOCK, UNKNOWN_PERMISSIONS } from '../../../lambda/report';

const GSM_BASIC_ASCII = /^[A-Za-z0-9 !"#$%&'()*+,\-./:;<=>?@_]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function resultOf(name: string, findings: Array<[FindingCode, string]>, parts: Partial<KeyResult> = {}): KeyResult {
  const made = findings.map(([code, message]) => makeFinding(code, message));
  return {
    name,
    exchange: 'coinbase-exchange',
    status: rateFindings(made),
    findings: made,
    clock: { ...UNKNOWN_CLOCK },
    permissions: { ...UNKNOWN_PERMISSIONS },
    expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt: null },
    latencyMs: null,
    notes: [],
    ...parts,
  };
}

const SINCE = '2026-11-27T09:55:00.000Z';
const AT = '2026-11-27T10:00:00.000Z';

/** A decision about a result, as decideAlert makes them. */
function decisionOf(
  result: KeyResult,
  kind: AlertKind = 'new',
  parts: Partial<Omit<AlertDecision, 'result' | 'kind'>> = {},
): AlertDecision {
  return { kind, result, previous: { status: 'ok', codes: [], since: null }, since: SINCE, at: AT, rotated: false, ...parts };
}

/** A 'new' decision about a key with these codes, at the given status. */
function newProblem(name: string, status: Status, codes: readonly string[]): AlertDecision {
  const result = resultOf(
    name,
    codes.map((code) => [code as FindingCode, `${code} happened`]),
  );
  return decisionOf({ ...result, status });
}

const ALL_CODES: FindingCode[] = [
  'AUTH_INVALID_SIGNATURE',
  'PERMISSION_MISSING',
  'IP_NOT_ALLOWED',
  'ROTATION_OVERDUE',
  'CLOCK_DRIFT',
  'PERMISSION_EXCESSIVE',
];

describe('formatSubject', () => {
  it.each([
    ['line breaks', 'a:\nb\r\nc', '[CRITICAL] a: b c: AUTH_INVALID_KEY'],
    ['non-ASCII letters', 'clé-ü', '[CRITICAL] cl?-?: AUTH_INVALID_KEY'],
    ['leading blanks', '   k', '[CRITICAL] k: AUTH_INVALID_KEY'],
  ])('makes a subject SNS accepts from a name with %s', (_label, name, expected) => {
    const subject = formatSubject(newProblem(name, 'critical', ['AUTH_INVALID_KEY']));
    expect(subject).toBe(expected);
    expect(subject).toMatch(PRINTABLE_ASCII);
  });

  it('names the status, the key and the code', () => {
    expect(formatSubject(newProblem('coinbase-futures', 'critical', ['AUTH_INVALID_SIGNATURE']))).toBe(
      '[CRITICAL] coinbase-futures: AUTH_INVALID_SIGNATURE',
    );
  });

  it('says "no findings" when there are no codes to name', () => {
    expect(formatSubject(decisionOf(resultOf('k1', []), 'resolved', { previous: { status: 'unknown', codes: [], since: SINCE } }))).toBe(
      '[RESOLVED] k1: no findings',
    );
  });

  it('keeps a subject of exactly 99 characters whole and shortens one of 100', () => {
    const label = '[CRITICAL] ';
    const code = 'AUTH_INVALID_SIGNATURE';
    const at = 'k'.repeat(SUBJECT_MAX_CHARS - label.length - 2 - code.length);
    expect(formatSubject(newProblem(at, 'critical', [code]))).toHaveLength(SUBJECT_MAX_CHARS);
    expect(formatSubject(newProblem(at, 'critical', [code]))).toBe(`${label}${at}: ${code}`);
    const past = `${at}k`;
    const shortened = formatSubject(newProblem(past, 'critical', [code]));
    expect(shortened.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(shortened).toBe(`${label}${past.slice(0, at.length - 3)}...: ${code}`);
  });

  it.each([
    ['a 64-character name and six codes', 'n'.repeat(64), ALL_CODES],
    ['a 20-character name and six codes', 'coinbase-futures-001', ALL_CODES],
    ['a 300-character name beyond the config limit', 'x'.repeat(300), ALL_CODES],
    ['a name with line breaks and non-ASCII letters', 'bad\nname-ünïcødé-€', ['KEY_EXPIRED']],
  ])('stays under 100 printable ASCII characters with %s', (_label, name, codes) => {
    const subject = formatSubject(newProblem(name, 'critical', codes));
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(subject).toMatch(PRINTABLE_ASCII);
    expect(subject.startsWith('[CRITICAL] ')).toBe(true);
  });

  it('lists the codes that fit and counts the rest as "+N more"', () => {
    const subject = formatSubject(newProblem('coinbase-futures-001', 'critical', ALL_CODES));
    expect(subject).toBe('[CRITICAL] coinbase-futures-001: AUTH_INVALID_SIGNATURE, PERMISSION_MISSING, IP_NOT_ALLOWED +3 more');
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
  });

  it('shortens a long name rather than drop the codes', () => {
    const subject = formatSubject(newProblem('x'.repeat(300), 'unknown', ['RATE_LIMITED', 'EXCHANGE_UNAVAILABLE']));
    expect(subject).toMatch(/^\[UNKNOWN\] x{20,}\.\.\.: RATE_LIMITED, EXCHANGE_UNAVAILABLE$/);
    expect(subject).toHaveLength(SUBJECT_MAX_CHARS);
  });

  it('keeps the longest code beside the longest name the config allows', () => {
    const subject = formatSubject(newProblem('n'.repeat(64), 'critical', ['AUTH_INVALID_PASSPHRASE', 'ROTATION_DUE']));
    expect(subject).toMatch(/^\[CRITICAL\] n{20,}\.\.\.: AUTH_INVALID_PASSPHRASE/);
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
  });
});

describe('formatSms', () => {
  it('is one short line without brackets', () => {
    expect(formatSms(newProblem('coinbase-futures', 'critical', ['AUTH_INVALID_SIGNATURE']))).toBe(
      'key-health CRITICAL coinbase-futures: AUTH_INVALID_SIGNATURE',
    );
  });

  it('keeps a text of exactly 140 bytes whole and shortens one of 141', () => {
    const label = 'key-health CRITICAL ';
    const codes = ['AUTH_INVALID_SIGNATURE', 'ROTATION_OVERDUE'];
    const tail = codes.join(', ');
    const at = 'k'.repeat(SMS_MAX_BYTES - label.length - 2 - tail.length);
    expect(formatSms(newProblem(at, 'critical', codes))).toBe(`${label}${at}: ${tail}`);
    expect(Buffer.byteLength(formatSms(newProblem(at, 'critical', codes)))).toBe(SMS_MAX_BYTES);
    expect(formatSms(newProblem(`${at}k`, 'critical', codes))).toBe(`${label}${at}k: AUTH_INVALID_SIGNATURE +1 more`);
  });

  it.each([
    ['a 64-character name and six codes', 'n'.repeat(64), ALL_CODES],
    ['a 300-character name', 'x'.repeat(300), ALL_CODES],
    ['non-GSM characters in the name', 'key[1]{a}|b~c^d`e\\f€ü中', ['KEY_EXPIRED']],
  ])('fits one segment of GSM basic characters with %s', (_label, name, codes) => {
    const sms = formatSms(newProblem(name, 'critical', codes));
    expect(Buffer.byteLength(sms, 'utf8')).toBeLessThanOrEqual(SMS_MAX_BYTES);
    expect(sms).toMatch(GSM_BASIC_ASCII);
  });
});

describe('formatAlert', () => {
  const multiByte = 'Coinbase Exchange answered HTTP 401 to GET /accounts: {"message":"Clé invalide — 認証に失敗しました 🔑"}.';
  const result = resultOf(
    'coinbase-futures',
    [
      ['AUTH_INVALID_PASSPHRASE', multiByte],
      ['ROTATION_DUE', 'The key is 80 days old; rotation is due by 2026-12-07 (maxAgeDays 90).'],
      ['AUTH_INVALID_PASSPHRASE', 'the same code twice'],
    ],
    {
      clock: { offsetMs: -1234, rttMs: 48, toleranceMs: 30000, source: 'time-endpoint' },
      permissions: { view: true, trade: null, transfer: false, futures: true, ipRestricted: null },
      expiry: { keyAgeDays: 80, nextRotationAt: '2026-12-07T00:00:00.000Z', exchangeExpiresAt: null },
      latencyMs: 51,
    },
  );
  const alert = formatAlert(decisionOf(result), {
    checkedAt: '2026-11-27T10:00:00.000Z',
    functionName: 'KeyHealth-Checker-abc123',
    region: 'eu-west-1',
    dashboardName: 'KeyHealth-key-health',
  });

  it('carries the attributes subscriptions filter on, with each code once', () => {
    expect(alert).toMatchObject({
      key: 'coinbase-futures',
      exchange: 'coinbase-exchange',
      severity: 'critical',
      codes: ['AUTH_INVALID_PASSPHRASE', 'ROTATION_DUE'],
      subject: '[CRITICAL] coinbase-futures: AUTH_INVALID_PASSPHRASE, ROTATION_DUE',
      sms: 'key-health CRITICAL coinbase-futures: AUTH_INVALID_PASSPHRASE, ROTATION_DUE',
    });
  });

  it("keeps the exchange's multi-byte text in the e-mail but out of subject and SMS", () => {
    expect(alert.email).toContain(multiByte);
    expect(alert.subject).toMatch(PRINTABLE_ASCII);
    expect(alert.sms).toMatch(GSM_BASIC_ASCII);
    expect(Buffer.byteLength(alert.sms)).toBeLessThanOrEqual(SMS_MAX_BYTES);
  });

  it('explains each finding with its fix, the clock, the permissions and the key age', () => {
    for (const finding of result.findings) {
      expect(alert.email).toContain(`- ${finding.code} (${finding.severity})`);
      expect(alert.email).toContain(`Fix: ${finding.remediation}`);
    }
    expect(alert.email).toContain("Clock: -1234 ms (our clock is behind the exchange's); the exchange accepts 30000 ms");
    expect(alert.email).toContain('round trip 48 ms');
    expect(alert.email).toContain('Permissions: view yes, trade unknown, transfer no, futures yes, IP-restricted unknown');
    expect(alert.email).toContain('key 80 days old; next rotation 2026-12-07T00:00:00.000Z; exchange-side expiry none reported');
    expect(alert.email).toContain('Checked at: 2026-11-27T10:00:00.000Z');
  });

  it('says how to run the check by hand, locally and as a dry-run invocation of this very function, and links the dashboard', () => {
    expect(alert.email).toContain('npm run key-health -- check --config my-keys.json --only coinbase-futures');
    expect(alert.email).toContain(
      `aws lambda invoke --region eu-west-1 --function-name KeyHealth-Checker-abc123 --cli-binary-format raw-in-base64-out --payload '{"keys":["coinbase-futures"],"dryRun":true}' report.json`,
    );
    expect(alert.email).toContain(
      'Dashboard: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/KeyHealth-key-health',
    );
  });

  it('says the clock was not measured, and names no placeholder function without context', () => {
    const bare = formatAlert(
      decisionOf(resultOf('k1', [['SECRET_UNREADABLE', 'Cannot read the secret "k1": ResourceNotFoundException.']])),
    );
    expect(bare.email).toContain('Clock: offset not measured');
    expect(bare.email).not.toContain('FUNCTION_NAME');
    expect(bare.email).not.toContain('Dashboard:');
    expect(bare.email).not.toContain('Checked at');
    expect(bare.subject).toBe('[CRITICAL] k1: SECRET_UNREADABLE');
  });
});

describe('formatAlert by kind', () => {
  const broken = resultOf('coinbase-futures', [
    ['AUTH_INVALID_SIGNATURE', 'Coinbase Exchange answered HTTP 401: {"message":"invalid signature"}'],
  ]);
  const skewed = resultOf('coinbase-futures', [['CLOCK_SKEW_REJECTED', 'request timestamp expired; offset +41000 ms']]);
  const drifting = resultOf('coinbase-futures', [['CLOCK_DRIFT', 'offset +16000 ms of 30000 ms']]);
  const healthy = resultOf('coinbase-futures', []);
  const wasDrifting = { status: 'warning' as const, codes: ['CLOCK_DRIFT'], since: SINCE };
  const wasBroken = { status: 'critical' as const, codes: ['AUTH_INVALID_KEY', 'ROTATION_OVERDUE'], since: SINCE };

  it.each<[string, AlertDecision, string, string, Status, string[]]>([
    [
      'a new problem',
      decisionOf(broken),
      '[CRITICAL] coinbase-futures: AUTH_INVALID_SIGNATURE',
      'key-health CRITICAL coinbase-futures: AUTH_INVALID_SIGNATURE',
      'critical',
      ['is CRITICAL: AUTH_INVALID_SIGNATURE.', 'Failing since 2026-11-27 09:55 UTC.'],
    ],
    [
      'an escalation',
      decisionOf(skewed, 'changed', { previous: wasDrifting }),
      '[CRITICAL, was WARNING] coinbase-futures: CLOCK_SKEW_REJECTED',
      'key-health CRITICAL (was WARNING) coinbase-futures: CLOCK_SKEW_REJECTED',
      'critical',
      [
        'escalated to CRITICAL: CLOCK_SKEW_REJECTED (was WARNING: CLOCK_DRIFT).',
        'Still failing since 2026-11-27 09:55 UTC, for 5 minutes.',
      ],
    ],
    [
      'an improvement, to whoever was paged',
      decisionOf(drifting, 'changed', { previous: wasBroken }),
      '[WARNING, was CRITICAL] coinbase-futures: CLOCK_DRIFT',
      'key-health WARNING (was CRITICAL) coinbase-futures: CLOCK_DRIFT',
      'critical',
      ['improved to WARNING: CLOCK_DRIFT (was CRITICAL: AUTH_INVALID_KEY, ROTATION_OVERDUE).'],
    ],
    [
      'a different problem at the same status',
      decisionOf(broken, 'changed', { previous: wasBroken }),
      '[CRITICAL, changed] coinbase-futures: AUTH_INVALID_SIGNATURE',
      'key-health CRITICAL changed coinbase-futures: AUTH_INVALID_SIGNATURE',
      'critical',
      ['is still CRITICAL, with a different problem: AUTH_INVALID_SIGNATURE (was CRITICAL: AUTH_INVALID_KEY, ROTATION_OVERDUE).'],
    ],
    [
      'a reminder',
      decisionOf(broken, 'reminder', {
        previous: { status: 'critical', codes: ['AUTH_INVALID_SIGNATURE'], since: SINCE },
        at: '2026-11-28T09:55:00.000Z',
      }),
      '[STILL CRITICAL] coinbase-futures: AUTH_INVALID_SIGNATURE',
      'key-health STILL CRITICAL coinbase-futures: AUTH_INVALID_SIGNATURE',
      'critical',
      [
        'is still CRITICAL: AUTH_INVALID_SIGNATURE.',
        'Still failing since 2026-11-27 09:55 UTC, for 24 hours.',
        'This reminder repeats every 24 hours until the key is fixed.',
      ],
    ],
    [
      'a recovery, with what cleared and how long it lasted',
      decisionOf(healthy, 'resolved', { previous: wasBroken, at: '2026-11-27T13:00:00.000Z' }),
      '[RESOLVED] coinbase-futures: AUTH_INVALID_KEY, ROTATION_OVERDUE',
      'key-health RESOLVED coinbase-futures: AUTH_INVALID_KEY, ROTATION_OVERDUE',
      'critical',
      [
        'is OK again. Cleared: AUTH_INVALID_KEY, ROTATION_OVERDUE (was CRITICAL).',
        'The problem lasted 3 hours 5 minutes (from 2026-11-27 09:55 UTC to 2026-11-27 13:00 UTC).',
        'What cleared\n- AUTH_INVALID_KEY: key unknown, deleted, or for another environment\n- ROTATION_OVERDUE: older than maxAgeDays',
      ],
    ],
  ])('words %s', (_label, decision, subject, sms, severity, sentences) => {
    const alert = formatAlert(decision, { repeatAfterHours: 24 });
    expect(alert.subject).toBe(subject);
    expect(alert.sms).toBe(sms);
    expect(alert.severity).toBe(severity);
    for (const sentence of sentences) expect(alert.email).toContain(sentence);
    expect(alert.email.startsWith('key-health: the key "coinbase-futures" (coinbase-exchange) ')).toBe(true);
  });

  it('lists each current finding with the exchange text and its fix, but no findings in a RESOLVED', () => {
    const email = formatAlert(decisionOf(broken)).email;
    expect(email).toContain(
      '- AUTH_INVALID_SIGNATURE (critical)\n  Coinbase Exchange answered HTTP 401: {"message":"invalid signature"}\n  Fix: The exchange rejected',
    );
    const resolved = formatAlert(decisionOf(healthy, 'resolved', { previous: wasBroken })).email;
    expect(resolved).not.toContain('What is wrong');
    expect(resolved).toContain('Permissions: ');
    expect(formatAlert(decisionOf(healthy, 'resolved', { previous: wasBroken })).codes).toEqual(wasBroken.codes);
  });

  it('says when a rotation installed the key, and only then', () => {
    const note = 'the secret changed since the last run (a rotation installed this key)';
    expect(formatAlert(decisionOf(broken, 'new', { rotated: true })).email).toContain(note);
    expect(formatAlert(decisionOf(broken)).email).not.toContain(note);
  });

  const longName = `ключ-${'€'.repeat(40)}-${'n'.repeat(80)}-鍵🔑`;
  it.each<[AlertKind, Status, Status]>([
    ['new', 'critical', 'ok'],
    ['changed', 'warning', 'critical'],
    ['changed', 'unknown', 'critical'],
    ['changed', 'critical', 'critical'],
    ['reminder', 'critical', 'critical'],
    ['resolved', 'ok', 'critical'],
  ])('keeps a %s message (%s, was %s) within the subject and SMS limits with a long multi-byte name', (kind, status, before) => {
    const result = { ...resultOf(longName, [['AUTH_INVALID_PASSPHRASE', 'Clé invalide — 認証に失敗しました 🔑']]), status };
    const alert = formatAlert(decisionOf(result, kind, { previous: { status: before, codes: ALL_CODES, since: SINCE } }));
    expect(alert.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(alert.subject).toMatch(PRINTABLE_ASCII);
    expect(Buffer.byteLength(alert.sms, 'utf8')).toBeLessThanOrEqual(SMS_MAX_BYTES);
    expect(alert.sms).toMatch(GSM_BASIC_ASCII);
    expect(alert.sms).toMatch(/ \?{2}/);
    expect(alert.email).toContain(longName);
  });
});
