import { type Finding, rateFindings, type Status, sortFindings, worstStatus } from './findings';

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

/** The result for one key (the report contract: docs/contracts.md). */
export interface KeyResult {
  name: string;
  exchange: string;
  status: Status;
  findings: Finding[];
  clock: ClockReading;
  permissions: Permissions;
  expiry: Expiry;
  latencyMs: number | null;
  /** What the check could not observe, and facts worth knowing that are not problems; never changes the status. */
  notes: string[];
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

/** The parts of a key result besides its findings, each defaulting to "not known". */
export type KeyResultParts = Partial<Omit<KeyResult, 'name' | 'exchange' | 'status' | 'findings' | 'expiry'>> & {
  readonly expiry?: Partial<Expiry>;
};

/** A key's result: findings worst first, the status they add up to, and `null` for whatever was not observed. */
export function buildKeyResult(
  key: { name: string; exchange: string },
  findings: readonly Finding[],
  parts: KeyResultParts = {},
): KeyResult {
  const ordered = sortFindings(findings);
  return {
    name: key.name,
    exchange: key.exchange,
    status: rateFindings(ordered),
    findings: ordered,
    clock: parts.clock ?? { ...UNKNOWN_CLOCK },
    permissions: parts.permissions ?? { ...UNKNOWN_PERMISSIONS },
    expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt: null, ...parts.expiry },
    latencyMs: parts.latencyMs ?? null,
    notes: [...(parts.notes ?? [])],
  };
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
