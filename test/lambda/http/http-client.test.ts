import type { Clock } from '../../../lambda/clock';
import { DeadlineExceededError, NetworkError, RequestTimeoutError } from '../../../lambda/errors';
import {
  AnswerTooLargeError,
  assertSecureUrl,
  extractPath,
  type HttpRequest,
  parseRetryAfter,
  RedirectRefusedError,
  type SendOptions,
  sendRequest,
  type Transport,
} from '../../../lambda/http/http-client';
import { nodeTransport } from '../../../lambda/http/node-transport';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const URL_WITH_SIGNATURE = 'https://api.example.com/api/v3/account?timestamp=1&signature=deadbeefcafe';

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'network-error' | 'hang' | 'ignore-abort' | 'too-large';

/** A fake clock, a sleep that only records and advances it, and a transport that plays `answers` in turn. */
function fakeRuntime(answers: Answer[], latencyMs = 5) {
  const state = { nowMs: T0, waits: [] as number[], requests: [] as HttpRequest[] };
  const transport: Transport = (request, signal) => {
    state.requests.push(request);
    const answer = answers.shift() ?? { status: 200 };
    state.nowMs += latencyMs;
    if (answer === 'network-error')
      return Promise.reject(
        Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } }),
      );
    // Rejects on abort like fetch does.
    if (answer === 'hang')
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    if (answer === 'ignore-abort') return new Promise(() => {});
    if (answer === 'too-large') return Promise.reject(new AnswerTooLargeError(request.method, extractPath(request.url), 200, 1000));
    return Promise.resolve({ status: answer.status, headers: answer.headers ?? {}, body: answer.body ?? '{}' });
  };
  const clock: Clock = {
    now: () => state.nowMs,
    sleep: async (ms) => {
      state.waits.push(ms);
      state.nowMs += ms;
    },
  };
  return { runtime: { transport, clock }, state };
}

/** Options with a build that stamps each attempt, so re-signing shows. */
function options(overrides: Partial<SendOptions> = {}, url = URL_WITH_SIGNATURE) {
  let builds = 0;
  const built = {
    get count() {
      return builds;
    },
  };
  const opts: SendOptions = {
    timeoutMs: 1000,
    deadlineAtMs: T0 + 60_000,
    retries: 2,
    backoffMs: 250,
    maxRetryAfterMs: 5000,
    build: () => {
      builds += 1;
      return { method: 'GET', url, headers: { 'x-attempt': String(builds) } };
    },
    ...overrides,
  };
  return { opts, built };
}

describe('sendRequest', () => {
  it('returns the first answer with the times around it', async () => {
    const { runtime, state } = fakeRuntime([{ status: 200, body: '{"ok":true}', headers: { date: 'x' } }], 40);
    const { opts } = options();
    await expect(sendRequest(runtime.transport, runtime.clock, opts)).resolves.toEqual({
      status: 200,
      headers: { date: 'x' },
      body: '{"ok":true}',
      sentAtMs: T0,
      receivedAtMs: T0 + 40,
      attempts: 1,
    });
    expect(state.waits).toEqual([]);
  });

  it.each([
    [503, [250, 500]],
    [500, [250, 500]],
    [502, [250, 500]],
    [504, [250, 500]],
    [429, [250, 500]],
    [418, [250, 500]],
  ])('retries HTTP %d with exponential backoff %j and returns the last answer', async (status, waits) => {
    const { runtime, state } = fakeRuntime([{ status }, { status }, { status }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options().opts);
    expect(response.status).toBe(status);
    expect(response.attempts).toBe(3);
    expect(state.waits).toEqual(waits);
    expect(state.requests).toHaveLength(3);
  });

  it.each([400, 401, 403, 404, 451])('does not retry HTTP %d', async (status) => {
    const { runtime, state } = fakeRuntime([{ status }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options().opts);
    expect([response.status, response.attempts, state.waits]).toEqual([status, 1, []]);
  });

  it('stops retrying once an answer is good', async () => {
    const { runtime, state } = fakeRuntime([{ status: 503 }, { status: 200 }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options().opts);
    expect([response.status, response.attempts, state.waits]).toEqual([200, 2, [250]]);
  });

  it('re-signs (calls build) for every attempt', async () => {
    const { runtime, state } = fakeRuntime([{ status: 503 }, 'network-error', { status: 200 }]);
    const { opts, built } = options();
    await sendRequest(runtime.transport, runtime.clock, opts);
    expect(built.count).toBe(3);
    expect(state.requests.map((r) => r.headers['x-attempt'])).toEqual(['1', '2', '3']);
  });

  it('retries a network error and then throws NetworkError without the query string', async () => {
    const { runtime, state } = fakeRuntime(['network-error', 'network-error', 'network-error']);
    const error = await sendRequest(runtime.transport, runtime.clock, options().opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe('Request failed: GET /api/v3/account: ECONNREFUSED');
    expect((error as Error).message).not.toContain('signature');
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(state.waits).toEqual([250, 500]);
  });

  it('times out each attempt, naming the method and path without the query', async () => {
    const { runtime, state } = fakeRuntime(['hang', 'hang']);
    const error = await sendRequest(runtime.transport, runtime.clock, options({ timeoutMs: 20, retries: 1 }).opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as Error).message).toBe('Request timed out after 20 ms: GET /api/v3/account');
    expect(state.requests).toHaveLength(2);
    expect(state.waits).toEqual([250]);
  });

  it('times out even when the transport ignores the abort signal', async () => {
    const { runtime } = fakeRuntime(['ignore-abort']);
    await expect(sendRequest(runtime.transport, runtime.clock, options({ timeoutMs: 20, retries: 0 }).opts)).rejects.toThrow(
      new RequestTimeoutError('GET', '/api/v3/account', 20),
    );
  });

  it('recovers when a retry answers after a timeout', async () => {
    const { runtime } = fakeRuntime(['hang', { status: 200 }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options({ timeoutMs: 20 }).opts);
    expect([response.status, response.attempts]).toEqual([200, 2]);
  });

  it('shortens the timeout to what is left before the deadline', async () => {
    const { runtime } = fakeRuntime(['hang']);
    const error = await sendRequest(runtime.transport, runtime.clock, options({ timeoutMs: 5000, deadlineAtMs: T0 + 30 }).opts).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe('Request timed out after 30 ms: GET /api/v3/account');
  });

  it.each([
    ['seconds', '2', 2000],
    ['zero seconds', '0', 0],
    // The answer arrives 5 ms after T0; the date names T0 + 3 s.
    ['an HTTP date', new Date(T0 + 3000).toUTCString(), 2995],
  ])('waits for Retry-After given in %s', async (_, retryAfter, wait) => {
    const { runtime, state } = fakeRuntime([{ status: 429, headers: { 'retry-after': retryAfter } }, { status: 200 }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options().opts);
    expect(response.status).toBe(200);
    expect(state.waits).toEqual([wait]);
  });

  it('honours Retry-After on a 503 too', async () => {
    const { runtime, state } = fakeRuntime([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    await sendRequest(runtime.transport, runtime.clock, options().opts);
    expect(state.waits).toEqual([1000]);
  });

  it.each([
    ['5', 1, []],
    ['6', 1, []],
    ['4', 2, [4000]],
  ])('with maxRetryAfterMs 5000 and Retry-After %s s sends %d time(s) and waits %j', async (retryAfter, sends, waits) => {
    const { runtime, state } = fakeRuntime([{ status: 429, headers: { 'retry-after': retryAfter } }, { status: 200 }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options({ maxRetryAfterMs: 4999 }).opts);
    expect(state.requests).toHaveLength(sends);
    expect(state.waits).toEqual(waits);
    expect(response.status).toBe(sends === 1 ? 429 : 200);
  });

  it('returns the 429 at once when Retry-After is longer than maxRetryAfterMs', async () => {
    const { runtime, state } = fakeRuntime([{ status: 429, headers: { 'retry-after': '60' } }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options().opts);
    expect([response.status, response.attempts, state.waits]).toEqual([429, 1, []]);
  });

  it.each([
    // After the 5 ms answer, a 250 ms backoff must end before the deadline.
    [T0 + 5 + 250, 1, []],
    [T0 + 5 + 251, 2, [250]],
  ])('with the deadline at %d does not wait past it (%d send(s))', async (deadlineAtMs, sends, waits) => {
    const { runtime, state } = fakeRuntime([{ status: 503 }, { status: 200 }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options({ deadlineAtMs }).opts);
    expect(state.requests).toHaveLength(sends);
    expect(state.waits).toEqual(waits);
    expect(response.status).toBe(sends === 1 ? 503 : 200);
  });

  it('throws the network error rather than waiting past the deadline', async () => {
    const { runtime, state } = fakeRuntime(['network-error']);
    await expect(sendRequest(runtime.transport, runtime.clock, options({ deadlineAtMs: T0 + 100 }).opts)).rejects.toBeInstanceOf(
      NetworkError,
    );
    expect(state.waits).toEqual([]);
  });

  it('sends nothing once the deadline has passed', async () => {
    const { runtime, state } = fakeRuntime([]);
    const error = await sendRequest(runtime.transport, runtime.clock, options({ deadlineAtMs: T0 }).opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toBe('Run deadline reached before sending GET /api/v3/account');
    expect(state.requests).toEqual([]);
  });

  it('returns a 429 at once when its Retry-After ends past the deadline, even one short enough to wait for', async () => {
    const { runtime, state } = fakeRuntime([{ status: 429, headers: { 'retry-after': '3' } }, { status: 200 }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options({ deadlineAtMs: T0 + 2000 }).opts);
    expect([response.status, response.attempts, state.waits]).toEqual([429, 1, []]);
  });

  it.each([301, 302, 303, 307, 308])('refuses a %d redirect without following or retrying it, naming only the host', async (status) => {
    const { runtime, state } = fakeRuntime([
      { status, headers: { location: 'https://collector.example.net:8443/steal?signature=abc' } },
      { status: 200 },
    ]);
    const error = await sendRequest(runtime.transport, runtime.clock, options().opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectRefusedError);
    expect((error as Error).message).toBe(
      `GET /api/v3/account was answered HTTP ${status}, a redirect to collector.example.net:8443; a signed request is never sent on to another address, so nothing went there. If the exchange moved its API, set the key's baseUrl to the new host`,
    );
    expect((error as RedirectRefusedError).finding).toBe('UNEXPECTED_RESPONSE');
    expect(state.requests).toHaveLength(1);
  });

  it.each([
    ['a relative Location', '/elsewhere?signature=abc', 'api.example.com'],
    ['no Location', undefined, null],
    ['a Location that is not a URL', 'http://[not-a-host', null],
  ])('names the host of a redirect with %s as %j', async (_label, location, host) => {
    const { runtime } = fakeRuntime([{ status: 302, headers: location === undefined ? {} : { location } }]);
    const error = await sendRequest(runtime.transport, runtime.clock, options().opts).catch((e: unknown) => e);
    expect((error as RedirectRefusedError).targetHost).toBe(host);
    expect((error as Error).message).not.toContain('signature');
  });

  it('withholds a redirect host that is named after what the request sent', async () => {
    // The signature of URL_WITH_SIGNATURE, upper-cased as a host name may carry it (hosts compare in lower case).
    const { runtime } = fakeRuntime([{ status: 302, headers: { location: 'https://x-DEADBEEFCAFE.collector.example.net/' } }]);
    const error = await sendRequest(runtime.transport, runtime.clock, options().opts).catch((e: unknown) => e);
    expect((error as RedirectRefusedError).targetHost).toBeNull();
    expect((error as Error).message).toContain('a redirect to a host named after the request itself (not shown)');
    expect((error as Error).message.toLowerCase()).not.toContain('deadbeefcafe');
  });

  it('passes on a body cut by the transport as it is, without retrying it', async () => {
    const { runtime, state } = fakeRuntime(['too-large', { status: 200 }]);
    const error = await sendRequest(runtime.transport, runtime.clock, options().opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnswerTooLargeError);
    expect((error as AnswerTooLargeError).finding).toBe('UNEXPECTED_RESPONSE');
    expect(state.requests).toHaveLength(1);
  });

  it('does not retry when retries is 0', async () => {
    const { runtime, state } = fakeRuntime([{ status: 503 }, { status: 200 }]);
    const response = await sendRequest(runtime.transport, runtime.clock, options({ retries: 0 }).opts);
    expect([response.status, state.requests.length]).toEqual([503, 1]);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['soon', undefined],
    ['0', 0],
    ['1.5', 1500],
    [' 3 ', 3000],
    [new Date(T0 + 10_000).toUTCString(), 10_000],
    [new Date(T0 - 10_000).toUTCString(), 0],
  ])('reads %j as %j ms', (value, ms) => {
    expect(parseRetryAfter(value, T0)).toBe(ms);
  });
});

describe('extractPath', () => {
  it.each([
    [URL_WITH_SIGNATURE, '/api/v3/account'],
    ['http://127.0.0.1:4010/time', '/time'],
    ['/relative?x=1', '/relative'],
  ])('gives the path of %s without its query', (url, path) => {
    expect(extractPath(url)).toBe(path);
  });
});

describe('assertSecureUrl', () => {
  it.each(['https://api.example.com/x', 'http://127.0.0.1:4010/x', 'http://localhost:4010/x', 'http://[::1]:4010/x'])(
    'accepts %s',
    (url) => {
      expect(() => assertSecureUrl(url)).not.toThrow();
    },
  );

  it.each([
    ['http://api.example.com/x', 'Refusing to send a request over http: to api.example.com: only HTTPS (or HTTP to loopback)'],
    ['http://10.0.0.1:4010/x', 'Refusing to send a request over http: to 10.0.0.1:4010: only HTTPS (or HTTP to loopback)'],
    ['ftp://127.0.0.1/x', 'Refusing to send a request over ftp: to 127.0.0.1: only HTTPS (or HTTP to loopback)'],
  ])('refuses %s', (url, message) => {
    expect(() => assertSecureUrl(url)).toThrow(message);
  });

  it('guards the node transport before anything is sent', async () => {
    await expect(
      nodeTransport({ method: 'GET', url: 'http://api.example.com/x', headers: {} }, new AbortController().signal),
    ).rejects.toThrow('Refusing to send a request over http:');
  });
});
