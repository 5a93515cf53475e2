import { compareStatus, FINDING_CODES, type FindingCode, makeFinding, rateFindings, type Status, worstStatus } from '../../lambda/findings';
import { buildReport, EXIT_CODE, type KeyResult } from '../../lambda/report';

/** The severity of every code in the report contract (docs/contracts.md): pinned here so a change is deliberate. */
const CONTRACT_SEVERITIES: Record<FindingCode, string> = {
  AUTH_INVALID_KEY: 'critical',
  AUTH_INVALID_SIGNATURE: 'critical',
  AUTH_INVALID_PASSPHRASE: 'critical',
  KEY_EXPIRED: 'critical',
  KEY_EXPIRING: 'warning',
  PERMISSION_MISSING: 'critical',
  PERMISSION_EXCESSIVE: 'warning',
  IP_NOT_ALLOWED: 'critical',
  IP_UNRESTRICTED: 'warning',
  CLOCK_SKEW_REJECTED: 'critical',
  CLOCK_DRIFT: 'warning',
  ROTATION_OVERDUE: 'critical',
  ROTATION_DUE: 'warning',
  SECRET_UNREADABLE: 'critical',
  SETUP_INCOMPLETE: 'unknown',
  SECRET_STORE_UNAVAILABLE: 'unknown',
  SECRET_INVALID: 'critical',
  LOCATION_BLOCKED: 'unknown',
  RATE_LIMITED: 'unknown',
  EXCHANGE_UNAVAILABLE: 'unknown',
  UNEXPECTED_RESPONSE: 'unknown',
};

const CODES = Object.keys(FINDING_CODES) as FindingCode[];

describe('FINDING_CODES', () => {
  it('holds exactly the codes of the report contract', () => {
    expect([...CODES].sort()).toEqual(Object.keys(CONTRACT_SEVERITIES).sort());
  });

  it.each(CODES)('gives %s its contract severity and a remediation', (code) => {
    const entry = FINDING_CODES[code];
    expect(entry.severity).toBe(CONTRACT_SEVERITIES[code]);
    expect(entry.meaning.length).toBeGreaterThan(10);
    expect(entry.remediation.length).toBeGreaterThan(30);
  });

  it('gives every code its own remediation', () => {
    expect(new Set(CODES.map((code) => FINDING_CODES[code].remediation)).size).toBe(CODES.length);
  });
});

describe('makeFinding', () => {
  it('fills in the fixed severity and remediation of the code', () => {
    expect(makeFinding('CLOCK_DRIFT', 'drifting')).toEqual({
      code: 'CLOCK_DRIFT',
      severity: 'warning',
      message: 'drifting',
      remediation: FINDING_CODES.CLOCK_DRIFT.remediation,
    });
  });
});

describe('worstStatus', () => {
  it.each<[Status[], Status]>([
    [[], 'ok'],
    [['ok'], 'ok'],
    [['ok', 'warning'], 'warning'],
    [['warning', 'ok'], 'warning'],
    [['warning', 'unknown'], 'unknown'],
    [['unknown', 'warning'], 'unknown'],
    [['unknown', 'critical', 'warning'], 'critical'],
    [['critical', 'ok'], 'critical'],
  ])('ranks %j as %s', (statuses, worst) => {
    expect(worstStatus(statuses)).toBe(worst);
  });

  it('accepts any iterable', () => {
    expect(worstStatus(new Set<Status>(['warning', 'unknown']))).toBe('unknown');
  });
});

describe('compareStatus', () => {
  it('orders ok < warning < unknown < critical', () => {
    const shuffled: Status[] = ['critical', 'ok', 'unknown', 'warning'];
    expect([...shuffled].sort(compareStatus)).toEqual(['ok', 'warning', 'unknown', 'critical']);
    expect(compareStatus('warning', 'warning')).toBe(0);
  });
});

describe('report', () => {
  it('gives a key the status of its worst finding', () => {
    expect(rateFindings([])).toBe('ok');
    expect(rateFindings([makeFinding('ROTATION_DUE', 'x'), makeFinding('RATE_LIMITED', 'y')])).toBe('unknown');
  });

  it('gives the report the worst key status and an ISO checkedAt', () => {
    const result = (status: KeyResult['status']) => ({ status }) as KeyResult;
    const report = buildReport(new Date(Date.UTC(2026, 10, 27, 10)), [result('warning'), result('critical'), result('ok')]);
    expect(report.checkedAt).toBe('2026-11-27T10:00:00.000Z');
    expect(report.status).toBe('critical');
  });

  it('maps statuses to the monitoring-plugin exit codes', () => {
    expect(EXIT_CODE).toEqual({ ok: 0, warning: 1, critical: 2, unknown: 3 });
  });
});
