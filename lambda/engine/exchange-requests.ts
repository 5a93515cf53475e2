import type { KeyConfig } from '../config';
import { HeaderValueError, KeyHealthError, messageOf } from '../errors';
import type { ExchangeAdapter, ExchangeRequest, Probe, ProbeReading, SignContext, SignedParts } from '../exchanges/types';
import { makeFinding } from '../findings';
import { type HttpRequest, type HttpResponse, sendRequest } from '../http/http-client';
import { type Classification, classifyResponse, redact } from './classify';
import { type ClockMeasurement, measureFromDateHeader, measureOffset } from './clock-offset';
import type { CheckRuntime } from './runtime';

const USER_AGENT = 'key-health/0.1 (read-only API key monitor)';
/** What node:http refuses in a header value: control characters but tab, DEL, and anything past Latin-1. */
const NOT_IN_A_HEADER = /[^\t\x20-\x7e\x80-\xff]/;

/** One signed read as sent, with the answer (if any) and what it means. */
export interface Attempt {
  readonly probe: Probe;
  readonly response: HttpResponse | null;
  readonly outcome: { ok: true; reading: ProbeReading } | Extract<Classification, { ok: false }>;
}

/** What sending a key's requests needs. */
export interface KeyContext<C> {
  readonly key: KeyConfig;
  readonly adapter: ExchangeAdapter<C>;
  readonly credentials: C;
  readonly origin: string;
  readonly runtime: CheckRuntime;
  /** Every value that must not appear in output: secret fields and each signature sent. */
  readonly sensitive: Set<string>;
}

/** A request signed and laid out exactly as it goes on the wire, with what signing returned. */
export interface SignedRequest {
  readonly http: HttpRequest;
  readonly signed: SignedParts;
}

/** Signs `request` and lays it out for the wire; throws when it is not on the adapter's allow-list. */
export function buildSignedRequest<C>(
  adapter: ExchangeAdapter<C>,
  credentials: C,
  request: ExchangeRequest,
  context: SignContext,
): SignedRequest {
  const signed = adapter.sign(request, credentials, context);
  // Node refuses such a header before anything is sent; said here, it is not mistaken for a network failure.
  for (const [name, value] of Object.entries(signed.headers)) if (NOT_IN_A_HEADER.test(value)) throw new HeaderValueError(name, value);
  const query = signed.query ?? request.query;
  const body = signed.body ?? request.body;
  const http: HttpRequest = {
    method: request.method,
    url: buildUrl(adapter, context.origin, request, query),
    headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...signed.headers },
    ...(body !== undefined && { body }),
  };
  return { http, signed };
}

/** Sends one probe signed with our clock minus `correctionMs`, and classifies the answer; throws only for our own errors. */
export async function sendProbe<C>(ctx: KeyContext<C>, probe: Probe, correctionMs: number): Promise<Attempt> {
  const { adapter, credentials, origin, runtime, key } = ctx;
  let last: SignedParts | undefined;
  // A read with its own production host goes there, unless the key names its own host.
  const target = key.baseUrl || key.sandbox ? origin : (probe.request.origin ?? origin);
  const build = (): HttpRequest => {
    const context = { nowMs: runtime.clock.now() - correctionMs, origin: target, random: runtime.random, sandbox: key.sandbox };
    const { http, signed } = buildSignedRequest(adapter, credentials, probe.request, context);
    for (const value of signed.sensitive) ctx.sensitive.add(value);
    last = signed;
    return http;
  };
  let response: HttpResponse;
  try {
    response = await sendRequest(runtime.transport, runtime.clock, {
      timeoutMs: key.timeoutMs,
      deadlineAtMs: runtime.deadlineAtMs,
      ...runtime.retry,
      build,
    });
  } catch (error) {
    // Only a missing answer (EXCHANGE_UNAVAILABLE) or one the HTTP layer refused to take (a redirect, an
    // endless body: UNEXPECTED_RESPONSE) is this read's outcome; anything else (a signing error, an
    // endpoint off the allow-list) is our problem and fails the key's whole check as UNEXPECTED_RESPONSE.
    const code = error instanceof KeyHealthError ? error.finding : null;
    if (code !== 'EXCHANGE_UNAVAILABLE' && code !== 'UNEXPECTED_RESPONSE') throw error;
    const finding = makeFinding(code, `${adapter.displayName}: ${messageOf(error)}.`);
    return { probe, response: null, outcome: { ok: false, code, finding } };
  }
  const classification = classifyResponse(adapter as ExchangeAdapter, probe.request, response, (text) => redact(text, [...ctx.sensitive]));
  const unverified = last?.checkAnswer?.(response);
  if (unverified !== undefined && (classification.ok || classification.code !== 'UNEXPECTED_RESPONSE')) {
    const finding = makeFinding(
      'UNEXPECTED_RESPONSE',
      `${adapter.displayName} answered HTTP ${response.status} to ${probe.request.method} ${probe.request.path}, but the answer is not signed as ${adapter.displayName} signs its answers: ${unverified} Something between this host and ${adapter.displayName} changed it (a proxy or an interception), or the stored secret is not this key's. The answer was not believed.`,
    );
    return { probe, response, outcome: { ok: false, code: 'UNEXPECTED_RESPONSE', finding } };
  }
  if (!classification.ok) return { probe, response, outcome: classification };
  try {
    return { probe, response, outcome: { ok: true, reading: probe.read(classification.body, { nowMs: runtime.clock.now() }) } };
  } catch (error) {
    const finding = makeFinding(
      'UNEXPECTED_RESPONSE',
      `${adapter.displayName} answered HTTP ${response.status} to ${probe.request.method} ${probe.request.path} with an unexpected shape: ${messageOf(error)}.`,
    );
    return { probe, response, outcome: { ok: false, code: 'UNEXPECTED_RESPONSE', finding } };
  }
}

/** Reads the exchange's public time once per origin per run; `null` when it cannot be read. */
export function measureServerTime<C>(ctx: KeyContext<C>): Promise<ClockMeasurement | null> {
  const { adapter, origin, runtime, key } = ctx;
  const time = adapter.time;
  if (!time) return Promise.resolve(null);
  const cached = runtime.serverTimes.get(origin);
  if (cached) return cached;
  const build = (): HttpRequest => ({
    method: time.request.method,
    url: buildUrl(adapter, origin, time.request, time.request.query),
    headers: { accept: 'application/json', 'user-agent': USER_AGENT },
  });
  const measured = sendRequest(runtime.transport, runtime.clock, {
    timeoutMs: key.timeoutMs,
    deadlineAtMs: runtime.deadlineAtMs,
    ...runtime.retry,
    build,
  })
    .then((response) => {
      if (response.status < 200 || response.status >= 300) return null;
      return measureOffset(response.sentAtMs, response.receivedAtMs, time.read(JSON.parse(response.body)), 'time-endpoint');
    })
    .catch(() => null);
  runtime.serverTimes.set(origin, measured);
  return measured;
}

/** The clock offset from an answer's `Date` header. */
export function measureFromResponse(response: HttpResponse | null): ClockMeasurement | null {
  return response ? measureFromDateHeader(response.sentAtMs, response.receivedAtMs, response.headers.date) : null;
}

/**
 * The clock as the answers tell it, for an exchange without a time endpoint: the first time an
 * answer states in its body (millisecond resolution), else the first `Date` header (one second).
 */
export function findAnswerMeasurement(attempts: readonly Attempt[]): ClockMeasurement | null {
  for (const { outcome, response } of attempts) {
    const stated = outcome.ok ? outcome.reading.serverTimeMs : undefined;
    if (response && stated !== undefined && Number.isFinite(stated))
      return measureOffset(response.sentAtMs, response.receivedAtMs, stated, 'response-body');
  }
  for (const attempt of attempts) {
    const measurement = measureFromResponse(attempt.response);
    if (measurement) return measurement;
  }
  return null;
}

function buildUrl(adapter: ExchangeAdapter<unknown>, origin: string, request: ExchangeRequest, query: string | undefined): string {
  const endpoint = `${request.method} ${request.path}`;
  if (!adapter.allowList.includes(endpoint)) throw new Error(`${endpoint} is not on the ${adapter.id} read-only allow-list`);
  return `${origin}${request.path}${query ? `?${query}` : ''}`;
}

/** The origin to use: the `baseUrl` override, the sandbox host, or production. */
export function resolveOrigin(key: KeyConfig, adapter: ExchangeAdapter<unknown>): string {
  if (key.baseUrl) return key.baseUrl;
  if (!key.sandbox) return adapter.origin;
  if (!adapter.sandboxOrigin) throw new Error(`${adapter.displayName} has no sandbox; remove "sandbox" from key ${key.name}`);
  return adapter.sandboxOrigin;
}
