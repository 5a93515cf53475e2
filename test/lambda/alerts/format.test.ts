import { formatAlert, formatSms, formatSubject, SMS_MAX_BYTES, SUBJECT_MAX_CHARS } from '../../../lambda/alerts/format';
import { type FindingCode, makeFinding } from '../../../lambda/findings';
import { type KeyResult, statusOf, UNKNOWN_CLOCK, UNKNOWN_PERMISSIONS } from '../../../lambda/report';

const GSM_BASIC_ASCII = /^[A-Za-z0-9 !"#$%&'()*+,\-./:;<=>?@_]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function resultOf(name: string, findings: Array<[FindingCode, string]>, parts: Partial<KeyResult> = {}): KeyResult {
  const made = findings.map(([code, message]) => makeFinding(code, message));
  return {
    name,
    exchange: 'coinbase-exchange',
    status: statusOf(made),
    findings: made,
    clock: { ...UNKNOWN_CLOCK },
    permissions: { ...UNKNOWN_PERMISSIONS },
    expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt: null },
    latencyMs: null,
    ...parts,
  };
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
  it('names the status, the key and the code', () => {
    expect(formatSubject('coinbase-futures', 'critical', ['AUTH_INVALID_SIGNATURE'])).toBe(
      '[CRITICAL] coinbase-futures: AUTH_INVALID_SIGNATURE',
    );
  });

  it('says "no findings" for a key without codes', () => {
    expect(formatSubject('k1', 'ok', [])).toBe('[OK] k1: no findings');
  });

  it('keeps a subject of exactly 99 characters whole and shortens one of 100', () => {
    const label = '[CRITICAL] ';
    const code = 'AUTH_INVALID_SIGNATURE';
    const at = 'k'.repeat(SUBJECT_MAX_CHARS - label.length - 2 - code.length);
    expect(formatSubject(at, 'critical', [code])).toHaveLength(SUBJECT_MAX_CHARS);
    expect(formatSubject(at, 'critical', [code])).toBe(`${label}${at}: ${code}`);
    const past = `${at}k`;
    const shortened = formatSubject(past, 'critical', [code]);
    expect(shortened.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(shortened).toBe(`${label}${past.slice(0, at.length - 3)}...: ${code}`);
  });

  it.each([
    ['a 64-character name and six codes', 'n'.repeat(64), ALL_CODES],
    ['a 20-character name and six codes', 'coinbase-futures-001', ALL_CODES],
    ['a 300-character name beyond the config limit', 'x'.repeat(300), ALL_CODES],
    ['a name with line breaks and non-ASCII letters', 'bad\nname-ünïcødé-€', ['KEY_EXPIRED']],
  ])('stays under 100 printable ASCII characters with %s', (_label, name, codes) => {
    const subject = formatSubject(name, 'critical', codes);
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(subject).toMatch(PRINTABLE_ASCII);
    expect(subject.startsWith('[CRITICAL] ')).toBe(true);
  });

  it('lists the codes that fit and counts the rest as "+N more"', () => {
    const subject = formatSubject('coinbase-futures-001', 'critical', ALL_CODES);
    expect(subject).toBe('[CRITICAL] coinbase-futures-001: AUTH_INVALID_SIGNATURE, PERMISSION_MISSING, IP_NOT_ALLOWED +3 more');
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
  });

  it('shortens a long name rather than drop the codes', () => {
    const subject = formatSubject('x'.repeat(300), 'unknown', ['RATE_LIMITED', 'EXCHANGE_UNAVAILABLE']);
    expect(subject).toMatch(/^\[UNKNOWN\] x{20,}\.\.\.: RATE_LIMITED, EXCHANGE_UNAVAILABLE$/);
    expect(subject).toHaveLength(SUBJECT_MAX_CHARS);
  });

  it('keeps the longest code beside the longest name the config allows', () => {
    const subject = formatSubject('n'.repeat(64), 'critical', ['AUTH_INVALID_PASSPHRASE', 'ROTATION_DUE']);
    expect(subject).toMatch(/^\[CRITICAL\] n{20,}\.\.\.: AUTH_INVALID_PASSPHRASE/);
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
  });
});

describe('formatSms', () => {
  it('is one short line without brackets', () => {
    expect(formatSms('coinbase-futures', 'critical', ['AUTH_INVALID_SIGNATURE'])).toBe(
      'key-health CRITICAL coinbase-futures: AUTH_INVALID_SIGNATURE',
    );
  });

  it('keeps a text of exactly 140 bytes whole and shortens one of 141', () => {
    const label = 'key-health CRITICAL ';
    const codes = ['AUTH_INVALID_SIGNATURE', 'ROTATION_OVERDUE'];
    const tail = codes.join(', ');
    const at = 'k'.repeat(SMS_MAX_BYTES - label.length - 2 - tail.length);
    expect(formatSms(at, 'critical', codes)).toBe(`${label}${at}: ${tail}`);
    expect(Buffer.byteLength(formatSms(at, 'critical', codes))).toBe(SMS_MAX_BYTES);
    expect(formatSms(`${at}k`, 'critical', codes)).toBe(`${label}${at}k: AUTH_INVALID_SIGNATURE +1 more`);
  });

  it.each([
    ['a 64-character name and six codes', 'n'.repeat(64), ALL_CODES],
    ['a 300-character name', 'x'.repeat(300), ALL_CODES],
    ['non-GSM characters in the name', 'key[1]{a}|b~c^d`e\\f€ü中', ['KEY_EXPIRED']],
  ])('fits one segment of GSM basic characters with %s', (_label, name, codes) => {
    const sms = formatSms(name, 'critical', codes);
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
  const alert = formatAlert(result, { checkedAt: '2026-11-27T10:00:00.000Z', functionName: 'KeyHealth-Checker-abc123' });

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

  it('says how to run the check by hand, locally and as a dry-run invocation', () => {
    expect(alert.email).toContain('npm run key-health -- check --config FILE --only coinbase-futures');
    expect(alert.email).toContain(
      `aws lambda invoke --function-name KeyHealth-Checker-abc123 --cli-binary-format raw-in-base64-out --payload '{"keys":["coinbase-futures"],"dryRun":true}' report.json`,
    );
  });

  it('says the clock was not measured and names a placeholder function without context', () => {
    const bare = formatAlert(resultOf('k1', [['SECRET_UNREADABLE', 'Cannot read the secret "k1": ResourceNotFoundException.']]));
    expect(bare.email).toContain('Clock: offset not measured');
    expect(bare.email).toContain('--function-name FUNCTION_NAME');
    expect(bare.email).not.toContain('Checked at');
    expect(bare.subject).toBe('[CRITICAL] k1: SECRET_UNREADABLE');
  });
});
