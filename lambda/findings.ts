/**
 * Every status, best first: `ok` < `warning` < `unknown` < `critical` (unknown outranks warning: we
 * could not tell whether the key works). The one place this order is written.
 */
export const STATUSES = ['ok', 'warning', 'unknown', 'critical'] as const;

/** Status of a key or of a whole run. */
export type Status = (typeof STATUSES)[number];

/** Severity of one finding; a key's status is the worst severity among its findings. */
export type Severity = Exclude<Status, 'ok'>;

/** Every severity, mildest first. */
export const SEVERITIES: readonly Severity[] = STATUSES.filter((s): s is Severity => s !== 'ok');

/** Every finding code with its severity and the one remedy text used everywhere (docs/contracts.md). */
export const FINDING_CODES = {
  AUTH_INVALID_KEY: {
    severity: 'critical',
    meaning: 'key unknown, deleted, or for another environment',
    remediation:
      'Check that the API key in the secret is the one shown on the exchange, that it was not deleted, and that it belongs to this environment (production vs sandbox). Create a new key if it is gone.',
  },
  AUTH_INVALID_SIGNATURE: {
    severity: 'critical',
    meaning: 'secret wrong or malformed',
    remediation:
      'The exchange rejected the signature: the apiSecret does not belong to this apiKey or was stored altered. Paste the secret again exactly as the exchange showed it (PEM newlines included).',
  },
  AUTH_INVALID_PASSPHRASE: {
    severity: 'critical',
    meaning: 'passphrase wrong',
    remediation:
      'Store the passphrase that was chosen when the key was created; it cannot be recovered, so create a new key if it is lost.',
  },
  KEY_EXPIRED: {
    severity: 'critical',
    meaning: 'exchange says expired, frozen, disabled (incl. retired legacy key types)',
    remediation: 'Create a new API key on the exchange, store it in the secret, and make sure the bots reload it.',
  },
  KEY_EXPIRING: {
    severity: 'warning',
    meaning: 'exchange-side expiry within warnDays',
    remediation: 'Renew or replace the key before the exchange expires it (binding it to IP addresses avoids expiry on some exchanges).',
  },
  PERMISSION_MISSING: {
    severity: 'critical',
    meaning: 'a needed scope is absent (e.g. futures, view) or the futures account is not enabled',
    remediation:
      'Enable the missing permission on the key (or open the futures account), or change `expect` if the key is not meant to have it.',
  },
  PERMISSION_EXCESSIVE: {
    severity: 'warning',
    meaning: 'key can do more than expect allows (withdraw/transfer, trade)',
    remediation:
      'Remove the extra permission from the key (a trading key should not be able to move funds out), or set `expect` to allow it.',
  },
  IP_NOT_ALLOWED: {
    severity: 'critical',
    meaning: 'the exchange rejected our source IP',
    remediation:
      "Add the checker's egress IP to the key's allow-list (on AWS: use the static-egress option), or check from an allowed host.",
  },
  IP_UNRESTRICTED: {
    severity: 'warning',
    meaning: 'key has no IP whitelist while expect.ipRestricted is true',
    remediation: 'Bind the key to the IP addresses of your trading hosts on the exchange.',
  },
  CLOCK_SKEW_REJECTED: {
    severity: 'critical',
    meaning: 'the exchange rejected the timestamp',
    remediation:
      'Synchronise the clock of the host that signs requests (chrony/NTP); the key itself works when signed with the right time.',
  },
  CLOCK_DRIFT: {
    severity: 'warning',
    meaning: "measured offset uses more than half of the exchange's tolerance",
    remediation: 'Synchronise the clock (chrony/NTP) before the drift grows past what the exchange accepts.',
  },
  ROTATION_OVERDUE: {
    severity: 'critical',
    meaning: 'older than maxAgeDays, or Secrets Manager rotation is past due / failed',
    remediation:
      'Rotate the key now: create a new one on the exchange, store it as the new secret version, then delete the old key. If rotation is automatic, check the rotation function’s logs.',
  },
  ROTATION_DUE: {
    severity: 'warning',
    meaning: 'rotation due within warnDays',
    remediation: 'Plan the rotation: the key will be replaced soon; make sure the bots reload it.',
  },
  SECRET_UNREADABLE: {
    severity: 'critical',
    meaning: 'secret missing, access denied, KMS failure',
    remediation:
      'Check that the secret exists under that name in this account and region, and that the checker may read it (secretsmanager:GetSecretValue and kms:Decrypt for a customer key).',
  },
  SETUP_INCOMPLETE: {
    severity: 'unknown',
    meaning: 'the checking host could not ask: no AWS region or credentials, a credentials file or variable missing',
    remediation:
      'Finish the setup of the host that runs the check (the message names what is missing); this says nothing about the key itself.',
  },
  SECRET_STORE_UNAVAILABLE: {
    severity: 'unknown',
    meaning: 'the secret store could not be asked this run: a server error, a timeout, no connection',
    remediation:
      'Usually passes on its own; the next run tries again. If it persists, check the AWS Health Dashboard for Secrets Manager in this region and the network path (a VPC endpoint or NAT gateway).',
  },
  SECRET_INVALID: {
    severity: 'critical',
    meaning: 'not JSON, missing or malformed field',
    remediation: 'Fix the named field in the secret; see the README for the secret format of this exchange.',
  },
  LOCATION_BLOCKED: {
    severity: 'unknown',
    meaning: 'HTTP 451 / geo-block: says nothing about the key',
    remediation: 'The exchange refuses service to the region the check runs from; run the check from a permitted region.',
  },
  RATE_LIMITED: {
    severity: 'unknown',
    meaning: '429/418 or exchange rate-limit code',
    remediation: 'Wait and let the next run try again; if it persists, run the check less often or lower the bots’ request rate.',
  },
  EXCHANGE_UNAVAILABLE: {
    severity: 'unknown',
    meaning: 'timeout, connection error, 5xx, maintenance',
    remediation: 'Usually passes on its own; check the exchange’s status page and the network path if it persists.',
  },
  UNEXPECTED_RESPONSE: {
    severity: 'unknown',
    meaning: 'anything the adapter cannot classify',
    remediation: 'The exchange answered something key-health does not recognise; if it persists, report it with the status and excerpt.',
  },
} as const satisfies Record<string, { severity: Severity; meaning: string; remediation: string }>;

/** One of the stable finding codes. */
export type FindingCode = keyof typeof FINDING_CODES;

/** A problem found with one key, as it appears in the report. */
export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly message: string;
  readonly remediation: string;
}

/** Builds a finding with the code's fixed severity and its remediation, or a remedy that fits this case better. */
export function makeFinding(code: FindingCode, message: string, remediation: string = FINDING_CODES[code].remediation): Finding {
  return { code, severity: FINDING_CODES[code].severity, message, remediation };
}

/** A status's rank: 0 for `ok` up to 3 for `critical`; what the metrics graph as the status level. */
export function rankStatus(status: Status): number {
  return STATUSES.indexOf(status);
}

/** Returns the worst of the given statuses (`ok` for none). */
export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'ok';
  for (const status of statuses) if (rankStatus(status) > rankStatus(worst)) worst = status;
  return worst;
}

/** Compares statuses by rank: negative when `a` is better than `b`. */
export function compareStatus(a: Status, b: Status): number {
  return rankStatus(a) - rankStatus(b);
}

/** The status a list of findings adds up to: the worst severity among them, `ok` for none. */
export function rateFindings(findings: readonly Finding[]): Status {
  return worstStatus(findings.map((f) => f.severity));
}

/** Findings ordered worst first (stable among equals), as reports and alerts list them. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => compareStatus(b.severity, a.severity));
}
