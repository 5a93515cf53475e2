import { createHmac, randomBytes } from 'node:crypto';
import { classifyResponse } from '../../../lambda/engine/classify';
import { buildSignedRequest, resolveOrigin } from '../../../lambda/engine/exchange-requests';
import {
  type BitstampCredentials,
  bitstamp,
  bitstampSigningMessage,
  checkBitstampAnswer,
  makeBitstampNonce,
} from '../../../lambda/exchanges/bitstamp';
import type { ExchangeAdapter, ExchangeAnswer, ExchangeRequest } from '../../../lambda/exchanges/types';
import type { Report } from '../../../lambda/report';
import { ccxtBitstampSign, documentedSignature, PINNED_NONCE } from '../../support/contracts/bitstamp';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { bitstampHandler, simulator } from '../../support/simulator/bitstamp';
import {
  type ExchangeHandler,
  MISBEHAVIOURS,
  type SimKey,
  type SimRequest,
  type Simulator,
  startSimulator,
} from '../../support/simulator/sim-server';

const T_MS = 1_700_000_000_123;
const ORIGIN = bitstamp.origin;
const API_KEY = 'aBcDeFgHiJkLmNoPqRsTuVwXyZ012345';
const API_SECRET = 'sEcReTsEcReTsEcReTsEcReTsEcReT01';
const BALANCES: ExchangeRequest = { method: 'POST', path: '/api/v2/account_balances/' };
const MARGIN_INFO: ExchangeRequest = { method: 'GET', path: '/api/v2/margin_info/' };

function credentialsOf(secret: Record<string, unknown>): BitstampCredentials {
  const parsed = bitstamp.parseCredentials(secret);
  if (!parsed.ok) throw new Error(parsed.finding.message);
  return parsed.credentials;
}

const credentials = credentialsOf({ apiKey: API_KEY, apiSecret: API_SECRET });
const secretFields = { apiKey: API_KEY, apiSecret: API_SECRET };

function wire(request: ExchangeRequest, origin = ORIGIN, nowMs = T_MS) {
  return buildSignedRequest(bitstamp, credentials, request, signAt(nowMs, origin));
}

describe('bitstamp signing', () => {
  it('matches ccxt sign() byte for byte on the margin-info GET with a frozen clock', () => {
    const theirs = ccxtBitstampSign('GET', MARGIN_INFO.path, secretFields, T_MS);
    const ours = wire(MARGIN_INFO).http;
    expect(ours.url).toBe(theirs.url);
    expect(ours.body).toBeUndefined();
    expect(theirs.body).toBeUndefined();
    const { accept: _accept, 'user-agent': _agent, ...signedHeaders } = ours.headers;
    expect(signedHeaders).toEqual(theirs.headers);
    expect(signedHeaders['X-Auth-Nonce']).toBe(PINNED_NONCE);
    expect(signedHeaders['X-Auth-Timestamp']).toBe('1700000000123');
  });

  it('sends and signs no body and no Content-Type on the empty balances POST, where ccxt adds a dummy foo=bar', () => {
    const theirs = ccxtBitstampSign('POST', BALANCES.path, secretFields, T_MS);
    const ours = wire(BALANCES).http;
    expect([theirs.body, theirs.headers['Content-Type']]).toEqual(['foo=bar', 'application/x-www-form-urlencoded']);
    expect(ours.body).toBeUndefined();
    expect(Object.keys(ours.headers)).not.toContain('Content-Type');
    const withoutBody = `BITSTAMP ${API_KEY}POSTwww.bitstamp.net/api/v2/account_balances/${PINNED_NONCE}1700000000123v2`;
    expect(ours.headers['X-Auth-Signature']).toBe(createHmac('sha256', API_SECRET).update(withoutBody).digest('hex'));
    // ccxt's own signature is the same formula over its dummy body: the formula is ccxt's, only the body differs.
    const withDummy = `BITSTAMP ${API_KEY}POSTwww.bitstamp.net/api/v2/account_balances/application/x-www-form-urlencoded${PINNED_NONCE}1700000000123v2foo=bar`;
    expect(theirs.headers['X-Auth-Signature']).toBe(createHmac('sha256', API_SECRET).update(withDummy).digest('hex'));
    expect(ours.headers['X-Auth-Signature']).toBe(documentedSignature(ours, secretFields));
  });

  it("signs the official sample's request (user_transactions, offset=1) as the sample lays it out, and as ccxt does", () => {
    const request: ExchangeRequest = { method: 'POST', path: '/api/v2/user_transactions/', body: 'offset=1' };
    const ours = bitstamp.sign(request, credentials, signAt(T_MS, ORIGIN));
    // The message exactly as the official Python sample concatenates it (www.bitstamp.net/api/#section/Authentication).
    const sample = `BITSTAMP ${API_KEY}POSTwww.bitstamp.net/api/v2/user_transactions/application/x-www-form-urlencoded${PINNED_NONCE}1700000000123v2offset=1`;
    expect(bitstampSigningMessage(API_KEY, request, PINNED_NONCE, '1700000000123')).toBe(sample);
    expect(ours.headers['X-Auth-Signature']).toBe(createHmac('sha256', API_SECRET).update(sample).digest('hex'));
    const theirs = ccxtBitstampSign('POST', request.path, secretFields, T_MS, { offset: '1' });
    expect(theirs.body).toBe('offset=1');
    expect(ours.headers).toEqual(theirs.headers);
  });

  it('signs www.bitstamp.net whatever origin the request goes to', () => {
    const local = wire(MARGIN_INFO, 'http://127.0.0.1:8080');
    const production = wire(MARGIN_INFO);
    expect(local.http.url).toBe('http://127.0.0.1:8080/api/v2/margin_info/');
    expect(local.http.headers['X-Auth-Signature']).toBe(production.http.headers['X-Auth-Signature']);
  });

  it('signs a query with its question mark, after the path', () => {
    const message = bitstampSigningMessage(API_KEY, { ...MARGIN_INFO, query: 'a=1' }, PINNED_NONCE, '1');
    expect(message).toBe(`BITSTAMP ${API_KEY}GETwww.bitstamp.net/api/v2/margin_info/?a=1${PINNED_NONCE}1v2`);
  });

  it('derives the nonce as a lowercase 36-character v4 UUID from 16 random bytes, fresh for every request', () => {
    expect(makeBitstampNonce(Buffer.alloc(16, 0xab))).toBe(PINNED_NONCE);
    expect(makeBitstampNonce(Buffer.alloc(16, 0))).toBe('00000000-0000-4000-8000-000000000000');
    const random = signAt(T_MS, ORIGIN, 'random');
    const nonces = [1, 2, 3].map(() => bitstamp.sign(MARGIN_INFO, credentials, random).headers['X-Auth-Nonce']);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(nonces).size).toBe(3);
    expect(() => makeBitstampNonce(Buffer.alloc(8))).toThrow('16 random bytes');
  });

  it('returns the signature, the nonce and the timestamp as values never to show', () => {
    const signed = bitstamp.sign(MARGIN_INFO, credentials, signAt(T_MS, ORIGIN));
    expect(signed.sensitive).toEqual([signed.headers['X-Auth-Signature'], PINNED_NONCE, '1700000000123']);
  });
});

describe('bitstamp answer signature', () => {
  const NONCE = PINNED_NONCE;
  const TS = '1700000000123';
  const body = '[{"currency": "usd", "total": "1.00", "available": "1.00", "reserved": "0.00"}]';
  const serverSignature = (secret: string, contentType: string, text: string) =>
    createHmac('sha256', secret).update(`${NONCE}${TS}${contentType}${text}`).digest('hex');
  const answer = (headers: Record<string, string>, status = 200, text = body): ExchangeAnswer => ({ status, headers, body: text });
  const check = (a: ExchangeAnswer) => checkBitstampAnswer(API_SECRET, NONCE, TS, a);

  it('accepts a success signed over nonce, timestamp, its Content-Type and body, as the official samples check', () => {
    const signature = serverSignature(API_SECRET, 'application/json', body);
    expect(check(answer({ 'content-type': 'application/json', 'x-server-auth-signature': signature }))).toBeUndefined();
    expect(check(answer({ 'content-type': 'application/json', 'x-server-auth-signature': signature.toUpperCase() }))).toBeUndefined();
  });

  it.each([
    ['without the header', { 'content-type': 'application/json' }, body, 'has no X-Server-Auth-Signature header'],
    [
      'with a changed body',
      { 'content-type': 'application/json', 'x-server-auth-signature': serverSignature(API_SECRET, 'application/json', body) },
      body.replace('1.00', '9.00'),
      'does not match',
    ],
    [
      'with a changed Content-Type',
      { 'content-type': 'text/plain', 'x-server-auth-signature': serverSignature(API_SECRET, 'application/json', body) },
      body,
      'does not match',
    ],
    [
      "signed with another key's secret",
      { 'content-type': 'application/json', 'x-server-auth-signature': serverSignature('another-secret', 'application/json', body) },
      body,
      'does not match',
    ],
    [
      'with a signature that is not hex',
      { 'content-type': 'application/json', 'x-server-auth-signature': 'not-a-signature' },
      body,
      'does not match',
    ],
  ])('refuses a success %s', (_label, headers, text, reason) => {
    expect(check(answer(headers, 200, text))).toContain(reason);
  });

  it('leaves error answers to the error table, signed or not', () => {
    expect(check(answer({}, 403, '{"status": "error", "reason": "Invalid signature", "code": "API0005"}'))).toBeUndefined();
    expect(check(answer({}, 200, '{"status": "error", "reason": "Invalid nonce", "code": "API0004"}'))).toBeUndefined();
    expect(check(answer({}, 503, '<html>down</html>'))).toBeUndefined();
  });
});

describe('bitstamp secret', () => {
  it.each([
    ['no apiKey', { apiSecret: API_SECRET }, 'has no "apiKey" field'],
    ['no apiSecret', { apiKey: API_KEY }, 'has no "apiSecret" field'],
    ['a numeric apiSecret', { apiKey: API_KEY, apiSecret: 42 }, 'field "apiSecret" must be a non-empty string'],
    ['the X-Auth prefix in apiKey', { apiKey: `BITSTAMP ${API_KEY}`, apiSecret: API_SECRET }, 'without the "BITSTAMP " prefix'],
    ['a space inside apiKey', { apiKey: 'aBcDeFgH iJkLmNoP', apiSecret: API_SECRET }, 'field "apiKey" must not contain spaces'],
    [
      'a line break inside apiSecret',
      { apiKey: API_KEY, apiSecret: 'sEcReTsEcReT\nsEcReTsEcReT' },
      'field "apiSecret" must not contain spaces',
    ],
  ])('rejects a secret with %s, naming the field but not the value', (_label, secret, expected) => {
    const parsed = bitstamp.parseCredentials(secret);
    expect(parsed.ok ? 'parsed' : parsed.finding.code).toBe('SECRET_INVALID');
    if (parsed.ok) return;
    expect(parsed.finding.message).toContain(expected);
    expect(parsed.finding.message).not.toContain(API_SECRET);
    expect(parsed.finding.message).not.toContain('sEcReTsEcReT');
    expect(parsed.finding.message).not.toContain('aBcDeFgH');
  });

  it('keeps the key and the secret without a line break pasted around them', () => {
    const pasted = credentialsOf({ apiKey: ` ${API_KEY}\n`, apiSecret: `${API_SECRET}\n`, extra: 1 });
    expect(pasted).toEqual({ apiKey: API_KEY, apiSecret: API_SECRET });
  });

  it('lists the secret as the value never to show', () => {
    expect(bitstamp.secretValues(credentials)).toEqual([API_SECRET]);
  });
});

describe('bitstamp answers', () => {
  const [balances, marginInfo] = bitstamp.probes({ futures: true, sandbox: false });
  const read = (which: typeof balances, body: unknown) => which?.read(body, { nowMs: T_MS });

  it('reads a list of balances as a key that works and may view', () => {
    const body = [{ currency: 'usdt', total: '7.00000', available: '7.00000', reserved: '0.00000' }];
    expect(read(balances, body)).toEqual({ permissions: { view: true } });
    expect(read(balances, [])).toEqual({ permissions: { view: true } });
  });

  it.each([
    [{ usd_balance: '1.00' }, 'expected a list of balances'],
    [['usd'], 'a balance entry is not an object'],
    [[{ total: '1.00' }], 'field "currency"'],
  ])('refuses the balances shape %j, naming what is wrong', (body, message) => {
    expect(() => read(balances, body)).toThrow(message);
  });

  it('reads the margin info as a derivatives account', () => {
    const body = { account_margin: '20000.00', account_margin_currency: 'USD', assets: [] };
    expect(read(marginInfo, body)).toEqual({ permissions: { futures: true } });
  });

  it.each([
    [[], 'expected a margin info object'],
    [{ assets: [] }, 'field "account_margin"'],
    [{ account_margin: '1.00', assets: 'USD' }, 'field "assets"'],
  ])('refuses the margin info shape %j, naming what is wrong', (body, message) => {
    expect(() => read(marginInfo, body)).toThrow(message);
  });

  it('reads the balances alone for a key not expected to trade futures', () => {
    expect(bitstamp.probes({ futures: false, sandbox: false }).map((p) => p.request)).toEqual([BALANCES]);
    expect(bitstamp.probes({ futures: true, sandbox: false }).map((p) => p.request)).toEqual([BALANCES, MARGIN_INFO]);
    expect(bitstamp.probes({ futures: true, sandbox: false }).map((p) => p.deniedMeans)).toEqual([{ view: false }, { futures: false }]);
  });
});

describe('bitstamp error table', () => {
  const classify = (status: number, body: string, request = BALANCES) =>
    classifyResponse(bitstamp as ExchangeAdapter, request, { status, headers: {}, body, sentAtMs: 0, receivedAtMs: 1, attempts: 1 });
  const v2 = (code: string, reason: string) => JSON.stringify({ status: 'error', reason, code });

  it.each([
    [403, v2('API0001', 'API key not found'), 'AUTH_INVALID_KEY'],
    [403, v2('API0005', 'Invalid signature'), 'AUTH_INVALID_SIGNATURE'],
    [403, v2('API0002', 'IP address not allowed'), 'IP_NOT_ALLOWED'],
    [403, v2('API0017', 'X-Auth-Timestamp header is out of boundaries'), 'CLOCK_SKEW_REJECTED'],
    [403, v2('API0006', 'Your account is frozen'), 'KEY_EXPIRED'],
    [400, v2('API5506', 'Trade account does not support derivatives.'), 'PERMISSION_MISSING'],
    [403, '{"error": "IP address not allowed"}', 'IP_NOT_ALLOWED'],
    [403, '{"status": "error", "reason": "Invalid signature"}', 'AUTH_INVALID_SIGNATURE'],
    [400, '{"status": "error", "reason": "Request rejected due to exceeded rate limit.", "response_code": "400.002"}', 'RATE_LIMITED'],
    // A code is matched exactly, never by its text: a new code with a familiar reason stays unclassified.
    [403, v2('API0099', 'API key not found'), 'UNEXPECTED_RESPONSE'],
    [400, '{"status": "error", "reason": {"__all__": ["Minimum order size is 5.0 EUR."]}}', 'UNEXPECTED_RESPONSE'],
    [200, '[]', 'success'],
    [200, '{"account_margin": "1.00", "assets": []}', 'success'],
  ])('sorts HTTP %i %s as %s', (status, body, code) => {
    const result = classify(status, body);
    expect(result.ok ? 'success' : result.code).toBe(code);
  });

  it.each([
    ['a code', v2('API0005', 'Invalid signature')],
    ['a reason', '{"status": "error", "reason": "Something new"}'],
    ['an error field', '{"error": "Something new"}'],
  ])('never takes a 200 that carries %s for a success', (_label, body) => {
    expect(classify(200, body).ok).toBe(false);
  });

  it('says what an account without derivatives means and what to do', () => {
    const result = classify(400, v2('API5506', 'Trade account does not support derivatives.'), MARGIN_INFO);
    expect(result.ok ? '' : result.finding.message).toContain('set expect.futures to false for a spot-only key');
  });
});

describe('bitstamp origins', () => {
  it('goes to www.bitstamp.net, or to a baseUrl, and refuses a sandbox it cannot trust', () => {
    const origin = (options: Record<string, unknown>) => {
      const [key] = configFor([{ name: 'k', exchange: 'bitstamp', ...options }]).keys;
      if (!key) throw new Error('no key');
      return resolveOrigin(key, bitstamp as ExchangeAdapter);
    };
    expect(origin({})).toBe('https://www.bitstamp.net');
    expect(origin({ baseUrl: 'http://127.0.0.1:8080' })).toBe('http://127.0.0.1:8080');
    expect(bitstamp.sandboxOrigin).toBeNull();
    expect(() => configFor([{ name: 'k', exchange: 'bitstamp', sandbox: true }])).toThrow(/sandbox/);
  });
});

describe('bitstamp simulator', () => {
  const key: SimKey = {
    apiKey: API_KEY,
    secret: API_SECRET,
    permissions: { view: true, trade: false, transfer: false },
    futures: true,
  };
  const keys = new Map([[API_KEY, key]]);
  const now = Date.now();
  const simRequest = (request: ExchangeRequest, headers: Record<string, string> = {}, nonceFill = 0xcd): SimRequest => {
    const signed = bitstamp.sign(request, credentials, signAt(now, ORIGIN, nonceFill));
    const lower = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
    return {
      method: request.method,
      path: request.path,
      query: '',
      headers: { ...lower, ...headers },
      body: '',
      serverNowMs: now,
      remoteAddress: '127.0.0.1',
    };
  };
  const errorCode = (response: { body: string }) => (JSON.parse(response.body) as { code?: string }).code;

  it('refuses a nonce it saw in the last 300 seconds with API0004', () => {
    const request = simRequest(MARGIN_INFO, {}, 0x11);
    expect(bitstampHandler(request, keys).status).toBe(200);
    const again = bitstampHandler(request, keys);
    expect([again.status, errorCode(again)]).toEqual([403, 'API0004']);
  });

  it('refuses a Content-Type on an empty body with API0020, as Bitstamp documents', () => {
    const response = bitstampHandler(simRequest(BALANCES, { 'content-type': 'application/x-www-form-urlencoded' }, 0x22), keys);
    expect([response.status, errorCode(response)]).toEqual([403, 'API0020']);
  });

  it('accepts the official Java sample’s upper-case hex signature', () => {
    const request = simRequest(BALANCES, {}, 0x33);
    const response = bitstampHandler(
      { ...request, headers: { ...request.headers, 'x-auth-signature': request.headers['x-auth-signature']?.toUpperCase() ?? '' } },
      keys,
    );
    expect(response.status).toBe(200);
  });

  it('signs its successful answers so that our check accepts them', () => {
    const signed = bitstamp.sign(BALANCES, credentials, signAt(now, ORIGIN, 0x44));
    const lower = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
    const response = bitstampHandler(
      { method: 'POST', path: BALANCES.path, query: '', headers: lower, body: '', serverNowMs: now, remoteAddress: '' },
      keys,
    );
    const answer = { status: response.status, headers: { 'content-type': 'application/json', ...response.headers }, body: response.body };
    expect(response.headers?.['x-server-auth-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.checkAnswer?.(answer)).toBeUndefined();
  });

  it('gives a fresh key on every makeKey and demo keys named bs-, with a healthy and a critical one', () => {
    const a = simulator.makeKey('x');
    const b = simulator.makeKey('x');
    expect(a.simKey.apiKey).not.toBe(b.simKey.apiKey);
    expect(a.secret).toEqual({ apiKey: a.simKey.apiKey, apiSecret: a.simKey.secret });
    const demo = simulator.demoKeys();
    for (const { name } of demo) expect(name).toMatch(/^bs-/);
    expect(new Set(demo.map((d) => d.name)).size).toBe(demo.length);
    expect(demo.some((d) => d.codes.length === 0)).toBe(true);
    expect(demo.some((d) => d.codes.includes('AUTH_INVALID_SIGNATURE'))).toBe(true);
  });
});

describe('bitstamp against the simulator', () => {
  let sim: Simulator;
  const secrets = new MemorySecrets();
  const sentSignatures: string[] = [];
  const recording: ExchangeHandler = (request, keys) => {
    const signature = request.headers['x-auth-signature'];
    if (signature) sentSignatures.push(signature);
    return bitstampHandler(request, keys);
  };
  const base: SimKey = {
    apiKey: 'goodKey0000000000000000000000001',
    secret: randomBytes(16).toString('hex'),
    permissions: { view: true, trade: false, transfer: false },
    futures: true,
  };
  const known = (apiKey: string, more: Partial<SimKey>): SimKey => ({ ...base, apiKey, ...more });
  const good = { apiKey: base.apiKey, apiSecret: base.secret };

  beforeAll(async () => {
    sim = await startSimulator(recording, {
      keys: [
        base,
        known('noViewKey000000000000000000000001', { permissions: { view: false, trade: false, transfer: false } }),
        known('spotOnlyKey00000000000000000000001', { futures: false }),
        known('ipBoundKey0000000000000000000000001', { ipBlocked: true }),
        known('frozenKey00000000000000000000000001', { disabled: true }),
        known('busyKey000000000000000000000000001', { extra: { rateLimited: true } }),
      ],
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
    sentSignatures.length = 0;
  });

  const run = (name: string, secret: Record<string, unknown> = good, extra: Record<string, unknown> = {}, retries = 0) => {
    secrets.set(name, secret);
    return runAgainst(configFor([{ name, exchange: 'bitstamp', ...extra }], sim.origin), secrets, { retries });
  };

  function expectNothingSecret(report: Report, ...values: string[]): void {
    const text = JSON.stringify(report);
    for (const value of [base.secret, ...sentSignatures, ...values]) expect(text).not.toContain(value);
  }

  it('reports a healthy key as ok after both reads, with what Bitstamp cannot tell', async () => {
    const report = await run('healthy');
    const [result] = report.results;
    expect([result?.status, result?.findings]).toEqual(['ok', []]);
    expect(result?.permissions).toEqual({ view: true, futures: true, trade: null, transfer: null, ipRestricted: null });
    expect(result?.notes.join(' ')).toContain('Bitstamp does not tell whether it may trade');
    expect(result?.clock.source).toBe('date-header');
    expect(result?.clock.toleranceMs).toBe(150_000);
    expect(sim.seen.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      'GET /api/v2/margin_info/',
      'POST /api/v2/account_balances/',
    ]);
    expect(sim.seen.every((request) => request.headers['content-type'] === undefined)).toBe(true);
  });

  const otherSecret = randomBytes(16).toString('hex');
  it.each([
    ['unknown', { ...good, apiKey: 'neverIssued00000000000000000000001' }, {}, ['AUTH_INVALID_KEY']],
    ['wrong secret', { ...good, apiSecret: otherSecret }, {}, ['AUTH_INVALID_SIGNATURE']],
    ['ip bound', { ...good, apiKey: 'ipBoundKey0000000000000000000000001' }, {}, ['IP_NOT_ALLOWED']],
    ['frozen', { ...good, apiKey: 'frozenKey00000000000000000000000001' }, {}, ['KEY_EXPIRED']],
    ['no permission', { ...good, apiKey: 'noViewKey000000000000000000000001' }, {}, ['PERMISSION_MISSING', 'PERMISSION_MISSING']],
    ['no derivatives', { ...good, apiKey: 'spotOnlyKey00000000000000000000001' }, {}, ['PERMISSION_MISSING']],
    ['spot-only, checked as spot', { ...good, apiKey: 'spotOnlyKey00000000000000000000001' }, { expect: { futures: false } }, []],
    ['rate limited', { ...good, apiKey: 'busyKey000000000000000000000000001' }, {}, ['RATE_LIMITED']],
  ])('diagnoses the %s key without showing any secret', async (label, secret, extra, codes) => {
    const name = label.replace(/\W+/g, '-');
    const report = await run(name, secret, extra);
    expect(codesOf(report, name)).toEqual(codes);
    expectNothingSecret(report, otherSecret);
  });

  it('explains an account without derivatives through the futures permission', async () => {
    const report = await run('spot', { ...good, apiKey: 'spotOnlyKey00000000000000000000001' });
    const [result] = report.results;
    expect(result?.permissions).toEqual({ view: true, futures: false, trade: null, transfer: null, ipRestricted: null });
    expect(result?.findings[0]?.message).toContain('Trade account does not support derivatives.');
    expect(result?.findings[0]?.message).toContain('expect.futures is true');
  });

  it.each([
    ['without a signature', { 'content-type': 'application/json' }],
    ['with a signature of another body', { 'content-type': 'application/json', 'x-server-auth-signature': 'ab'.repeat(32) }],
  ])('never believes a success answer %s, though its body has the right shape', async (_label, headers) => {
    sim.misbehave('', {
      kind: 'status',
      status: 200,
      headers,
      body: '[{"currency": "usd", "total": "1", "available": "1", "reserved": "0"}]',
    });
    const report = await run('tampered');
    const [result] = report.results;
    expect(result?.status).not.toBe('ok');
    expect(codesOf(report, 'tampered')).toEqual(['UNEXPECTED_RESPONSE']);
    expect(result?.findings[0]?.message).toContain('not signed as Bitstamp signs its answers');
    expect(result?.permissions.view).toBeNull();
  });

  it('blames the clock, not the key, when our clock is 200 s ahead of Bitstamp', async () => {
    sim.skewMs = -200_000;
    const report = await run('ahead');
    const [result] = report.results;
    expect(codesOf(report, 'ahead')).toEqual(['CLOCK_SKEW_REJECTED']);
    expect(result?.findings[0]?.message).toContain('X-Auth-Timestamp header is out of boundaries');
    expect(result?.findings[0]?.message).toContain('the key works, the clock is wrong');
    expect(result?.permissions.view).toBe(true);
    expectNothingSecret(report);
  });

  it('warns of drift inside the window, 100 s behind Bitstamp', async () => {
    sim.skewMs = 100_000;
    const report = await run('drift');
    expect(codesOf(report, 'drift')).toEqual(['CLOCK_DRIFT']);
    expect(report.results[0]?.findings[0]?.message).toContain('of the 150000 ms the exchange accepts');
  });

  it('maps an HTML 503 and a 429 to what they are', async () => {
    sim.misbehave('', MISBEHAVIOURS.unavailableHtml);
    expect(codesOf(await run('down'), 'down')).toEqual(['EXCHANGE_UNAVAILABLE']);
    sim.reset();
    sim.misbehave('', MISBEHAVIOURS.rateLimitedHtml);
    expect(codesOf(await run('busy'), 'busy')).toEqual(['RATE_LIMITED']);
  });
});
