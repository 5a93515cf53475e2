import type { KeyConfig } from '../config';
import { HeaderValueError, messageOf } from '../errors';
import type { ExchangeAdapter } from '../exchanges/types';
import { type Finding, type FindingCode, makeFinding } from '../findings';
import { buildKeyResult, type KeyResult, type KeyResultParts, type Permissions, UNKNOWN_PERMISSIONS } from '../report';
import { redact } from './classify';
import { assessClock, type ClockMeasurement, describeOffset, isOutsideWindow, toleranceFor } from './clock-offset';
import { parseCredentialsCached } from './credential-cache';
import {
  type Attempt,
  findAnswerMeasurement,
  type KeyContext,
  measureFromResponse,
  measureServerTime,
  resolveOrigin,
  sendProbe,
} from './exchange-requests';
import { assessExchangeExpiry } from './expiry';
import { assessPermissions, type PermissionEvidence } from './permissions';
import { listStringValues, readSecret } from './read-secret';
import { assessRotation, type RotationFacts } from './rotation';
import type { CheckRuntime } from './runtime';

/** One key's result with the facts later steps need (the alert step's rotation note needs the secret version). */
export interface CheckedKey {
  readonly result: KeyResult;
  /** The secret version the key was checked with, where the store has versions. */
  readonly secretVersionId: string | null;
  /** The run's deadline came before this key's check finished: the result says nothing about the key, so its alert state stays. */
  readonly deadlineReached?: boolean;
}

const AUTH_CODES: ReadonlySet<FindingCode> = new Set(['AUTH_INVALID_KEY', 'AUTH_INVALID_SIGNATURE', 'AUTH_INVALID_PASSPHRASE']);

/**
 * Checks one key end to end and never throws: whatever goes wrong, a bug of ours included, becomes a
 * finding of this key, with every secret value and signature scrubbed from its messages.
 */
export async function checkKey<C>(key: KeyConfig, adapter: ExchangeAdapter<C>, runtime: CheckRuntime): Promise<CheckedKey> {
  const sensitive = new Set<string>();
  let secretVersionId: string | null = null;
  let facts: RotationFacts | undefined;
  let fields: Record<string, unknown> = {};
  const finish = (findings: readonly Finding[], parts: KeyResultParts = {}, exchangeCreatedAt: Date | null = null): CheckedKey => {
    // Rotation is judged last, so that a creation date the exchange reports counts.
    const rotation = facts ? assessRotation({ ...facts, exchangeCreatedAt }, key.rotation, runtime.clock.now()) : undefined;
    const result = buildKeyResult(key, [...findings, ...(rotation?.findings ?? [])], {
      ...parts,
      expiry: { ...parts.expiry, ...rotation?.expiry },
      notes: [...(parts.notes ?? []), ...(rotation?.notes ?? [])],
    });
    return { result: scrub(result, sensitive), secretVersionId };
  };
  try {
    const secret = await readSecret(key, runtime.secrets);
    if (!secret.ok) return finish([secret.finding]);
    secretVersionId = secret.loaded.versionId ?? null;
    fields = secret.fields;
    for (const value of [secret.loaded.text, ...listStringValues(secret.fields)]) sensitive.add(value);
    facts = { secret: secret.loaded, createdAtField: secret.createdAtField };
    const parsed = parseCredentialsCached(adapter, secret.loaded.text, secret.fields, runtime.credentialCache);
    if (!parsed.ok) return finish([parsed.finding]);
    for (const value of adapter.secretValues(parsed.credentials)) sensitive.add(value);
    const origin = resolveOrigin(key, adapter);
    const observed = await checkWithCredentials({ key, adapter, credentials: parsed.credentials, origin, runtime, sensitive });
    const notes = [...(parsed.notes ?? []), ...(observed.parts.notes ?? [])];
    return finish(observed.findings, { ...observed.parts, notes }, observed.keyCreatedAt);
  } catch (error) {
    if (error instanceof HeaderValueError) return finish([makeFinding('SECRET_INVALID', describeHeaderValueError(error, fields))]);
    return finish([makeFinding('UNEXPECTED_RESPONSE', `The check failed: ${messageOf(error)}`)]);
  }
}

/** What the exchange's answers show, before the rotation findings join them. */
async function checkWithCredentials<C>(
  ctx: KeyContext<C>,
): Promise<{ findings: Finding[]; parts: KeyResultParts; keyCreatedAt: Date | null }> {
  const { adapter, key } = ctx;
  const startedAtMs = ctx.runtime.clock.now();
  const clockPromise = adapter.time ? measureServerTime(ctx) : null;
  let attempts = await Promise.all(
    adapter.probes({ futures: key.expect.futures, sandbox: key.sandbox }).map((probe) => sendProbe(ctx, probe, 0)),
  );
  attempts = await Promise.all(attempts.map((a) => (needsConfirmation(a) ? sendProbe(ctx, a.probe, 0) : a)));
  const measurement = clockPromise ? await clockPromise : findAnswerMeasurement(attempts);

  const findings: Finding[] = [];
  const settled = await Promise.all(attempts.map((a) => diagnoseClock(ctx, a, measurement)));
  const finishedAtMs = ctx.runtime.clock.now();
  const keyWorks = settled.some(({ attempt }) => attempt.outcome.ok);
  const seen = new Set<FindingCode>();
  const permissions: Permissions = { ...UNKNOWN_PERMISSIONS };
  const evidence: PermissionEvidence = {};
  const notes: string[] = [];
  let exchangeExpiresAt: string | null = null;
  let keyCreatedAt: Date | null = null;
  for (const { attempt: settledAttempt, extra } of settled) {
    for (const finding of extra) addOnce(findings, seen, finding);
    const attempt = keyWorks ? applyKeyWorks(settledAttempt) : settledAttempt;
    const { outcome, probe } = attempt;
    if (outcome.ok) {
      Object.assign(permissions, outcome.reading.permissions);
      for (const finding of outcome.reading.findings ?? []) addOnce(findings, seen, finding);
      for (const note of outcome.reading.notes ?? []) if (!notes.includes(note)) notes.push(note);
      Object.assign(evidence, outcome.reading.evidence);
      exchangeExpiresAt = outcome.reading.exchangeExpiresAt ?? exchangeExpiresAt;
      keyCreatedAt = parseDate(outcome.reading.keyCreatedAt) ?? keyCreatedAt;
    } else if (outcome.code === 'PERMISSION_MISSING' && probe.deniedMeans) {
      Object.assign(permissions, probe.deniedMeans);
      for (const field of Object.keys(probe.deniedMeans) as (keyof Permissions)[]) evidence[field] = outcome.finding.message;
      // A key may be refused the read that describes it: that check is unavailable, not passed.
      if (probe.purpose === 'introspection')
        notes.push(
          `Permission check not available: ${adapter.displayName} refused ${probe.request.method} ${probe.request.path} (the key lacks the permission to read it).`,
        );
    } else addOnce(findings, seen, outcome.finding);
  }
  const expiring = assessExchangeExpiry(exchangeExpiresAt, key.rotation.warnDays, ctx.runtime.clock.now(), adapter.displayName);
  for (const finding of expiring) addOnce(findings, seen, finding);
  const clock = assessClock(measurement, adapter.clockWindow, adapter.displayName);
  if (!seen.has('CLOCK_SKEW_REJECTED')) findings.push(...clock.findings);
  findings.push(...assessPermissions(permissions, key.expect, evidence));
  if (keyWorks) notes.push(...describeUnreported(permissions, adapter.displayName));
  // The time the check took, retries and the diagnostic clock retry included.
  const latencyMs = attempts.some((a) => a.response) ? Math.round(finishedAtMs - startedAtMs) : null;
  return { findings, parts: { clock: clock.reading, permissions, expiry: { exchangeExpiresAt }, latencyMs, notes }, keyCreatedAt };
}

/** Names the secret field a refused header value came from (never the value), else the header. */
function describeHeaderValueError(error: HeaderValueError, fields: Record<string, unknown>): string {
  const field = Object.entries(fields).find(
    ([, value]) => typeof value === 'string' && value.trim() !== '' && error.value.includes(value.trim()),
  )?.[0];
  if (field === undefined) return `The secret cannot be sent: ${error.message}.`;
  return `The secret field "${field}" holds characters an HTTP header cannot carry (a line break, a tab or a letter outside Latin-1 pasted in); it goes in the ${error.header} header.`;
}

function parseDate(iso: string | undefined): Date | null {
  if (iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms);
}

const PERMISSION_WORDS: Record<keyof Permissions, string> = {
  view: 'whether it may view',
  trade: 'whether it may trade',
  transfer: 'whether it may transfer or withdraw',
  futures: 'whether it may use futures',
  ipRestricted: 'whether it has an IP allow-list',
};

/** A note naming what the exchange did not tell about a key that works, so `null` is never mistaken for "no". */
function describeUnreported(permissions: Permissions, exchange: string): string[] {
  const unknown = (Object.keys(PERMISSION_WORDS) as (keyof Permissions)[]).filter((field) => permissions[field] === null);
  if (unknown.length === 0) return [];
  return [`Not checked: ${exchange} does not tell ${unknown.map((field) => PERMISSION_WORDS[field]).join(', ')}.`];
}

/** An ambiguous refusal re-read, now that another read proved the key authenticates. */
function applyKeyWorks(attempt: Attempt): Attempt {
  const { outcome } = attempt;
  const code = outcome.ok ? undefined : outcome.rule?.whenKeyWorks;
  if (outcome.ok || code === undefined) return attempt;
  const finding = makeFinding(code, `${outcome.finding.message} Another read of the same key succeeded, so the key itself is valid.`);
  return { ...attempt, outcome: { ...outcome, code, finding } };
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
  const offset = ctx.adapter.time ? measurement : (measureFromResponse(attempt.response) ?? measurement);
  const window = ctx.adapter.clockWindow;
  // An exchange whose signing carries no timestamp cannot reject our clock.
  if (!window) return { attempt, extra: [] };
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

function addOnce(findings: Finding[], seen: Set<FindingCode>, finding: Finding): void {
  if (seen.has(finding.code)) return;
  seen.add(finding.code);
  findings.push(finding);
}

/** Removes every sensitive value from the result's messages. */
function scrub(result: KeyResult, sensitive: ReadonlySet<string>): KeyResult {
  const secrets = [...sensitive];
  return { ...result, findings: result.findings.map((f) => ({ ...f, message: redact(f.message, secrets) })) };
}
