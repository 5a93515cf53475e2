import { type Finding, type Status, worstStatus } from './findings';

/** What the key may do, as far as the exchange tells; `null` where it cannot tell. */
export interface Permissions {
  view: boolean | null;
  trade: boolean | null;
  transfer: boolean | null;
  futures: boolean | null;
  ipRestricted: boolean | null;
}

/** How the clock offset was measured. */
export type ClockSource = 'time-endpoint' | 'date-header' | 'response-body';

/** Our clock against the exchange's: positive `offsetMs` means we are ahead. */
export interface ClockReading {
  offsetMs: number | null;
  rttMs: number | null;
  toleranceMs: number | null;
  source: ClockSource | null;
}

/** Age, rotation and exchange-side expiry of a key. */
export interface Expiry {
  keyAgeDays: number | null;
  nextRotationAt: string | null;
  exchangeExpiresAt: string | null;
}

/** The result for one key (DESIGN.md §5). */
export interface KeyResult {
  name: string;
  exchange: string;
  status: Status;
  findings: Finding[];
  clock: ClockReading;
  permissions: Permissions;
  expiry: Expiry;
  latencyMs: number | null;
}

/** The whole report, as printed by `--json` and returned by the Lambda. */
export interface Report {
  checkedAt: string;
  status: Status;
  results: KeyResult[];
}

/** Permissions with nothing known. */
export const UNKNOWN_PERMISSIONS: Readonly<Permissions> = Object.freeze({
  view: null,
  trade: null,
  transfer: null,
  futures: null,
  ipRestricted: null,
});

/** A clock reading with nothing measured. */
export const UNKNOWN_CLOCK: Readonly<ClockReading> = Object.freeze({
  offsetMs: null,
  rttMs: null,
  toleranceMs: null,
  source: null,
});

/** Returns the status a list of findings adds up to. */
export function statusOf(findings: readonly Finding[]): Status {
  return worstStatus(findings.map((f) => f.severity));
}

/** Assembles the report; the overall status is the worst key status. */
export function buildReport(checkedAt: Date, results: KeyResult[]): Report {
  return {
    checkedAt: checkedAt.toISOString(),
    status: worstStatus(results.map((r) => r.status)),
    results,
  };
}

/** CLI exit code of a status, following the monitoring-plugin convention. */
export const EXIT_CODE: Record<Status, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };
