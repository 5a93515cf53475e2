import type { Clock } from '../../../lambda/clock';
import type { Config } from '../../../lambda/config';
import { runChecks } from '../../../lambda/engine/run-checks';
import { readSecretFields } from '../../../lambda/exchanges/secret-fields';
import type { ExchangeAdapter } from '../../../lambda/exchanges/types';
import type { HttpRequest, Transport } from '../../../lambda/http/http-client';

type Ports = { transport: Transport; clock: Clock };

import type { KeyResult, Report } from '../../../lambda/report';
import { configFor, MemorySecrets } from '../../support/harness';

interface FakeCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

const SECRET = 'fake-secret-value-1234567890';

/** A minimal exchange: one accounts read, the Date header as its clock, and an adapter that can be made to throw. */
const FAKE: ExchangeAdapter<FakeCredentials> = {
  id: 'coinbase-exchange',
  displayName: 'Fake Exchange',
  guide: { api: 'a fake', secret: 'fake', secretExample: {}, clock: '±30 s' },
  origin: 'https://fake.example.com',
  sandboxOrigin: null,
  allowList: ['GET /accounts'],
  clockWindow: { aheadMs: 30_000, behindMs: 30_000 },
  time: null,
  parseCredentials(secret) {
    const fields = readSecretFields(secret, ['apiKey', 'apiSecret'] as const, 'fake');
    if (!fields.ok) return fields;
    if (fields.values.apiKey === 'throw-in-parse') throw new Error(`cannot parse ${fields.values.apiSecret}`);
    return { ok: true, credentials: fields.values };
  },
  secretValues: (c) => [c.apiSecret],
  sign(_request, credentials, nowMs) {
    if (credentials.apiKey === 'throw-in-sign') throw new Error(`sign() failed for ${credentials.apiSecret}`);
    return { headers: { 'x-key': credentials.apiKey, 'x-sign': `sig-${nowMs}` }, sensitive: [] };
  },
  probes: () => [
    {
      label: 'accounts',
      purpose: 'account',
      tells: 'the key works',
      request: { method: 'GET', path: '/accounts' },
      read: () => ({ permissions: { view: true, futures: true, trade: true, transfer: false } }),
    },
  ],
  errors: [{ status: 401, code: 'AUTH_INVALID_KEY' }],
};

const ADAPTERS = { 'coinbase-exchange': FAKE as ExchangeAdapter<unknown> };

/** Real clock, a transport that answers 200 with a current Date header (or hangs), and a sleep that only records. */
function fakeHttp(options: { hang?: boolean } = {}) {
  const state = { requests: [] as HttpRequest[], waits: [] as number[], inFlight: 0, maxInFlight: 0 };
  const transport: Transport = async (request, signal) => {
    state.requests.push(request);
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      if (options.hang) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      await new Promise((resolve) => setTimeout(resolve, 2));
      return { status: 200, headers: { date: new Date().toUTCString() }, body: '[]' };
    } finally {
      state.inFlight -= 1;
    }
  };
  const http: Ports = {
    transport,
    clock: {
      now: () => Date.now(),
      sleep: async (ms) => {
        state.waits.push(ms);
      },
    },
  };
  return { http, state };
}

const GOOD = { apiKey: 'good', apiSecret: SECRET };

function setup(secrets: Record<string, unknown>, extra: { concurrency?: number } = {}) {
  const store = new MemorySecrets();
  for (const [name, value] of Object.entries(secrets)) if (value !== undefined) store.set(name, value);
  const names = Object.keys(secrets);
  const parsed = configFor(names.map((name) => ({ name, exchange: 'coinbase-exchange' as const })));
  const config: Config = { ...parsed, concurrency: extra.concurrency ?? parsed.concurrency };
  return { store, config };
}

const run = async (config: Config, store: MemorySecrets, http: Ports, more: { deadlineAtMs?: number; only?: string[] } = {}) => {
  const { report } = await runChecks(config, {
    ...http,
    secrets: store,
    adapters: ADAPTERS,
    deadlineAtMs: more.deadlineAtMs ?? Date.now() + 5000,
    retry: { retries: 1, backoffMs: 1, maxRetryAfterMs: 100 },
    ...(more.only && { only: more.only }),
  });
  return report;
};

const resultOf = (report: Report, name: string): KeyResult => {
  const result = report.results.find((r) => r.name === name);
  if (!result) throw new Error(`no result for ${name}`);
  return result;
};
const codesOf = (report: Report, name: string) => resultOf(report, name).findings.map((f) => f.code);

describe('runChecks', () => {
  it('checks every key and reports ok keys with their permissions and clock', async () => {
    const { store, config } = setup({ a: GOOD, b: GOOD });
    const { http, state } = fakeHttp();
    const report = await run(config, store, http);
    expect(report.status).toBe('ok');
    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
    ]);
    expect(resultOf(report, 'a').permissions).toEqual({ view: true, trade: true, transfer: false, futures: true, ipRestricted: null });
    expect(resultOf(report, 'a').clock.source).toBe('date-header');
    expect(state.requests.map((r) => r.url)).toEqual(['https://fake.example.com/accounts', 'https://fake.example.com/accounts']);
  });

  it('reports a key whose adapter throws inside sign() and still checks the others', async () => {
    const { store, config } = setup({ a: GOOD, broken: { apiKey: 'throw-in-sign', apiSecret: SECRET }, c: GOOD });
    const { http } = fakeHttp();
    const report = await run(config, store, http);
    expect(resultOf(report, 'a').status).toBe('ok');
    expect(resultOf(report, 'c').status).toBe('ok');
    const broken = resultOf(report, 'broken');
    expect(broken.status).not.toBe('ok');
    expect(broken.findings).toHaveLength(1);
    expect(broken.findings[0]?.message).toContain('sign() failed for [redacted]');
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('reports a key whose adapter throws while reading credentials, without the secret, and checks the others', async () => {
    const { store, config } = setup({ a: GOOD, broken: { apiKey: 'throw-in-parse', apiSecret: SECRET } });
    const { http } = fakeHttp();
    const report = await run(config, store, http);
    expect(resultOf(report, 'a').status).toBe('ok');
    expect(codesOf(report, 'broken')).toEqual(['UNEXPECTED_RESPONSE']);
    expect(resultOf(report, 'broken').findings[0]?.message).toBe('The check failed: cannot parse [redacted]');
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('reports sandbox on an exchange without one for that key only', async () => {
    const store = new MemorySecrets().set('a', GOOD).set('sandboxed', GOOD);
    const config = configFor([
      { name: 'a', exchange: 'coinbase-exchange' },
      { name: 'sandboxed', exchange: 'coinbase-exchange', sandbox: true },
    ]);
    const report = await run(config, store, fakeHttp().http);
    expect(resultOf(report, 'a').status).toBe('ok');
    expect(codesOf(report, 'sandboxed')).toEqual(['UNEXPECTED_RESPONSE']);
    expect(resultOf(report, 'sandboxed').findings[0]?.message).toBe(
      'The check failed: Fake Exchange has no sandbox; remove "sandbox" from key sandboxed',
    );
  });

  it('reports a missing secret as SECRET_UNREADABLE and checks the others', async () => {
    const { store, config } = setup({ a: GOOD, missing: undefined, c: GOOD });
    const report = await run(config, store, fakeHttp().http);
    expect(codesOf(report, 'missing')).toEqual(['SECRET_UNREADABLE']);
    expect(resultOf(report, 'missing').findings[0]?.message).toBe('Cannot read the secret "missing": ResourceNotFoundException.');
    expect([resultOf(report, 'a').status, resultOf(report, 'c').status]).toEqual(['ok', 'ok']);
    expect(report.status).toBe('critical');
  });

  it('reports a secret that is not JSON as SECRET_INVALID without echoing it', async () => {
    const text = `apiKey=good apiSecret=${SECRET}`;
    const { store, config } = setup({ a: GOOD, garbled: text });
    const report = await run(config, store, fakeHttp().http);
    expect(codesOf(report, 'garbled')).toEqual(['SECRET_INVALID']);
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(JSON.stringify(report)).not.toContain('apiKey=good');
    expect(resultOf(report, 'a').status).toBe('ok');
  });

  it.each([['last tuesday'], [20261101], [''], [null]])('reports the secret field createdAt %j as SECRET_INVALID', async (createdAt) => {
    const { store, config } = setup({ k: { ...GOOD, createdAt } });
    const report = await run(config, store, fakeHttp().http);
    expect(codesOf(report, 'k')).toEqual(['SECRET_INVALID']);
    expect(resultOf(report, 'k').findings[0]?.message).toContain('"createdAt" must be an ISO date');
  });

  it('reads the age of a key from the secret field createdAt', async () => {
    const createdAt = new Date(Date.now() - 100 * 86_400_000).toISOString();
    const { store, config } = setup({ old: { ...GOOD, createdAt } });
    const report = await run(config, store, fakeHttp().http);
    expect(codesOf(report, 'old')).toEqual(['ROTATION_OVERDUE']);
    expect(resultOf(report, 'old').expiry.keyAgeDays).toBe(100);
  });

  it('checks only the keys named in `only`, in config order', async () => {
    const { store, config } = setup({ a: GOOD, b: GOOD, c: GOOD });
    const { http, state } = fakeHttp();
    const report = await run(config, store, http, { only: ['c', 'a'] });
    expect(report.results.map((r) => r.name)).toEqual(['a', 'c']);
    expect(state.requests).toHaveLength(2);
  });

  it('throws naming every unknown key in `only`', async () => {
    const { store, config } = setup({ a: GOOD, b: GOOD });
    const { http, state } = fakeHttp();
    await expect(run(config, store, http, { only: ['a', 'nope', 'zzz'] })).rejects.toThrow(
      'unknown key name(s) "nope", "zzz"; configured: a, b',
    );
    expect(state.requests).toEqual([]);
  });

  it('reports every key EXCHANGE_UNAVAILABLE without sending anything when the deadline has passed', async () => {
    const { store, config } = setup({ a: GOOD, b: GOOD });
    const { http, state } = fakeHttp();
    const report = await run(config, store, http, { deadlineAtMs: Date.now() - 1 });
    for (const name of ['a', 'b']) {
      expect(codesOf(report, name)).toEqual(['EXCHANGE_UNAVAILABLE']);
      expect(resultOf(report, name).findings[0]?.message).toContain('deadline');
    }
    expect(report.status).toBe('unknown');
    expect(state.requests).toEqual([]);
  });

  it('reports a key still waiting at the deadline as EXCHANGE_UNAVAILABLE', async () => {
    const { store, config } = setup({ slow: GOOD });
    const started = Date.now();
    const report = await run(config, store, fakeHttp({ hang: true }).http, { deadlineAtMs: started + 50 });
    expect(codesOf(report, 'slow')).toEqual(['EXCHANGE_UNAVAILABLE']);
    expect(resultOf(report, 'slow').findings[0]?.message).toMatch(/timed out after \d+ ms: GET \/accounts/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps at most config.concurrency keys in flight', async () => {
    const { store, config } = setup({ a: GOOD, b: GOOD, c: GOOD, d: GOOD, e: GOOD }, { concurrency: 2 });
    const { http, state } = fakeHttp();
    const report = await run(config, store, http);
    expect(report.results).toHaveLength(5);
    expect(state.maxInFlight).toBe(2);
  });

  it('stamps the report with the run clock', async () => {
    const { store, config } = setup({ a: GOOD });
    const { http } = fakeHttp();
    const at = Date.parse('2026-11-27T10:00:00.000Z');
    const { report } = await runChecks(config, {
      transport: http.transport,
      clock: { ...http.clock, now: () => at },
      secrets: store,
      adapters: ADAPTERS,
      deadlineAtMs: at - 1,
    });
    expect(report.checkedAt).toBe('2026-11-27T10:00:00.000Z');
  });

  it('reports an exchange without an adapter in this build for that key', async () => {
    const store = new MemorySecrets().set('a', GOOD).set('adv', GOOD);
    const config = configFor([
      { name: 'a', exchange: 'coinbase-exchange' },
      { name: 'adv', exchange: 'coinbase-advanced' },
    ]);
    const report = await run(config, store, fakeHttp().http);
    expect(codesOf(report, 'adv')).toEqual(['UNEXPECTED_RESPONSE']);
    expect(resultOf(report, 'adv').findings[0]?.message).toBe('No adapter for exchange "coinbase-advanced" in this build.');
    expect(resultOf(report, 'a').status).toBe('ok');
  });

  describe('with an exchange that sets a pace', () => {
    const pacedAdapter = (pace: NonNullable<ExchangeAdapter['pace']>): ExchangeAdapter<unknown> =>
      ({ ...FAKE, id: 'bitstamp', displayName: 'Paced', origin: 'https://paced.example.com', pace }) as ExchangeAdapter<unknown>;

    /** Keys p1… on the paced exchange, then u1… on the unpaced one. */
    function mixed(pacedCount: number, unpacedCount: number, concurrency = 10) {
      const names = [
        ...Array.from({ length: pacedCount }, (_, i) => ({ name: `p${i + 1}`, exchange: 'bitstamp' as const })),
        ...Array.from({ length: unpacedCount }, (_, i) => ({ name: `u${i + 1}`, exchange: 'coinbase-exchange' as const })),
      ];
      const store = new MemorySecrets();
      for (const { name } of names) store.set(name, GOOD);
      return { store, config: { ...configFor(names), concurrency } };
    }

    /** fakeHttp, also counting the requests in flight to the paced exchange. */
    function countingHttp() {
      const { http, state } = fakeHttp();
      const pacedCalls = { inFlight: 0, most: 0 };
      const transport: Transport = async (request, signal) => {
        const isPaced = request.url.startsWith('https://paced.example.com');
        if (isPaced) pacedCalls.most = Math.max(pacedCalls.most, ++pacedCalls.inFlight);
        try {
          return await http.transport(request, signal);
        } finally {
          if (isPaced) pacedCalls.inFlight--;
        }
      };
      return { http: { ...http, transport }, state, pacedCalls };
    }

    it('keeps its keys to keysInFlight while the other exchange uses the rest of the run’s places', async () => {
      const { store, config } = mixed(3, 3, 3);
      const { http, state, pacedCalls } = countingHttp();
      const { report } = await runChecks(config, {
        ...http,
        secrets: store,
        adapters: { ...ADAPTERS, bitstamp: pacedAdapter({ keysInFlight: 1, why: 'one at a time' }) },
        deadlineAtMs: Date.now() + 5000,
      });
      expect(report.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
      expect(pacedCalls.most).toBe(1);
      // The paced keys waiting for their turn hold none of the three places: the other keys ran beside the first.
      expect(state.maxInFlight).toBe(3);
    });

    it('reports a key whose turn would come after the deadline as not checked, naming the limit, without waiting for it', async () => {
      const { store, config } = mixed(3, 1);
      const { http, state } = countingHttp();
      const started = Date.now();
      const { report } = await runChecks(config, {
        ...http,
        secrets: store,
        adapters: { ...ADAPTERS, bitstamp: pacedAdapter({ keysPerWindow: { keys: 2, ms: 60_000 }, why: 'Paced allows 2 keys a minute.' }) },
        deadlineAtMs: started + 5000,
      });
      expect(report.results.map((r) => [r.name, r.status])).toEqual([
        ['p1', 'ok'],
        ['p2', 'ok'],
        ['p3', 'unknown'],
        ['u1', 'ok'],
      ]);
      expect(codesOf(report, 'p3')).toEqual(['EXCHANGE_UNAVAILABLE']);
      expect(resultOf(report, 'p3').findings[0]?.message).toBe(
        "The run deadline was reached before this key's turn: Paced allows 2 keys a minute.",
      );
      expect(state.requests.filter((r) => r.url.startsWith('https://paced.example.com'))).toHaveLength(2);
      expect(state.waits).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
});
