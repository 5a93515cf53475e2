import { createHash, createHmac, randomBytes } from 'node:crypto';
import ccxt from 'ccxt';
import { parseConfig } from '../../../lambda/config';
import { classifyResponse } from '../../../lambda/engine/classify';
import {
  computeAuthent,
  KRAKEN_FUTURES_DECOMMISSION_MS,
  type KrakenFuturesCredentials,
  krakenFutures,
} from '../../../lambda/exchanges/kraken-futures';
import type { ExchangeAdapter, ExchangeRequest } from '../../../lambda/exchanges/types';
import type { Report } from '../../../lambda/report';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { healthyCodes, krakenFuturesHandler, simulator } from '../../support/simulator/kraken-futures';
import {
  type ExchangeHandler,
  MISBEHAVIOURS,
  type SimKey,
  type SimRequest,
  type Simulator,
  startSimulator,
} from '../../support/simulator/sim-server';

const SECRET = randomBytes(66).toString('base64');
const ACCOUNTS = '/derivatives/api/v3/accounts';
const ACCOUNTS_READ: ExchangeRequest = { method: 'GET', path: ACCOUNTS };
const T_MS = 1_700_000_000_123;
const ORIGIN = krakenFutures.origin;

function credentialsOf(secret: Record<string, unknown>): KrakenFuturesCredentials {
  const parsed = krakenFutures.parseCredentials(secret);
  if (!parsed.ok) throw new Error(parsed.finding.message);
  return parsed.credentials;
}

function frozenCcxt(apiKey: string, secret: string) {
  const exchange = new ccxt.krakenfutures({ apiKey, secret });
  exchange.milliseconds = () => T_MS;
  exchange.seconds = () => Math.floor(T_MS / 1000);
  exchange.options.timeDifference = 0;
  return exchange;
}

/** The Futures REST guide's five steps, written out independently of the adapter. */
function documentedAuthent(secret: string, postData: string, nonce: string, endpointPath: string): string {
  const digest = createHash('sha256')
    .update(postData + nonce + endpointPath)
    .digest();
  return createHmac('sha512', Buffer.from(secret, 'base64')).update(digest).digest('base64');
}

describe('kraken-futures signing', () => {
  const credentials = credentialsOf({ apiKey: 'rRra59qK-key', apiSecret: SECRET });

  it('matches ccxt sign() byte for byte for the accounts read, and sends no Nonce as ccxt sends none', () => {
    const oracle = frozenCcxt('rRra59qK-key', SECRET).sign('accounts', 'private', 'GET', {});
    const ours = krakenFutures.sign(ACCOUNTS_READ, credentials, signAt(T_MS, ORIGIN));
    expect(oracle.url).toBe(`${ORIGIN}${ACCOUNTS}`);
    expect(ours.headers).toEqual({ APIKey: oracle.headers.APIKey, Authent: oracle.headers.Authent });
    expect(oracle.headers).not.toHaveProperty('Nonce');
    expect(ours.sensitive).toEqual([oracle.headers.Authent]);
    expect(ours.query).toBeUndefined();
    expect(ours.body).toBeUndefined();
  });

  it('signs the query url-encoded exactly as sent, as ccxt does', () => {
    const oracle = frozenCcxt('k', SECRET).sign('accounts', 'private', 'GET', { greeting: 'hello world', symbol: 'fi_xbtusd_180615' });
    const query = 'greeting=hello%20world&symbol=fi_xbtusd_180615';
    const ours = krakenFutures.sign({ ...ACCOUNTS_READ, query }, credentialsOf({ apiKey: 'k', apiSecret: SECRET }), signAt(T_MS, ORIGIN));
    expect(oracle.url).toBe(`${ORIGIN}${ACCOUNTS}?${query}`);
    expect(ours.headers.Authent).toBe(oracle.headers.Authent);
    expect(ours.headers.Authent).toBe(documentedAuthent(SECRET, query, '', '/api/v3/accounts'));
    expect(ours.headers.Authent).not.toBe(
      documentedAuthent(SECRET, 'greeting=hello world&symbol=fi_xbtusd_180615', '', '/api/v3/accounts'),
    );
  });

  it('leaves the /derivatives prefix out of the signed endpointPath, as the guide example /api/v3/orderbook shows', () => {
    const ours = krakenFutures.sign(ACCOUNTS_READ, credentials, signAt(T_MS, ORIGIN)).headers.Authent;
    expect(ours).toBe(documentedAuthent(SECRET, '', '', '/api/v3/accounts'));
    expect(ours).not.toBe(documentedAuthent(SECRET, '', '', ACCOUNTS));
  });

  it('carries no time: the same read signs the same at any clock', () => {
    const early = krakenFutures.sign(ACCOUNTS_READ, credentials, signAt(T_MS, ORIGIN)).headers.Authent;
    const late = krakenFutures.sign(ACCOUNTS_READ, credentials, signAt(T_MS + 86_400_000, ORIGIN, 'random')).headers.Authent;
    expect(late).toBe(early);
  });

  // [V] docs.kraken.com/api/docs/guides/futures-websockets "Sign challenge": the same SHA-256 → HMAC-SHA512
  // (base64-decoded secret) → base64 pipeline as Authent, over the challenge alone; the only published output.
  it('reproduces the published Futures signed-challenge example with the Authent core', () => {
    const secret = '7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm';
    expect(computeAuthent(credentialsOf({ apiKey: 'k', apiSecret: secret }).secretBytes, 'c100b894-1729-464d-ace1-52dbce11db42')).toBe(
      '4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A==',
    );
  });

  it('signs the all-zero secret exactly as ccxt 4.5.84 does', () => {
    const zero = Buffer.alloc(32).toString('base64');
    const ours = krakenFutures.sign(ACCOUNTS_READ, credentialsOf({ apiKey: 'k', apiSecret: zero }), signAt(T_MS, ORIGIN));
    expect(ours.headers.Authent).toBe('QZSYuvK5NJ1kXpgo5wdSkt1j60l9DjZR4PqjTYhekkDO2uZn9RgnaCYq4QTSI0AlaI0PxaOhrf2TNUaJp4SalQ==');
    expect(frozenCcxt('k', zero).sign('accounts', 'private', 'GET', {}).headers.Authent).toBe(ours.headers.Authent);
  });
});

describe('kraken-futures secret', () => {
  it.each([
    ['no apiKey', { apiSecret: SECRET }, 'has no "apiKey" field'],
    ['no apiSecret', { apiKey: 'k' }, 'has no "apiSecret" field'],
    ['a numeric apiSecret', { apiKey: 'k', apiSecret: 42 }, 'field "apiSecret" must be a non-empty string'],
    ['an apiSecret that is not base64', { apiKey: 'k', apiSecret: 'hunter2-not-base64!' }, 'field "apiSecret" is not base64'],
    ['a cut-short apiSecret', { apiKey: 'k', apiSecret: SECRET.slice(0, 87) }, 'field "apiSecret" is not base64'],
  ])('rejects a secret with %s, naming the field but not the value', (_label, secret, expected) => {
    const parsed = krakenFutures.parseCredentials(secret);
    expect(parsed.ok ? 'parsed' : parsed.finding.code).toBe('SECRET_INVALID');
    if (parsed.ok) return;
    expect(parsed.finding.message).toContain(expected);
    expect(parsed.finding.message).not.toContain('hunter2');
    expect(parsed.finding.message).not.toContain(SECRET.slice(0, 40));
  });

  it('accepts the private key with a stray line break and lists its value as never to show', () => {
    const credentials = credentialsOf({ apiKey: 'k', apiSecret: `${SECRET}\n` });
    expect(credentials.secretBytes).toEqual(Buffer.from(SECRET, 'base64'));
    expect(krakenFutures.secretValues(credentials)).toEqual([SECRET]);
  });
});

describe('kraken-futures error table', () => {
  const classify = (status: number, body: string) =>
    classifyResponse(krakenFutures as ExchangeAdapter, ACCOUNTS_READ, {
      status,
      headers: {},
      body,
      sentAtMs: 0,
      receivedAtMs: 1,
      attempts: 1,
    });
  const envelope = (error: string) => JSON.stringify({ result: 'error', error, serverTime: '2026-12-01T10:00:00.000Z' });

  it.each([
    [200, envelope('authenticationError'), 'AUTH_INVALID_KEY'],
    [200, envelope('apiLimitExceeded'), 'RATE_LIMITED'],
    [200, envelope('accountInactive'), 'PERMISSION_MISSING'],
    [200, envelope('Unavailable'), 'EXCHANGE_UNAVAILABLE'],
    [200, envelope('Server Error'), 'EXCHANGE_UNAVAILABLE'],
    [200, envelope('nonceDuplicate'), 'UNEXPECTED_RESPONSE'],
    [200, '{"result":"error","errors":["apiLimitExceeded"],"serverTime":"2026-12-01T10:00:00.000Z"}', 'RATE_LIMITED'],
    [200, '{"result":"error","serverTime":"2026-12-01T10:00:00.000Z"}', 'UNEXPECTED_RESPONSE'],
    [500, '{"errors":[{"code":92,"message":"INSUFFICIENT_MARGIN"}]}', 'EXCHANGE_UNAVAILABLE'],
    [200, '{"result":"success","accounts":{},"serverTime":"2026-12-01T10:00:00.000Z"}', 'success'],
  ])('sorts HTTP %i %s as %s', (status, body, code) => {
    const result = classify(status, body);
    expect(result.ok ? 'success' : result.code).toBe(code);
  });

  it('says that authenticationError also means a Kraken spot key, which is not a Derivatives key', () => {
    const result = classify(200, envelope('authenticationError'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.finding.message).toContain('a Kraken spot key');
    expect(result.finding.message).toContain('Derivatives API keys are separate from Kraken spot keys');
  });
});

describe('kraken-futures accounts read', () => {
  const [probe] = krakenFutures.probes({ futures: true, sandbox: false });
  if (!probe) throw new Error('no probe');
  const DAY_BEFORE = KRAKEN_FUTURES_DECOMMISSION_MS - 86_400_000;
  const success = { result: 'success', serverTime: '2026-12-01T10:00:00.123Z', accounts: { cash: { type: 'cashAccount', balances: {} } } };

  it('proves view and futures and states the server time of the answer', () => {
    const reading = probe.read(success, { nowMs: DAY_BEFORE });
    expect(reading.permissions).toEqual({ view: true, futures: true });
    expect(reading.serverTimeMs).toBe(Date.UTC(2026, 11, 1, 10, 0, 0, 123));
  });

  it.each([
    ['a list', [], 'not a JSON object'],
    ['no result', { ...success, result: undefined }, 'field "result" is not "success"'],
    ['an error result', { ...success, result: 'error' }, 'field "result" is not "success"'],
    ['no serverTime', { ...success, serverTime: undefined }, 'field "serverTime" is not an ISO 8601 time'],
    ['a serverTime that is not a time', { ...success, serverTime: 'yesterday' }, 'field "serverTime" is not an ISO 8601 time'],
    ['no accounts', { ...success, accounts: undefined }, 'field "accounts" is not an object'],
    ['accounts as a list', { ...success, accounts: [] }, 'field "accounts" is not an object'],
    ['an account that is not an object', { ...success, accounts: { cash: 'x' } }, 'field "accounts.cash" is not an object'],
    ['an account without a type', { ...success, accounts: { flex: { balanceValue: 1 } } }, 'field "accounts.flex.type" is not a string'],
  ])('refuses an answer with %s, naming the field', (_label, body, message) => {
    expect(() => probe.read(body, { nowMs: DAY_BEFORE })).toThrow(message);
  });

  it.each([
    ['three months before', Date.UTC(2026, 11, 1), 'KEY_EXPIRING', 'in 90 days'],
    ['a day before', DAY_BEFORE, 'KEY_EXPIRING', 'in 24 hours'],
    ['a millisecond before', KRAKEN_FUTURES_DECOMMISSION_MS - 1, 'KEY_EXPIRING', 'in 0 minutes'],
  ])('warns %s the decommission day, with the date and the migration Kraken asks for', (_label, nowMs, code, when) => {
    const findings = probe.read(success, { nowMs }).findings ?? [];
    expect(findings.map((f) => f.code)).toEqual([code]);
    expect(findings[0]?.severity).toBe('warning');
    expect(findings[0]?.message).toContain(`on 1 March 2027, ${when}`);
    expect(findings[0]?.message).toContain('Unified WebSocket');
    expect(findings[0]?.message).toContain('needs a Kraken API key, not a Derivatives API key');
  });

  it.each([
    ['on the decommission day', KRAKEN_FUTURES_DECOMMISSION_MS],
    ['a year after', KRAKEN_FUTURES_DECOMMISSION_MS + 365 * 86_400_000],
  ])('reports the key expired %s, and never also expiring', (_label, nowMs) => {
    const findings = probe.read(success, { nowMs }).findings ?? [];
    expect(findings.map((f) => [f.code, f.severity])).toEqual([['KEY_EXPIRED', 'critical']]);
    expect(findings[0]?.message).toContain('decommissioned the Derivatives REST API on 1 March 2027');
    expect(findings[0]?.message).toContain('Unified WebSocket');
  });

  it('reports no exchange-side expiry date, so the engine adds no second expiry finding', () => {
    expect(probe.read(success, { nowMs: DAY_BEFORE }).exchangeExpiresAt).toBeUndefined();
  });
});

describe('kraken-futures hosts', () => {
  it('reads the accounts on futures.kraken.com whatever the scope', () => {
    for (const scope of [
      { futures: true, sandbox: false },
      { futures: false, sandbox: false },
    ])
      expect(krakenFutures.probes(scope).map((p) => `${p.request.method} ${ORIGIN}${p.request.path}`)).toEqual([
        'GET https://futures.kraken.com/derivatives/api/v3/accounts',
      ]);
  });

  it('has no sandbox, so the config refuses "sandbox" for a Kraken Futures key', () => {
    expect(krakenFutures.sandboxOrigin).toBeNull();
    expect(() => parseConfig({ keys: [{ name: 'k', exchange: 'kraken-futures', sandbox: true }] })).toThrow(
      'kraken-futures has no sandbox that checks keys',
    );
  });
});

describe('the simulated Kraken Futures', () => {
  const KEY: SimKey = { apiKey: 'kf-nonce', secret: SECRET, permissions: { view: true, trade: false, transfer: false }, futures: true };
  const keys = new Map([[KEY.apiKey, KEY]]);
  const request = (headers: Record<string, string>, query = ''): SimRequest => ({
    method: 'GET',
    path: ACCOUNTS,
    query,
    headers,
    body: '',
    serverNowMs: Date.UTC(2026, 11, 1),
    remoteAddress: '127.0.0.1',
  });
  const signedWith = (nonce: string, query = '') =>
    request({ apikey: KEY.apiKey, authent: documentedAuthent(SECRET, query, nonce, '/api/v3/accounts'), nonce }, query);
  const errorOf = (answer: { status: number; body: string }) => [answer.status, (JSON.parse(answer.body) as { error?: string }).error];

  it('accepts a nonce once, then answers nonceDuplicate and, below it, nonceBelowThreshold', () => {
    expect(krakenFuturesHandler(signedWith('1700000000002'), keys).status).toBe(200);
    expect(errorOf(krakenFuturesHandler(signedWith('1700000000002'), keys))).toEqual([200, 'nonceDuplicate']);
    expect(errorOf(krakenFuturesHandler(signedWith('1700000000001'), keys))).toEqual([200, 'nonceBelowThreshold']);
  });

  it('refuses an Authent that leaves out the nonce it sends, or the query', () => {
    const withoutNonce = request({
      apikey: KEY.apiKey,
      authent: documentedAuthent(SECRET, '', '', '/api/v3/accounts'),
      nonce: '1800000000000',
    });
    expect(errorOf(krakenFuturesHandler(withoutNonce, keys))).toEqual([200, 'authenticationError']);
    const withoutQuery = request({ apikey: KEY.apiKey, authent: documentedAuthent(SECRET, '', '', '/api/v3/accounts') }, 'a=1');
    expect(errorOf(krakenFuturesHandler(withoutQuery, keys))).toEqual([200, 'authenticationError']);
  });

  it('states its clock in every answer, errors included', () => {
    const answer = krakenFuturesHandler(request({ apikey: 'nope', authent: 'x' }), keys);
    expect(JSON.parse(answer.body)).toEqual({ result: 'error', error: 'authenticationError', serverTime: '2026-12-01T00:00:00.000Z' });
  });

  it('hands out demo keys named kf-…, at least one working and one critical', () => {
    const demo = simulator.demoKeys();
    expect(demo.every((k) => k.name.startsWith('kf-'))).toBe(true);
    expect(new Set(demo.map((k) => k.name)).size).toBe(demo.length);
    expect(demo.find((k) => k.name === 'kf-futures')?.codes).toEqual(healthyCodes(Date.now()));
    expect(demo.some((k) => k.codes.includes('AUTH_INVALID_KEY'))).toBe(true);
  });

  it('makes a fresh key with a unique apiKey on every call', () => {
    const [a, b] = [simulator.makeKey('x'), simulator.makeKey('x')];
    expect(a.secret.apiKey).not.toBe(b.secret.apiKey);
    expect(a.simKey.secret).toBe(a.secret.apiSecret);
    expect(a.secret.apiSecret).toHaveLength(88);
  });
});

describe('kraken-futures against the simulator', () => {
  let sim: Simulator;
  const secrets = new MemorySecrets();
  const authents: string[] = [];
  const recording: ExchangeHandler = (request, keys) => {
    if (request.headers.authent) authents.push(request.headers.authent);
    return krakenFuturesHandler(request, keys);
  };
  const GOOD: SimKey = { apiKey: 'kf-good', secret: SECRET, permissions: { view: true, trade: true, transfer: false }, futures: true };
  const good = { apiKey: 'kf-good', apiSecret: SECRET };

  beforeAll(async () => {
    sim = await startSimulator(recording, {
      keys: [
        GOOD,
        { ...GOOD, apiKey: 'kf-inactive', futures: false },
        { ...GOOD, apiKey: 'kf-busy', extra: { rateLimited: true } },
        { ...GOOD, apiKey: 'kf-disabled', disabled: true },
      ],
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
    authents.length = 0;
  });

  const run = (name: string, secret: Record<string, unknown> = good, extra: Record<string, unknown> = {}, retries?: number) => {
    secrets.set(name, secret);
    return runAgainst(
      configFor([{ name, exchange: 'kraken-futures', ...extra }], sim.origin),
      secrets,
      retries === undefined ? {} : { retries },
    );
  };

  function expectNothingSecret(report: Report, ...values: string[]): void {
    const text = JSON.stringify(report);
    for (const value of [SECRET, ...authents, ...values]) expect(text).not.toContain(value);
  }

  it('reports a working key with its dated decommission warning, the clock from serverTime and what it may do', async () => {
    sim.skewMs = 2_000;
    const report = await run('ok');
    const [result] = report.results;
    expect(codesOf(report, 'ok')).toEqual(healthyCodes(Date.now()));
    expect(result?.findings[0]?.message).toContain('1 March 2027');
    expect(result?.clock.source).toBe('response-body');
    expect(result?.clock.toleranceMs).toBeNull();
    expect(Math.abs((result?.clock.offsetMs ?? Number.NaN) + 2_000)).toBeLessThan(500);
    expect(result?.permissions).toEqual({ view: true, futures: true, trade: null, transfer: null, ipRestricted: null });
    expect(result?.notes.join(' ')).toContain('Not checked: Kraken Futures does not tell whether it may trade');
    expect(sim.seen.map(({ method, path }) => `${method} ${path}`)).toEqual([`GET ${ACCOUNTS}`]);
    expect(sim.seen[0]?.headers).not.toHaveProperty('nonce');
    expectNothingSecret(report);
  });

  it('lets a clock ten minutes off pass: Authent carries no time', async () => {
    sim.skewMs = -600_000;
    const report = await run('skewed');
    expect(codesOf(report, 'skewed')).toEqual(healthyCodes(Date.now()));
    expect(report.results[0]?.clock.offsetMs).toBeGreaterThan(599_000);
    expect(sim.seen).toHaveLength(1);
  });

  const otherSecret = randomBytes(66).toString('base64');
  const spotSecret = randomBytes(64).toString('base64');
  it.each([
    ['unknown', { ...good, apiKey: 'kf-nobody' }, ['AUTH_INVALID_KEY']],
    ['wrong-secret', { ...good, apiSecret: otherSecret }, ['AUTH_INVALID_KEY']],
    ['spot', { apiKey: 'spot-key-pair', apiSecret: spotSecret }, ['AUTH_INVALID_KEY']],
    ['disabled', { ...good, apiKey: 'kf-disabled' }, ['AUTH_INVALID_KEY']],
    ['rate-limited', { ...good, apiKey: 'kf-busy' }, ['RATE_LIMITED']],
  ])('diagnoses the %s key without showing any secret', async (name, secret, codes) => {
    const report = await run(name, secret);
    expect(codesOf(report, name)).toEqual(codes);
    expect(sim.seen).toHaveLength(1);
    expectNothingSecret(report, otherSecret, spotSecret);
  });

  it('tells that a rejected key may be a Kraken spot key', async () => {
    const report = await run('spot-note', { apiKey: 'spot-key-pair', apiSecret: spotSecret });
    expect(report.results[0]?.findings[0]?.message).toContain('a spot key fails here exactly like a wrong one');
    expect(report.results[0]?.findings[0]?.remediation).toContain('Check that the API key in the secret is the one shown on the exchange');
  });

  it('reports an inactive Futures account as missing both the account view and the futures', async () => {
    const report = await run('inactive', { ...good, apiKey: 'kf-inactive' });
    const [result] = report.results;
    expect(codesOf(report, 'inactive')).toEqual(['PERMISSION_MISSING', 'PERMISSION_MISSING']);
    expect(result?.permissions).toEqual({ view: false, futures: false, trade: null, transfer: null, ipRestricted: null });
    expect(result?.findings.map((f) => f.message).join(' ')).toContain('accountInactive');
  });

  it('runs the demo keys to the codes they were built to show', async () => {
    const demo = simulator.demoKeys();
    const demoSim = await startSimulator(krakenFuturesHandler, { keys: demo.flatMap((k) => (k.simKey ? [k.simKey] : [])) });
    try {
      const demoSecrets = new MemorySecrets();
      for (const k of demo) demoSecrets.set(k.name, k.secret);
      const report = await runAgainst(
        configFor(
          demo.map((k) => ({ name: k.name, exchange: 'kraken-futures' })),
          demoSim.origin,
        ),
        demoSecrets,
        { retries: 0 },
      );
      for (const k of demo) expect([k.name, codesOf(report, k.name)]).toEqual([k.name, [...k.codes].sort()]);
    } finally {
      await demoSim.close();
    }
  });

  it.each([
    ['a 503 with an HTML page', 'EXCHANGE_UNAVAILABLE', MISBEHAVIOURS.unavailableHtml],
    ['a 429 with Retry-After', 'RATE_LIMITED', MISBEHAVIOURS.rateLimitedHtml],
    ['malformed JSON', 'UNEXPECTED_RESPONSE', MISBEHAVIOURS.malformedJson],
  ] as const)('maps %s to %s, with no stale decommission warning', async (_label, code, misbehaviour) => {
    sim.misbehave(ACCOUNTS, misbehaviour);
    const report = await run('m', good, {}, 0);
    expect(codesOf(report, 'm')).toEqual([code]);
    expectNothingSecret(report);
  });

  it('retries a transient 503 and then succeeds', async () => {
    sim.misbehave(ACCOUNTS, MISBEHAVIOURS.unavailableHtml, 1);
    const report = await run('flaky');
    expect(codesOf(report, 'flaky')).toEqual(healthyCodes(Date.now()));
    expect(sim.seen).toHaveLength(2);
  });
});
