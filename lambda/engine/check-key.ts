import { createHash } from 'node:crypto';
import type { KeyConfig } from '../config';
import { DeadlineExceededError, NetworkError, RequestTimeoutError } from '../errors';
import type { CredentialsResult, ExchangeAdapter, ExchangeRequest, Probe, ProbeReading } from '../exchanges/types';
import { type Finding, type FindingCode, makeFinding } from '../findings';
import { type HttpRequest, type HttpResponse, type HttpRuntime, sendRequest } from '../http/http-client';
import { type Expiry, type KeyResult, type Permissions, statusOf, UNKNOWN_PERMISSIONS } from '../report';
import { type Classification, classifyResponse, redact } from './classify';
import {
  assessClock,
  type ClockMeasurement,
  describeOffset,
  isOutsideWindow,
  measureFromDateHeader,
  measureOffset,
  toleranceFor,
} from './clock';
import { assessExchangeExpiry } from './expiry';
import { assessPermissions, type PermissionEvidence } from './permissions';
import { assessRotation } from './rotation';
import { type LoadedSecret, type SecretSource, SecretUnreadableError } from './secrets';

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

/** Parsed credentials by adapter and a SHA-256 of the secret text; bounded, oldest dropped first. */
export type CredentialCache = Map<string, CredentialsResult<unknown>>;

/** How many parsed credentials a {@link CredentialCache} keeps. */
export const CREDENTIAL_CACHE_SIZE = 500;

const AUTH_CODES: ReadonlySet<FindingCode> = new Set(['AUTH_INVALID_KEY', 'AUTH_INVALID_SIGNATURE', 'AUTH_INVALID_PASSPHRASE']);
const USER_AGENT = 'key-health/0.1 (read-only API key monitor)';

interface Attempt {
  readonly probe: Probe;
  readonly response: HttpResponse | null;
  readonly outcome: { ok: true; reading: ProbeReading } | Extract<Classification, { ok: false }>;
}

interface KeyContext<C> {
  readonly key: KeyConfig;
  readonly adapter: ExchangeAdapter<C>;
  readonly credentials: C;
  readonly origin: string;
  readonly runtime: CheckRuntime;
  /** Every value that must not appear in output: secret fields and each signature sent. */
  readonly sensitive: Set<string>;
}

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

/**
 * Parsing a private key costs a fraction of a millisecond per key per run; a warm container keeps
 * the result. The cache is keyed by a hash of the secret, so a rotated secret is parsed afresh.
 */
function parseCredentialsCached<C>(
  adapter: ExchangeAdapter<C>,
  text: string,
  fields: Record<string, unknown>,
  cache: CredentialCache | undefined,
): CredentialsResult<C> {
  if (!cache) return adapter.parseCredentials(fields);
  const id = `${adapter.id}:${createHash('sha256').update(text).digest('hex')}`;
  const hit = cache.get(id) as CredentialsResult<C> | undefined;
  if (hit) return hit;
  const parsed = adapter.parseCredentials(fields);
  cache.set(id, parsed);
  if (cache.size > CREDENTIAL_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return parsed;
}

function needsConfirmation(attempt: Attempt): boolean {
  return !attempt.outcome.ok && attempt.outcome.rule?.confirm === true;
}

async function sendProbe<C>(ctx: KeyContext<C>, probe: Probe, correctionMs: number): Promise<Attempt> {
  const { adapter, credentials, origin, runtime, key } = ctx;
  const build = (): HttpRequest => {
    const signed = adapter.sign(probe.request, credentials, runtime.http.now() - correctionMs, origin);
    for (const value of signed.sensitive) ctx.sensitive.add(value);
    const query = signed.query ?? probe.request.query;
    const body = signed.body ?? probe.request.body;
    return {
      method: probe.request.method,
      url: urlOf(adapter, origin, probe.request, query),
      headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...signed.headers },
      ...(body !== undefined && { body }),
    };
  };
  let response: HttpResponse;
  try {
    response = await sendRequest(runtime.http, { timeoutMs: key.timeoutMs, deadlineAtMs: runtime.deadlineAtMs, ...runtime.retry, build });
  } catch (error) {
    // Only a missing answer means the exchange is unavailable; anything else (a signing error, an
    // endpoint off the allow-list) is our problem and fails the key's check as UNEXPECTED_RESPONSE.
    if (!(error instanceof RequestTimeoutError || error instanceof NetworkError || error instanceof DeadlineExceededError)) throw error;
    const finding = makeFinding('EXCHANGE_UNAVAILABLE', `${adapter.displayName}: ${error.message}.`);
    return { probe, response: null, outcome: { ok: false, code: 'EXCHANGE_UNAVAILABLE', finding } };
  }
  const classification = classifyResponse(adapter as ExchangeAdapter, probe.request, response);
  if (!classification.ok) return { probe, response, outcome: classification };
  try {
    return { probe, response, outcome: { ok: true, reading: probe.read(classification.body, key) } };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const finding = makeFinding(
      'UNEXPECTED_RESPONSE',
      `${adapter.displayName} answered HTTP ${response.status} to ${probe.request.method} ${probe.request.path} with an unexpected shape: ${detail}.`,
    );
    return { probe, response, outcome: { ok: false, code: 'UNEXPECTED_RESPONSE', finding } };
  }
}

/** Reads the exchange's public time once per origin per run; `null` when it cannot be read. */
function measureServerTime<C>(ctx: KeyContext<C>): Promise<ClockMeasurement | null> {
  const { adapter, origin, runtime, key } = ctx;
  const time = adapter.time;
  if (!time) return Promise.resolve(null);
  const cached = runtime.clocks.get(origin);
  if (cached) return cached;
  const build = (): HttpRequest => ({
    method: time.request.method,
    url: urlOf(adapter, origin, time.request, time.request.query),
    headers: { accept: 'application/json', 'user-agent': USER_AGENT },
  });
  const measured = sendRequest(runtime.http, { timeoutMs: key.timeoutMs, deadlineAtMs: runtime.deadlineAtMs, ...runtime.retry, build })
    .then((response) => {
      if (response.status < 200 || response.status >= 300) return null;
      return measureOffset(response.sentAtMs, response.receivedAtMs, time.read(JSON.parse(response.body)), 'time-endpoint');
    })
    .catch(() => null);
  runtime.clocks.set(origin, measured);
  return measured;
}

function measureFrom(response: HttpResponse | null): ClockMeasurement | null {
  return response ? measureFromDateHeader(response.sentAtMs, response.receivedAtMs, response.headers.date) : null;
}

function firstDateMeasurement(attempts: readonly Attempt[]): ClockMeasurement | null {
  for (const attempt of attempts) {
    const measurement = measureFrom(attempt.response);
    if (measurement) return measurement;
  }
  return null;
}

function urlOf(adapter: ExchangeAdapter<unknown>, origin: string, request: ExchangeRequest, query: string | undefined): string {
  const endpoint = `${request.method} ${request.path}`;
  if (!adapter.allowList.includes(endpoint)) throw new Error(`${endpoint} is not on the ${adapter.id} read-only allow-list`);
  return `${origin}${request.path}${query ? `?${query}` : ''}`;
}

/** The origin to use: the `baseUrl` override, the sandbox host, or production. */
export function originOf(key: KeyConfig, adapter: ExchangeAdapter<unknown>): string {
  if (key.baseUrl) return key.baseUrl;
  if (!key.sandbox) return adapter.origin;
  if (!adapter.sandboxOrigin) throw new Error(`${adapter.displayName} has no sandbox; remove "sandbox" from key ${key.name}`);
  return adapter.sandboxOrigin;
}

type SecretRead =
  | { ok: true; loaded: LoadedSecret; fields: Record<string, unknown>; createdAtField: Date | null }
  | { ok: false; finding: Finding };

async function readSecret(key: KeyConfig, source: SecretSource): Promise<SecretRead> {
  let loaded: LoadedSecret;
  try {
    loaded = await source.load(key);
  } catch (error) {
    const reason =
      error instanceof SecretUnreadableError
        ? error.message
        : `Cannot read the secret: ${error instanceof Error ? error.name : 'unknown error'}`;
    return { ok: false, finding: makeFinding('SECRET_UNREADABLE', `${reason}.`) };
  }
  let fields: unknown;
  try {
    fields = JSON.parse(loaded.text);
  } catch {
    // The parser's own message quotes the text, so it is never shown.
    return {
      ok: false,
      finding: makeFinding(
        'SECRET_INVALID',
        'The secret is not valid JSON; it must be a JSON object (see the README for the fields of each exchange).',
      ),
    };
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    return {
      ok: false,
      finding: makeFinding('SECRET_INVALID', 'The secret must be a JSON object (see the README for the fields of each exchange).'),
    };
  const record = fields as Record<string, unknown>;
  let createdAtField: Date | null = null;
  if (record.createdAt !== undefined) {
    const parsed = typeof record.createdAt === 'string' ? new Date(record.createdAt) : null;
    if (!parsed || Number.isNaN(parsed.getTime()))
      return {
        ok: false,
        finding: makeFinding(
          'SECRET_INVALID',
          'The secret field "createdAt" must be an ISO date such as "2026-11-01" or "2026-11-01T09:00:00Z".',
        ),
      };
    createdAtField = parsed;
  }
  return { ok: true, loaded, fields: record, createdAtField };
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

function stringValues(record: Record<string, unknown>): string[] {
  return Object.entries(record).flatMap(([field, value]) => (field !== 'createdAt' && typeof value === 'string' ? [value] : []));
}

/** Removes every sensitive value from the result's messages. */
function scrub(result: KeyResult, sensitive: ReadonlySet<string>): KeyResult {
  const secrets = [...sensitive];
  return { ...result, findings: result.findings.map((f) => ({ ...f, message: redact(f.message, secrets) })) };
}
