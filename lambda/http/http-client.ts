import type { Clock } from '../clock';
import { DeadlineExceededError, KeyHealthError, messageOf, NetworkError, RequestTimeoutError } from '../errors';

/** A request as it goes on the wire. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** An answer with the wall-clock times around it, for clock measurement. */
export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Wall clock (ms) just before the request was sent. */
  readonly sentAtMs: number;
  /** Wall clock (ms) when the answer's headers and body had arrived. */
  readonly receivedAtMs: number;
  /** How many times the request was sent, retries included. */
  readonly attempts: number;
}

/** Sends one request and returns status, headers and body; the only place that touches the network. */
export type Transport = (
  request: HttpRequest,
  signal: AbortSignal,
) => Promise<{ status: number; headers: Record<string, string>; body: string }>;

/** Settings for {@link sendRequest}. */
export interface SendOptions {
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Wall-clock ms after which nothing more is sent; the run's deadline. */
  readonly deadlineAtMs: number;
  /** Extra attempts for an idempotent read after a network error, a timeout, 5xx, 429 or 418. */
  readonly retries: number;
  /** First backoff; doubles each retry. */
  readonly backoffMs: number;
  /** A `Retry-After` longer than this is not waited for: the answer is returned as it is. */
  readonly maxRetryAfterMs: number;
  /** Re-signs the request for each attempt (a signed request must carry a fresh timestamp). */
  readonly build: () => HttpRequest;
}

const RETRYABLE_STATUS = new Set([408, 418, 429, 500, 502, 503, 504]);

/** The exchange answered with a body longer than any answer of its API; the rest was not read. */
export class AnswerTooLargeError extends KeyHealthError {
  override readonly name = 'AnswerTooLargeError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly limitBytes: number,
  ) {
    super(
      `${method} ${path} was answered HTTP ${status} with a body cut at ${limitBytes} bytes, longer than any answer of the API (endless or not meant for this request); the rest was not read`,
      { finding: 'UNEXPECTED_RESPONSE' },
    );
  }
}

/** The exchange answered with a redirect, which is never followed; names the host it pointed to, never its path or query. */
export class RedirectRefusedError extends KeyHealthError {
  override readonly name = 'RedirectRefusedError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** The host (and port) the Location names; `null` when there is none, it is not a URL, or it is withheld. */
    readonly targetHost: string | null,
    /** The host quotes part of the request (a signature, a key) back, so it is not shown. */
    withheld = false,
  ) {
    const where = withheld
      ? 'to a host named after the request itself (not shown)'
      : targetHost === null
        ? 'with no usable Location'
        : `to ${targetHost}`;
    super(
      `${method} ${path} was answered HTTP ${status}, a redirect ${where}; a signed request is never sent on to another address, so nothing went there. If the exchange moved its API, set the key's baseUrl to the new host`,
      { finding: 'UNEXPECTED_RESPONSE' },
    );
  }
}

/**
 * Sends an idempotent read with a timeout per attempt (covering the whole answer, body included),
 * retrying transient failures with exponential backoff or the server's `Retry-After`, never past
 * the deadline. Returns the last answer (whatever its status); throws {@link RequestTimeoutError},
 * {@link NetworkError} or {@link DeadlineExceededError} when no answer came, and at once, without
 * retrying, {@link RedirectRefusedError} for a redirect (never followed) and {@link AnswerTooLargeError}
 * from a transport that cut an endless body.
 */
export async function sendRequest(transport: Transport, clock: Clock, options: SendOptions): Promise<HttpResponse> {
  for (let attempt = 1; ; attempt++) {
    const request = options.build();
    const remainingMs = options.deadlineAtMs - clock.now();
    const what = describe(request);
    if (remainingMs <= 0) throw new DeadlineExceededError(`sending ${what}`);
    const timeoutMs = Math.min(options.timeoutMs, remainingMs);
    const canRetry = attempt <= options.retries;
    const sentAtMs = clock.now();
    let answer: Awaited<ReturnType<Transport>>;
    try {
      answer = await sendOnce(transport, request, timeoutMs);
    } catch (error) {
      if (!canRetry || !(error instanceof KeyHealthError && error.retryable)) throw error;
      if (!(await pause(clock, options, backoff(options, attempt)))) throw error;
      continue;
    }
    if (answer.status >= 300 && answer.status < 400) {
      const host = hostOf(answer.headers.location, request.url);
      const withheld = host !== null && quotesRequest(host, request);
      throw new RedirectRefusedError(request.method, extractPath(request.url), answer.status, withheld ? null : host, withheld);
    }
    const response: HttpResponse = { ...answer, sentAtMs, receivedAtMs: clock.now(), attempts: attempt };
    if (!canRetry || !RETRYABLE_STATUS.has(response.status)) return response;
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], clock.now());
    if (retryAfterMs !== undefined && retryAfterMs > options.maxRetryAfterMs) return response;
    if (!(await pause(clock, options, retryAfterMs ?? backoff(options, attempt)))) return response;
  }
}

async function sendOnce(transport: Transport, request: HttpRequest, timeoutMs: number) {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  // Racing the timer keeps the timeout even for a transport that does not honour the abort signal.
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      reject(new Error('timed out'));
    }, timeoutMs);
  });
  try {
    return await Promise.race([transport(request, controller.signal), expired]);
  } catch (error) {
    if (timedOut) throw new RequestTimeoutError(request.method, extractPath(request.url), timeoutMs);
    // The transport's own verdict on an answer (a body cut at the size limit) is passed on as it is.
    if (error instanceof KeyHealthError) throw error;
    throw new NetworkError(request.method, extractPath(request.url), networkDetail(error), { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `ms` if that still leaves the deadline ahead; says whether it waited. */
async function pause(clock: Clock, options: SendOptions, ms: number): Promise<boolean> {
  if (clock.now() + ms >= options.deadlineAtMs) return false;
  await clock.sleep(ms);
  return true;
}

function backoff(options: SendOptions, attempt: number): number {
  return options.backoffMs * 2 ** (attempt - 1);
}

/** Parses `Retry-After` (seconds or an HTTP date) into ms from now. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The host a `Location` points to, resolved against the request's URL; `null` when absent or unreadable. */
function hostOf(location: string | undefined, base: string): string | null {
  if (location === undefined || location.trim() === '') return null;
  try {
    return new URL(location.trim(), base).host || null;
  } catch {
    return null;
  }
}

/** Piece length for {@link quotesRequest}: shorter runs of a signature's characters occur in ordinary host names. */
const QUOTE_PIECE_CHARS = 12;

/**
 * Whether `host` carries a piece of what the request sent (a header value, a query value, the body),
 * compared in lower case as host names are: a hostile redirect may name a host after the signature.
 */
function quotesRequest(host: string, request: HttpRequest): boolean {
  const sent = [...Object.values(request.headers), ...new URL(request.url).searchParams.values(), request.body ?? ''];
  const lower = host.toLowerCase();
  for (const value of sent.map((v) => v.toLowerCase()))
    for (let i = 0; i + QUOTE_PIECE_CHARS <= value.length; i++) if (lower.includes(value.slice(i, i + QUOTE_PIECE_CHARS))) return true;
  return false;
}

function describe(request: HttpRequest): string {
  return `${request.method} ${extractPath(request.url)}`;
}

/** The path of a URL without its query (queries may carry signatures). */
export function extractPath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return messageOf(error);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Throws unless the URL is HTTPS, or plain HTTP to a loopback address (a local simulator). */
export function assertSecureUrl(url: string): void {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') return;
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) return;
  throw new Error(`Refusing to send a request over ${parsed.protocol} to ${parsed.host}: only HTTPS (or HTTP to loopback)`);
}
