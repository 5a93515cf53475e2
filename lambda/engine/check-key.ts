import type { KeyConfig } from '../config';
import type { ExchangeAdapter } from '../exchanges/types';
import { type Finding, type FindingCode, makeFinding } from '../findings';
import type { HttpRuntime } from '../http/http-client';
import { type Expiry, type KeyResult, type Permissions, statusOf, UNKNOWN_PERMISSIONS } from '../report';
import { redact } from './classify';
import { assessClock, type ClockMeasurement, describeOffset, isOutsideWindow, toleranceFor } from './clock';
import { type CredentialCache, parseCredentialsCached } from './credential-cache';
import {
  type Attempt,
  firstDateMeasurement,
  type KeyContext,
  measureFrom,
  measureServerTime,
  originOf,
  sendProbe,
} from './exchange-requests';
import { assessExchangeExpiry } from './expiry';
import { assessPermissions, type PermissionEvidence } from './permissions';
import { readSecret, type SecretRead, stringValues } from './read-secret';
import { assessRotation } from './rotation';
import type { SecretSource } from './secrets';

/** How idempotent reads are retried. */
export interface RetryPolicy {
  readonly retries: number;
  readonly backoffMs: number;
  readonly maxRetryAfterMs: number;
}

/** The ports a key check runs on: HTTP and clock, the secret store, the run's deadline, a per-run clock cache. */
export interface CheckRuntime {
  readonly http: HttpRuntime;
  readonly secrets: SecretSource;
  readonly deadlineAtMs: number;
  readonly retry: RetryPolicy;
  /** Server-time measurements shared by all keys of a run on the same origin. */
  readonly clocks: Map<string, Promise<ClockMeasurement | null>>;
  /** Parsed credentials kept across the runs of one process (a warm Lambda container); absent: parse every time. */
  readonly credentialCache?: CredentialCache;
}

const AUTH_CODES: ReadonlySet<FindingCode> = new Set(['AUTH_INVALID_KEY', 'AUTH_INVALID_SIGNATURE', 'AUTH_INVALID_PASSPHRASE']);

/** Checks one key end to end; never throws: whatever goes wrong becomes a finding of this key. */
export async function checkKey<C>(key: KeyConfig, adapter: ExchangeAdapter<C>, runtime: CheckRuntime): Promise<KeyResult> {
  const secret = await readSecret(key, runtime.secrets);
  if (!secret.ok) return resultOf(key, [secret.finding]);
  const sensitive = new Set<string>([secret.loaded.text, ...stringValues(secret.fields)]);
  const base = { ...rotationPart(key, secret, runtime.http.now()) };
  const parsed = parseCredentialsCached(adapter, secret.loaded.text, secret.fields, runtime.credentialCache);
  if (!parsed.ok) return resultOf(key, [parsed.finding, ...base.findings], { expiry: base.expiry });
  for (const value of adapter.secretValues(parsed.credentials)) sensitive.add(value);
  const ctx: KeyContext<C> = { key, adapter, credentials: parsed.credentials, origin: originOf(key, adapter), runtime, sensitive };
  try {
    const result = await checkWithCredentials(ctx);
    const findings = [...result.findings, ...base.findings];
    return scrub(resultOf(key, findings, { ...result, expiry: { ...result.expiry, ...base.expiry } }), sensitive);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const findings = [makeFinding('UNEXPECTED_RESPONSE', `The check failed: ${message}`), ...base.findings];
    return scrub(resultOf(key, findings, { expiry: base.expiry }), sensitive);
  }
}

async function checkWithCredentials<C>(ctx: KeyContext<C>): Promise<KeyResult> {
  const { adapter, key } = ctx;
  const clockPromise = adapter.time ? measureServerTime(ctx) : null;
  let attempts = await Promise.all(adapter.probes(key).map((probe) => sendProbe(ctx, probe, 0)));
  attempts = await Promise.all(attempts.map((a) => (needsConfirmation(a) ? sendProbe(ctx, a.probe, 0) : a)));
  const measurement = clockPromise ? await clockPromise : firstDateMeasurement(attempts);

  const findings: Finding[] = [];
  const settled = await Promise.all(attempts.map((a) => diagnoseClock(ctx, a, measurement)));
  const seen = new Set<FindingCode>();
  const permissions: Permissions = { ...UNKNOWN_PERMISSIONS };
  const evidence: PermissionEvidence = {};
  let exchangeExpiresAt: string | null = null;
  for (const { attempt, extra } of settled) {
    for (const finding of extra) addOnce(findings, seen, finding);
    const { outcome, probe } = attempt;
    if (outcome.ok) {
      Object.assign(permissions, outcome.reading.permissions);
      for (const finding of outcome.reading.findings ?? []) addOnce(findings, seen, finding);
      exchangeExpiresAt = outcome.reading.exchangeExpiresAt ?? exchangeExpiresAt;
    } else if (outcome.code === 'PERMISSION_MISSING' && probe.deniedMeans) {
      Object.assign(permissions, probe.deniedMeans);
      for (const field of Object.keys(probe.deniedMeans) as (keyof Permissions)[]) evidence[field] = outcome.finding.message;
    } else addOnce(findings, seen, outcome.finding);
  }
  const expiring = assessExchangeExpiry(exchangeExpiresAt, key.rotation.warnDays, ctx.runtime.http.now(), adapter.displayName);
  for (const finding of expiring) addOnce(findings, seen, finding);
  const clock = assessClock(measurement, adapter.clockWindow, adapter.displayName);
  if (!seen.has('CLOCK_SKEW_REJECTED')) findings.push(...clock.findings);
  findings.push(...assessPermissions(permissions, key.expect, evidence));
  return resultOf(key, findings, {
    clock: clock.reading,
    permissions,
    expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt },
    latencyMs: slowestRoundTrip(attempts),
  });
}

/**
 * The one diagnostic retry: when the exchange rejected the timestamp, or rejected the
 * credentials while our clock is outside its window, sign once more with the exchange's time.
 * If that succeeds, the key is fine and the finding is the clock.
 */
async function diagnoseClock<C>(
  ctx: KeyContext<C>,
  attempt: Attempt,
  measurement: ClockMeasurement | null,
): Promise<{ attempt: Attempt; extra: Finding[] }> {
  const { outcome } = attempt;
  if (outcome.ok) return { attempt, extra: [] };
  const offset = ctx.adapter.time ? measurement : (measureFrom(attempt.response) ?? measurement);
  const window = ctx.adapter.clockWindow;
  const rejected = outcome.code === 'CLOCK_SKEW_REJECTED';
  const suspect = rejected || (AUTH_CODES.has(outcome.code) && offset !== null && isOutsideWindow(offset.offsetMs, window));
  if (!suspect) return { attempt, extra: [] };
  if (!offset) {
    const finding = makeFinding('CLOCK_SKEW_REJECTED', `${outcome.finding.message} The clock offset could not be measured.`);
    return { attempt: { ...attempt, outcome: { ...outcome, finding } }, extra: [] };
  }
  const measured = `Measured offset ${describeOffset(offset.offsetMs, ctx.adapter.displayName)}; it accepts ${toleranceFor(offset.offsetMs, window)} ms in that direction.`;
  const retry = await sendProbe(ctx, attempt.probe, offset.offsetMs);
  if (retry.outcome.ok) {
    const finding = makeFinding(
      'CLOCK_SKEW_REJECTED',
      `${outcome.finding.message} ${measured} Signed with the exchange's time the same request succeeds: the key works, the clock is wrong.`,
    );
    return { attempt: retry, extra: [finding] };
  }
  if (!rejected) return { attempt: retry, extra: [] };
  const finding = makeFinding('CLOCK_SKEW_REJECTED', `${outcome.finding.message} ${measured}`);
  return retry.outcome.code === 'CLOCK_SKEW_REJECTED' ? { attempt, extra: [finding] } : { attempt: retry, extra: [finding] };
}

function needsConfirmation(attempt: Attempt): boolean {
  return !attempt.outcome.ok && attempt.outcome.rule?.confirm === true;
}

function rotationPart(key: KeyConfig, secret: Extract<SecretRead, { ok: true }>, nowMs: number) {
  const { expiry, findings } = assessRotation({ secret: secret.loaded, createdAtField: secret.createdAtField }, key.rotation, nowMs);
  return { expiry, findings };
}

function resultOf(
  key: KeyConfig,
  findings: Finding[],
  parts: Partial<Omit<KeyResult, 'findings' | 'expiry'>> & { expiry?: Partial<Expiry> } = {},
): KeyResult {
  const ordered = [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return {
    name: key.name,
    exchange: key.exchange,
    status: statusOf(ordered),
    findings: ordered,
    clock: parts.clock ?? { offsetMs: null, rttMs: null, toleranceMs: null, source: null },
    permissions: parts.permissions ?? { ...UNKNOWN_PERMISSIONS },
    expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt: null, ...parts.expiry },
    latencyMs: parts.latencyMs ?? null,
  };
}

const SEVERITY_ORDER = { critical: 0, unknown: 1, warning: 2 } as const;

function addOnce(findings: Finding[], seen: Set<FindingCode>, finding: Finding): void {
  if (seen.has(finding.code)) return;
  seen.add(finding.code);
  findings.push(finding);
}

function slowestRoundTrip(attempts: readonly Attempt[]): number | null {
  const rtts = attempts.flatMap((a) => (a.response ? [a.response.receivedAtMs - a.response.sentAtMs] : []));
  return rtts.length ? Math.round(Math.max(...rtts)) : null;
}

/** Removes every sensitive value from the result's messages. */
function scrub(result: KeyResult, sensitive: ReadonlySet<string>): KeyResult {
  const secrets = [...sensitive];
  return { ...result, findings: result.findings.map((f) => ({ ...f, message: redact(f.message, secrets) })) };
}
