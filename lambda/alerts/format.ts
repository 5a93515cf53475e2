import { describeDuration, plural } from '../duration';
import { FINDING_CODES, type FindingCode, type Status, worstStatus } from '../findings';
import type { KeyResult, Permissions } from '../report';
import { type AlertDecision, isEscalation } from './decide';

/** SNS refuses subjects of 100 characters or more. */
export const SUBJECT_MAX_CHARS = 99;

/** One SMS segment: 140 bytes of text limited to the GSM-7 basic set, so any handset encoding keeps it whole. */
export const SMS_MAX_BYTES = 140;

/** Everything one SNS alert carries: the texts per protocol and the attributes subscriptions filter on. */
export interface Alert {
  readonly key: string;
  readonly exchange: string;
  /**
   * Who should hear of it, as a status: the key's status, but the worse of before and now for a
   * change and the status that cleared for a RESOLVED, so whoever was paged hears the all-clear.
   */
  readonly severity: Status;
  /** Distinct finding codes, worst first; for a RESOLVED the codes that cleared. */
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
  /** The Lambda's region, for the manual-run command and the dashboard link. */
  readonly region?: string;
  /** The CloudWatch dashboard of the keys, linked from the e-mail. */
  readonly dashboardName?: string;
  /** The reminder interval, for the sentence that says when the next reminder comes. */
  readonly repeatAfterHours?: number;
}

/** Printable ASCII: what SNS accepts in a subject. */
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;
// GSM 03.38 basic table minus its non-ASCII letters; `[]{}|\^~` are extension characters (two septets) and '`' is absent.
const NOT_GSM_BASIC = /[^A-Za-z0-9 !"#$%&'()*+,\-./:;<=>?@_]/g;

/** Builds the message for one decision: subject and SMS always within their limits, whatever the name or messages hold. */
export function formatAlert(decision: AlertDecision, context: AlertContext = {}): Alert {
  const { result } = decision;
  return {
    key: result.name,
    exchange: result.exchange,
    severity: alertSeverity(decision),
    codes: alertCodes(decision),
    subject: formatSubject(decision),
    email: formatEmail(decision, context),
    sms: formatSms(decision),
  };
}

/** `[CRITICAL] coinbase-futures: AUTH_INVALID_SIGNATURE` (or `[RESOLVED] …`, `[STILL CRITICAL] …`), under 100 characters. */
export function formatSubject(decision: AlertDecision): string {
  const label = `[${headline(decision, ', ')}] `;
  return fitLine(label, ascii(decision.result.name, NOT_PRINTABLE_ASCII), alertCodes(decision), SUBJECT_MAX_CHARS);
}

/** `key-health CRITICAL coinbase-futures: AUTH_INVALID_SIGNATURE`: one SMS segment, no URLs, no secrets. */
export function formatSms(decision: AlertDecision): string {
  const label = `key-health ${headline(decision, ' ')} `;
  return fitLine(label, ascii(decision.result.name, NOT_GSM_BASIC), alertCodes(decision), SMS_MAX_BYTES);
}

/**
 * The full e-mail text: what happened (new, changed, still failing, resolved) and since when, each
 * finding with the exchange's own words and its fix, clock and permissions, a rotation that changed
 * the key, and how to re-run the check by hand.
 */
export function formatEmail(decision: AlertDecision, context: AlertContext = {}): string {
  const { result } = decision;
  const lines: string[] = [`key-health: the key "${result.name}" (${result.exchange}) ${summary(decision)}`, timeline(decision)];
  if (decision.kind === 'reminder' && context.repeatAfterHours !== undefined)
    lines.push(`This reminder repeats every ${plural(context.repeatAfterHours, 'hour')} until the key is fixed.`);
  if (decision.rotated) lines.push('Note: the secret changed since the last run (a rotation installed this key).');
  lines.push('');
  if (decision.kind === 'resolved') {
    lines.push('What cleared');
    for (const code of decision.previous.codes) lines.push(`- ${code}: ${meaningOf(code)}`);
  } else {
    lines.push('What is wrong');
    for (const finding of result.findings)
      lines.push(`- ${finding.code} (${finding.severity})`, `  ${finding.message}`, `  Fix: ${finding.remediation}`);
  }
  lines.push('', 'Details', `  Clock: ${describeClock(result)}`, `  Permissions: ${describePermissions(result.permissions)}`);
  lines.push(`  Age and expiry: ${describeExpiry(result)}`);
  lines.push(`  The check took: ${result.latencyMs === null ? 'not measured' : `${result.latencyMs} ms`}`);
  for (const note of result.notes) lines.push(`  Note: ${note}`);
  if (context.checkedAt) lines.push(`  Checked at: ${context.checkedAt}`);
  const payload = JSON.stringify({ keys: [result.name], dryRun: true });
  const region = context.region ? ` --region ${context.region}` : '';
  lines.push('', 'Check it again by hand', '  From a checkout, with your config file:');
  lines.push(`    npm run key-health -- check --config my-keys.json --only ${result.name}`);
  if (context.functionName)
    lines.push(
      '  On AWS (a dry run: no alert is sent, the report lands in report.json):',
      `    aws lambda invoke${region} --function-name ${context.functionName} --cli-binary-format raw-in-base64-out --payload '${payload}' report.json`,
    );
  if (context.dashboardName && context.region)
    lines.push(
      '',
      `Dashboard: https://${context.region}.console.aws.amazon.com/cloudwatch/home?region=${context.region}#dashboards/dashboard/${context.dashboardName}`,
    );
  return `${lines.join('\n')}\n`;
}

/** The words in brackets of the subject (and after `key-health` in the SMS). */
function headline(decision: AlertDecision, separator: string): string {
  const now = decision.result.status.toUpperCase();
  const before = decision.previous.status.toUpperCase();
  switch (decision.kind) {
    case 'new':
      return now;
    case 'reminder':
      return `STILL ${now}`;
    case 'resolved':
      return 'RESOLVED';
    case 'changed':
      if (decision.result.status === decision.previous.status) return `${now}${separator}changed`;
      return separator === ' ' ? `${now} (was ${before})` : `${now}${separator}was ${before}`;
  }
}

function summary(decision: AlertDecision): string {
  const status = decision.result.status.toUpperCase();
  const codes = currentCodes(decision.result).join(', ');
  const before = `${decision.previous.status.toUpperCase()}: ${decision.previous.codes.join(', ')}`;
  switch (decision.kind) {
    case 'new':
      return `is ${status}: ${codes}.`;
    case 'reminder':
      return `is still ${status}: ${codes}.`;
    case 'resolved':
      return `is OK again. Cleared: ${decision.previous.codes.join(', ')} (was ${decision.previous.status.toUpperCase()}).`;
    case 'changed':
      if (decision.result.status === decision.previous.status)
        return `is still ${status}, with a different problem: ${codes} (was ${before}).`;
      return `${isEscalation(decision) ? 'escalated' : 'improved'} to ${status}: ${codes} (was ${before}).`;
  }
}

function timeline(decision: AlertDecision): string {
  const since = describeTime(decision.since);
  const lasted = describeDuration(Date.parse(decision.at) - Date.parse(decision.since));
  switch (decision.kind) {
    case 'new':
      return `Failing since ${since}.`;
    case 'resolved':
      return `The problem lasted ${lasted} (from ${since} to ${describeTime(decision.at)}).`;
    default:
      return `Still failing since ${since}, for ${lasted}.`;
  }
}

function alertCodes(decision: AlertDecision): FindingCode[] {
  return decision.kind === 'resolved' ? (decision.previous.codes as FindingCode[]) : currentCodes(decision.result);
}

function alertSeverity(decision: AlertDecision): Status {
  if (decision.kind === 'resolved') return decision.previous.status;
  if (decision.kind === 'changed') return worstStatus([decision.result.status, decision.previous.status]);
  return decision.result.status;
}

function meaningOf(code: string): string {
  return code in FINDING_CODES ? FINDING_CODES[code as FindingCode].meaning : 'no longer reported';
}

/** `2026-11-27 10:05 UTC`. */
function describeTime(iso: string): string {
  return Number.isNaN(Date.parse(iso)) ? iso : `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function currentCodes(result: KeyResult): FindingCode[] {
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
