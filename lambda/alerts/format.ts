import type { FindingCode, Status } from '../findings';
import type { KeyResult, Permissions } from '../report';

/** SNS refuses subjects of 100 characters or more. */
export const SUBJECT_MAX_CHARS = 99;

/** One SMS segment: 140 bytes of text limited to the GSM-7 basic set, so any handset encoding keeps it whole. */
export const SMS_MAX_BYTES = 140;

/** Everything one SNS alert carries: the texts per protocol and the attributes subscriptions filter on. */
export interface Alert {
  readonly key: string;
  readonly exchange: string;
  /** The key's status; SMS subscriptions filter on it. */
  readonly severity: Status;
  /** Distinct finding codes, worst first. */
  readonly codes: readonly FindingCode[];
  /** Printable ASCII, at most {@link SUBJECT_MAX_CHARS}. */
  readonly subject: string;
  readonly email: string;
  /** GSM-7 basic characters only, at most {@link SMS_MAX_BYTES}. */
  readonly sms: string;
}

/** Facts about the run that the alert text mentions. */
export interface AlertContext {
  /** ISO time of the run. */
  readonly checkedAt?: string;
  /** The Lambda's name, for the manual-run command. */
  readonly functionName?: string;
}

/** Printable ASCII: what SNS accepts in a subject. */
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;
// GSM 03.38 basic table minus its non-ASCII letters; `[]{}|\^~` are extension characters (two septets) and '`' is absent.
const NOT_GSM_BASIC = /[^A-Za-z0-9 !"#$%&'()*+,\-./:;<=>?@_]/g;

/** Builds the alert for one key result: subject and SMS always within their limits, whatever the name or messages hold. */
export function formatAlert(result: KeyResult, context: AlertContext = {}): Alert {
  const codes = distinctCodes(result);
  return {
    key: result.name,
    exchange: result.exchange,
    severity: result.status,
    codes,
    subject: formatSubject(result.name, result.status, codes),
    email: formatEmail(result, codes, context),
    sms: formatSms(result.name, result.status, codes),
  };
}

/** `[CRITICAL] coinbase-futures: AUTH_INVALID_SIGNATURE`, shortened with `+N more` to stay under 100 characters. */
export function formatSubject(name: string, status: Status, codes: readonly string[]): string {
  return fitLine(`[${status.toUpperCase()}] `, ascii(name, NOT_PRINTABLE_ASCII), codes, SUBJECT_MAX_CHARS);
}

/** `key-health CRITICAL coinbase-futures: AUTH_INVALID_SIGNATURE`: one SMS segment, no URLs, no secrets. */
export function formatSms(name: string, status: Status, codes: readonly string[]): string {
  return fitLine(`key-health ${status.toUpperCase()} `, ascii(name, NOT_GSM_BASIC), codes, SMS_MAX_BYTES);
}

/** The full e-mail text: what is wrong and how to fix it, clock and permissions, and how to re-run the check by hand. */
export function formatEmail(result: KeyResult, codes: readonly string[], context: AlertContext = {}): string {
  const lines: string[] = [
    `key-health: the key "${result.name}" (${result.exchange}) is ${result.status.toUpperCase()}${codes.length ? `: ${codes.join(', ')}` : ''}.`,
    '',
    'What is wrong',
  ];
  if (result.findings.length === 0) lines.push('  Nothing: every check passed.');
  for (const finding of result.findings)
    lines.push(`- ${finding.code} (${finding.severity})`, `  ${finding.message}`, `  Fix: ${finding.remediation}`);
  lines.push('', 'Details', `  Clock: ${describeClock(result)}`, `  Permissions: ${describePermissions(result.permissions)}`);
  lines.push(`  Age and expiry: ${describeExpiry(result)}`);
  lines.push(`  Slowest round trip: ${result.latencyMs === null ? 'not measured' : `${result.latencyMs} ms`}`);
  if (context.checkedAt) lines.push(`  Checked at: ${context.checkedAt}`);
  const payload = JSON.stringify({ keys: [result.name], dryRun: true });
  lines.push(
    '',
    'Check it again by hand',
    '  From a checkout, with your config file:',
    `    npm run key-health -- check --config FILE --only ${result.name}`,
    '  On AWS (a dry run: no alert is sent):',
    `    aws lambda invoke --function-name ${context.functionName ?? 'FUNCTION_NAME'} --cli-binary-format raw-in-base64-out --payload '${payload}' report.json`,
  );
  return `${lines.join('\n')}\n`;
}

function distinctCodes(result: KeyResult): FindingCode[] {
  return [...new Set(result.findings.map((f) => f.code))];
}

function ascii(text: string, disallowed: RegExp): string {
  return text.replace(/\s+/g, ' ').trim().replace(disallowed, '?');
}

/** A name shortened to fit keeps at least this many characters, so the line still says which key. */
const MIN_NAME_CHARS = 20;

/**
 * `label + name + ": " + codes` within `maxChars`: drops codes from the end (`+N more`); when not
 * even the first code fits beside the whole name, shortens the name (to no fewer than
 * {@link MIN_NAME_CHARS}) rather than lose the codes; the bare count of problems is the last resort.
 */
function fitLine(label: string, name: string, codes: readonly string[], maxChars: number): string {
  const tails: string[] = [];
  for (let shown = codes.length; shown >= 1; shown--) {
    const rest = codes.length - shown;
    tails.push(`${codes.slice(0, shown).join(', ')}${rest > 0 ? ` +${rest} more` : ''}`);
  }
  const count = codes.length === 0 ? 'no findings' : `${codes.length} problem${codes.length === 1 ? '' : 's'}`;
  const roomFor = (tail: string) => maxChars - label.length - ': '.length - tail.length;
  const whole = [...tails, ...(codes.length === 0 ? [count] : [])].find((tail) => name.length <= roomFor(tail));
  if (whole !== undefined) return `${label}${name}: ${whole}`;
  const tail = tails.find((t) => roomFor(t) >= MIN_NAME_CHARS) ?? count;
  if (name.length <= roomFor(tail)) return `${label}${name}: ${tail}`;
  return `${label}${name.slice(0, Math.max(0, roomFor(tail) - 3))}...: ${tail}`;
}

function describeClock(result: KeyResult): string {
  const { offsetMs, rttMs, toleranceMs, source } = result.clock;
  if (offsetMs === null) return 'offset not measured';
  const direction = offsetMs >= 0 ? 'ahead of' : 'behind';
  const sign = offsetMs >= 0 ? '+' : '-';
  const parts = [`${sign}${Math.abs(offsetMs)} ms (our clock is ${direction} the exchange's)`];
  if (toleranceMs !== null) parts.push(`the exchange accepts ${toleranceMs} ms in that direction`);
  if (rttMs !== null) parts.push(`round trip ${rttMs} ms`);
  if (source !== null) parts.push(`measured from the ${source}`);
  return parts.join('; ');
}

const PERMISSION_LABELS: Record<keyof Permissions, string> = {
  view: 'view',
  trade: 'trade',
  transfer: 'transfer',
  futures: 'futures',
  ipRestricted: 'IP-restricted',
};

function describePermissions(permissions: Permissions): string {
  return (Object.keys(PERMISSION_LABELS) as (keyof Permissions)[])
    .map((field) => `${PERMISSION_LABELS[field]} ${permissions[field] === null ? 'unknown' : permissions[field] ? 'yes' : 'no'}`)
    .join(', ');
}

function describeExpiry(result: KeyResult): string {
  const { keyAgeDays, nextRotationAt, exchangeExpiresAt } = result.expiry;
  return [
    keyAgeDays === null ? 'key age unknown' : `key ${keyAgeDays} days old`,
    `next rotation ${nextRotationAt ?? 'unknown'}`,
    `exchange-side expiry ${exchangeExpiresAt ?? 'none reported'}`,
  ].join('; ');
}
