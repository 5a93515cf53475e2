import { createHmac, generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { SYSTEM_CLOCK } from '../../../lambda/clock';
import { classifyResponse } from '../../../lambda/engine/classify';
import { buildSignedRequest } from '../../../lambda/engine/exchange-requests';
import { runChecks } from '../../../lambda/engine/run-checks';
import { type BinanceUsdmCredentials, binanceUsdm, signBinancePayload } from '../../../lambda/exchanges/binance-usdm';
import { ADAPTERS } from '../../../lambda/exchanges/registry';
import type { Probe } from '../../../lambda/exchanges/types';
import type { HttpRequest } from '../../../lambda/http/http-client';
import { nodeTransport } from '../../../lambda/http/node-transport';
import { signWithCcxt } from '../../support/contracts/binance-usdm';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { binanceUsdmHandler } from '../../support/simulator/binance-usdm';
import { MISBEHAVIOURS, type SimKey, type SimRequest, type Simulator, startSimulator } from '../../support/simulator/sim-server';

const T_MS = 1_700_000_000_123;
const API_KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A';
const SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ED25519 = generateKeyPairSync('ed25519');
const RSA_PEM = RSA.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const RSA_PKCS1_PEM = RSA.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const ED25519_PEM = ED25519.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

function parse(secret: Record<string, unknown>): BinanceUsdmCredentials {
  const parsed = binanceUsdm.parseCredentials(secret);
  if (!parsed.ok) throw new Error(parsed.finding.message);
  return parsed.credentials;
}

function probe(path: string): Probe {
  const found = binanceUsdm.probes({ futures: true, sandbox: false }).find((p) => p.request.path === path);
  if (!found) throw new Error(`no probe ${path}`);
  return found;
}

const RESTRICTIONS = probe('/sapi/v1/account/apiRestrictions');
const BALANCE = probe('/fapi/v3/balance');

function signedFor(secret: { apiKey: string; apiSecret: string }, target: Probe): HttpRequest {
  return buildSignedRequest(binanceUsdm, parse(secret), target.request, signAt(T_MS, target.request.origin ?? binanceUsdm.origin)).http;
}

describe('binance-usdm signing', () => {
  // [V] developers.binance.com USDⓈ-M general info, "SIGNED Endpoint Examples for POST /fapi/v1/order".
  const DOCS = parse({
    apiKey: 'dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83',
    apiSecret: '2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9',
  });

  it('reproduces the USDⓈ-M docs HMAC example (query string or body alone)', () => {
    const totalParams = 'symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943';
    expect(signBinancePayload(DOCS, totalParams)).toBe('3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9');
  });

  // The docs' Example 3 prints `timestamp= 1591702613943` with a space; its signature matches only that text.
  it('reproduces the USDⓈ-M docs mixed query-and-body example, the query and the body joined with nothing between', () => {
    const totalParams =
      'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC' + 'quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943';
    expect(signBinancePayload(DOCS, totalParams)).toBe('f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2');
  });

  it.each([
    [
      'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559',
      'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71',
    ],
    [
      'symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559',
      'e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3',
    ],
  ])('reproduces the spot docs HMAC example %#, signed the same way', (totalParams, expected) => {
    // [V] binance/binance-spot-api-docs rest-api.md, "SIGNED endpoint examples for POST /api/v3/order".
    expect(signBinancePayload(parse({ apiKey: API_KEY, apiSecret: SECRET }), totalParams)).toBe(expected);
  });

  it('appends timestamp, recvWindow=5000 and, last, the hex HMAC of everything before it', () => {
    const ours = signedFor({ apiKey: API_KEY, apiSecret: SECRET }, BALANCE);
    const query = `timestamp=${T_MS}&recvWindow=5000`;
    const hmac = createHmac('sha256', SECRET).update(query).digest('hex');
    expect(ours.url).toBe(`https://fapi.binance.com/fapi/v3/balance?${query}&signature=${hmac}`);
    expect(ours.headers['X-MBX-APIKEY']).toBe(API_KEY);
    expect(ours.body).toBeUndefined();
  });

  it('sends the key restrictions read to api.binance.com and the futures read to fapi.binance.com', () => {
    expect(new URL(signedFor({ apiKey: API_KEY, apiSecret: SECRET }, RESTRICTIONS).url).origin).toBe('https://api.binance.com');
    expect(new URL(signedFor({ apiKey: API_KEY, apiSecret: SECRET }, BALANCE).url).origin).toBe('https://fapi.binance.com');
  });

  it('keeps a query of its own ahead of the signed parameters', () => {
    const signed = binanceUsdm.sign(
      { method: 'GET', path: '/fapi/v3/balance', query: 'a=1' },
      parse({ apiKey: API_KEY, apiSecret: SECRET }),
      signAt(T_MS),
    );
    const text = `a=1&timestamp=${T_MS}&recvWindow=5000`;
    expect(signed.query).toBe(`${text}&signature=${createHmac('sha256', SECRET).update(text).digest('hex')}`);
  });

  it('signs a POST over the query followed by its form body, with the signature last in the body', () => {
    const credentials = parse({ apiKey: API_KEY, apiSecret: SECRET });
    const signed = binanceUsdm.sign({ method: 'POST', path: '/x', query: 'symbol=BTCUSDT', body: 'quantity=1' }, credentials, signAt(T_MS));
    const body = `quantity=1&timestamp=${T_MS}&recvWindow=5000`;
    expect(signed.body).toBe(`${body}&signature=${createHmac('sha256', SECRET).update(`symbol=BTCUSDT${body}`).digest('hex')}`);
    expect(signed.query).toBeUndefined();
    expect(signed.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
  });

  it.each([
    ['RSA (PKCS#8)', RSA_PEM],
    ['RSA (PKCS#1)', RSA_PKCS1_PEM],
    ['Ed25519', ED25519_PEM],
  ])('signs every probe with an %s key exactly as ccxt does with a frozen clock', (_label, apiSecret) => {
    const secret = { apiKey: API_KEY, apiSecret };
    for (const target of [RESTRICTIONS, BALANCE]) {
      const ours = signedFor(secret, target);
      const theirs = signWithCcxt(target.request, secret, T_MS);
      expect([target.label, ours.url, ours.headers['X-MBX-APIKEY']]).toEqual([target.label, theirs?.url, theirs?.headers['X-MBX-APIKEY']]);
    }
  });

  it.each([
    ['RSA', RSA_PEM, RSA.publicKey, 'sha256'],
    ['Ed25519', ED25519_PEM, ED25519.publicKey, null],
  ] as const)(
    'signs with an %s key so that the registered public key verifies the percent-encoded base64',
    (_label, pem, publicKey, hash) => {
      const signed = binanceUsdm.sign(BALANCE.request, parse({ apiKey: API_KEY, apiSecret: pem }), signAt(T_MS));
      const [, payload = '', signature = ''] = /^(.*)&signature=([^&]+)$/.exec(signed.query ?? '') ?? [];
      expect(payload).toBe(`timestamp=${T_MS}&recvWindow=5000`);
      expect(signature).not.toMatch(/[+/=]/);
      const plain = decodeURIComponent(signature);
      expect(verify(hash, Buffer.from(payload), publicKey, Buffer.from(plain, 'base64'))).toBe(true);
      expect(signed.sensitive).toEqual([signature, plain]);
    },
  );

  // ccxt 4.5.84 takes a PEM of 120 characters or fewer for Ed25519 and any longer one for RSA [C]; the key's
  // own type is what decides here, so CRLF line ends or JSON-escaped newlines do not change the scheme.
  it.each([
    ['an HMAC secret', SECRET, 'HMAC'],
    ['an RSA PKCS#8 PEM', RSA_PEM, 'RSA'],
    ['an RSA PKCS#1 PEM', RSA_PKCS1_PEM, 'RSA'],
    ['an Ed25519 PEM', ED25519_PEM, 'Ed25519'],
    ['an Ed25519 PEM with CRLF line ends', ED25519_PEM.replace(/\n/g, '\r\n'), 'Ed25519'],
    ['an Ed25519 PEM with JSON-escaped newlines', ED25519_PEM.replace(/\n/g, '\\n'), 'Ed25519'],
  ])('reads %s as a %s key', (_label, apiSecret, keyType) => {
    expect(parse({ apiKey: API_KEY, apiSecret }).keyType).toBe(keyType);
  });

  it('signs an Ed25519 PEM with CRLF line ends as Ed25519', () => {
    const signed = binanceUsdm.sign(
      BALANCE.request,
      parse({ apiKey: API_KEY, apiSecret: ED25519_PEM.replace(/\n/g, '\r\n') }),
      signAt(T_MS),
    );
    const [, payload = '', signature = ''] = /^(.*)&signature=([^&]+)$/.exec(signed.query ?? '') ?? [];
    expect(verify(null, Buffer.from(payload), ED25519.publicKey, Buffer.from(decodeURIComponent(signature), 'base64'))).toBe(true);
  });

  const ENCRYPTED = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' },
  }).privateKey;
  const EC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ED25519_BODY = ED25519_PEM.split('\n')[1] ?? '';

  it.each([
    [{ apiKey: API_KEY, apiSecret: publicPem(ED25519.publicKey) }, 'field "apiSecret" holds a public key'],
    [{ apiKey: API_KEY, apiSecret: ENCRYPTED }, 'field "apiSecret" is an encrypted private key'],
    [{ apiKey: API_KEY, apiSecret: EC_PEM }, 'field "apiSecret" is a private key of type ec'],
    [{ apiKey: API_KEY, apiSecret: ED25519_BODY }, 'field "apiSecret" looks like the inside of a private key PEM'],
    [{ apiKey: API_KEY, apiSecret: `${SECRET.slice(0, 30)}\n${SECRET.slice(30)}` }, 'field "apiSecret" contains a space or a line break'],
    [{ apiKey: `${API_KEY.slice(0, 30)} ${API_KEY.slice(30)}`, apiSecret: SECRET }, 'field "apiKey" contains a space or a line break'],
    [{ apiKey: ED25519_PEM, apiSecret: SECRET }, 'field "apiKey" holds a PEM'],
    [{ apiKey: API_KEY, apiSecret: 42 }, 'field "apiSecret" must be a non-empty string'],
  ])('rejects a malformed secret naming the field, never its value (%#)', (secret, words) => {
    const parsed = binanceUsdm.parseCredentials(secret);
    expect(parsed.ok ? 'parsed' : parsed.finding.code).toBe('SECRET_INVALID');
    if (parsed.ok) return;
    expect(parsed.finding.message).toContain(words);
    for (const value of Object.values(secret))
      if (typeof value === 'string') expect(parsed.finding.message).not.toContain(value.slice(0, 20));
  });

  it('lists every line of a PEM as a value that must never be shown', () => {
    const values = binanceUsdm.secretValues(parse({ apiKey: API_KEY, apiSecret: RSA_PEM }));
    expect(values[0]).toBe(RSA_PEM.trim());
    for (const line of RSA_PEM.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))) expect(values).toContain(line);
  });
});

describe('binance-usdm answers', () => {
  it.each([
    [{ code: -2015, msg: 'x' }, '-2015'],
    [{ code: '-1021', msg: 'x' }, '-1021'],
    [{ code: 0, msg: 'Service unavailable from a restricted location' }, undefined],
    [{ code: 200, msg: 'success' }, undefined],
    [[{ asset: 'USDT' }], undefined],
    [{ serverTime: 1 }, undefined],
    [null, undefined],
  ])('reads the error code of %j as %s', (body, code) => {
    expect(binanceUsdm.readError?.(body)).toBe(code);
  });

  it('reads the server time from serverTime and refuses anything else', () => {
    expect(binanceUsdm.time?.read({ serverTime: 1499827319559 })).toBe(1499827319559);
    expect(() => binanceUsdm.time?.read({ serverTime: '1499827319559' })).toThrow('field "serverTime" is not a number');
  });

  // [V] wallet "Get API Key Permission" response example (older version, with tradingAuthorityExpirationTime).
  const DOCS_EXAMPLE = {
    ipRestrict: false,
    createTime: 1698645219000,
    enableReading: true,
    enableWithdrawals: false,
    enableInternalTransfer: false,
    enableMargin: false,
    enableFutures: false,
    permitsUniversalTransfer: false,
    enableVanillaOptions: false,
    enableFixApiTrade: false,
    enableFixReadOnly: true,
    enableSpotAndMarginTrading: false,
    enablePortfolioMarginTrading: true,
    tradingAuthorityExpirationTime: 1628985600000,
  };

  it('reads every restriction flag, the creation date and the trading-permission expiry', () => {
    const reading = RESTRICTIONS.read(DOCS_EXAMPLE, { nowMs: T_MS });
    expect(reading.permissions).toEqual({ view: true, futures: false, trade: true, transfer: false, ipRestricted: false });
    expect(reading.exchangeExpiresAt).toBe('2021-08-15T00:00:00.000Z');
    expect(reading.keyCreatedAt).toBe('2023-10-30T05:53:39.000Z');
    expect(reading.notes).toEqual([
      expect.stringContaining('enableFutures false'),
      expect.stringMatching(/^Binance reports tradingAuthorityExpirationTime 2021-08-15T00:00:00.000Z \(passed\): .*keeps working/),
    ]);
  });

  it.each(['enableWithdrawals', 'enableInternalTransfer', 'permitsUniversalTransfer'])(
    'takes %s alone as a right to move funds',
    (flag) => {
      const reading = RESTRICTIONS.read({ ...DOCS_EXAMPLE, [flag]: true }, { nowMs: T_MS });
      expect(reading.permissions?.transfer).toBe(true);
      expect(reading.notes).toContain(`Binance reports ${flag} for this key: it can move funds.`);
    },
  );

  it.each([
    [{ enableSpotAndMarginTrading: false, enablePortfolioMarginTrading: false, enableFutures: false }, false],
    [{ enableSpotAndMarginTrading: false, enablePortfolioMarginTrading: false, enableFutures: true }, true],
    [{ enableSpotAndMarginTrading: true, enablePortfolioMarginTrading: false, enableFutures: false }, true],
  ])('reads trade from every trading flag (%j → %s)', (flags, trade) => {
    expect(RESTRICTIONS.read({ ...DOCS_EXAMPLE, ...flags }, { nowMs: T_MS }).permissions?.trade).toBe(trade);
  });

  it.each([0, undefined])('reports no expiry when tradingAuthorityExpirationTime is %s', (value) => {
    const reading = RESTRICTIONS.read({ ...DOCS_EXAMPLE, tradingAuthorityExpirationTime: value }, { nowMs: T_MS });
    expect(reading.exchangeExpiresAt).toBeNull();
    expect(reading.notes?.some((note) => note.includes('tradingAuthorityExpirationTime'))).toBe(false);
  });

  it.each([
    [[DOCS_EXAMPLE], 'expected an object of key restrictions'],
    [{ ...DOCS_EXAMPLE, enableFutures: 'true' }, 'field "enableFutures" is not a boolean'],
    [{ ...DOCS_EXAMPLE, ipRestrict: undefined }, 'field "ipRestrict" is not a boolean'],
    [{ ...DOCS_EXAMPLE, enableFixApiTrade: 1 }, 'field "enableFixApiTrade" is not a boolean'],
    [{ ...DOCS_EXAMPLE, createTime: undefined }, 'field "createTime" is not a number'],
    [{ ...DOCS_EXAMPLE, tradingAuthorityExpirationTime: '1628985600000' }, 'field "tradingAuthorityExpirationTime" is not a time'],
  ])('refuses a restrictions answer of the wrong shape, naming the field (%#)', (body, words) => {
    expect(() => RESTRICTIONS.read(body, { nowMs: T_MS })).toThrow(words);
  });

  it('reads a list of balances as a futures wallet the key may view, and refuses another shape', () => {
    const wallet = [{ asset: 'USDT', balance: '0.00000000' }];
    expect(BALANCE.read(wallet, { nowMs: T_MS })).toEqual({ permissions: { view: true, futures: true } });
    expect(() => BALANCE.read([], { nowMs: T_MS })).toThrow('the list of balances is empty');
    expect(() => BALANCE.read({ asset: 'USDT' }, { nowMs: T_MS })).toThrow('expected a list of balances');
    expect(() => BALANCE.read([{ asset: 'USDT', balance: 1 }], { nowMs: T_MS })).toThrow('field "[0].balance" is not a string');
  });

  it.each([
    [{ futures: true, sandbox: false }, ['/sapi/v1/account/apiRestrictions', '/fapi/v3/balance']],
    [{ futures: false, sandbox: false }, ['/sapi/v1/account/apiRestrictions']],
    [{ futures: true, sandbox: true }, ['/fapi/v3/balance']],
    [{ futures: false, sandbox: true }, ['/fapi/v3/balance']],
  ])('sends for the scope %j exactly the reads %j', (scope, paths) => {
    expect(binanceUsdm.probes(scope).map((p) => p.request.path)).toEqual(paths);
  });

  it('quotes Retry-After when Binance bans the IP with a 418', () => {
    const classified = classifyResponse(binanceUsdm, BALANCE.request, {
      status: 418,
      headers: { 'retry-after': '120' },
      body: '{"code":-1003,"msg":"Way too many requests; IP banned until 1700000120000. Please use the websocket for live updates to avoid bans."}',
      sentAtMs: 0,
      receivedAtMs: 1,
      attempts: 1,
    });
    expect(classified.ok ? 'ok' : [classified.code, classified.finding.message]).toEqual([
      'RATE_LIMITED',
      expect.stringContaining('Retry-After: 120'),
    ]);
  });
});

describe('binance-usdm simulator', () => {
  const key: SimKey = { apiKey: API_KEY, secret: SECRET, permissions: { view: true, trade: false, transfer: false }, futures: true };
  const keys = new Map([[API_KEY, key]]);
  const request = (query: string): SimRequest => ({
    method: 'GET',
    path: '/fapi/v3/balance',
    query,
    headers: { 'x-mbx-apikey': API_KEY },
    body: '',
    serverNowMs: T_MS,
    remoteAddress: '127.0.0.1',
  });
  const sign = (text: string) => createHmac('sha256', SECRET).update(text).digest('hex');

  it('takes the hex signature in either case', () => {
    const text = `timestamp=${T_MS}&recvWindow=5000`;
    expect(binanceUsdmHandler(request(`${text}&signature=${sign(text).toUpperCase()}`), keys).status).toBe(200);
  });

  it.each([
    [`timestamp=${T_MS}&recvWindow=60001`, -1131],
    [`recvWindow=5000`, -1102],
    [`timestamp=${T_MS + 1000}&recvWindow=5000`, -1021],
    [`timestamp=${T_MS - 5001}&recvWindow=5000`, -1021],
  ])('refuses %s with %s', (text, code) => {
    expect(JSON.parse(binanceUsdmHandler(request(`${text}&signature=${sign(text)}`), keys).body).code).toBe(code);
  });

  it('accepts a timestamp up to the recvWindow behind and under a second ahead', () => {
    for (const timestamp of [T_MS - 5000, T_MS + 999]) {
      const text = `timestamp=${timestamp}&recvWindow=5000`;
      expect([timestamp, binanceUsdmHandler(request(`${text}&signature=${sign(text)}`), keys).status]).toEqual([timestamp, 200]);
    }
  });

  it('refuses a signature that is not the last parameter', () => {
    const text = `timestamp=${T_MS}&recvWindow=5000`;
    const answer = JSON.parse(binanceUsdmHandler(request(`signature=${sign(text)}&${text}`), keys).body);
    expect(answer).toEqual({ code: -1102, msg: "Mandatory parameter 'signature' was not sent, was empty/null, or malformed." });
  });
});

describe('binance-usdm against the simulator', () => {
  let sim: Simulator;
  const secrets = new MemorySecrets();
  const rsaKey = 'rsaKey'.padEnd(64, 'R');
  const edKey = 'edKey'.padEnd(64, 'E');
  const simKey = (apiKey: string, more: Partial<SimKey> = {}): SimKey => ({
    apiKey,
    secret: SECRET,
    permissions: { view: true, trade: false, transfer: false },
    futures: true,
    ...more,
  });
  const named = (name: string) => name.padEnd(64, 'x');

  beforeAll(async () => {
    sim = await startSimulator(binanceUsdmHandler, {
      keys: [
        simKey(API_KEY),
        simKey(rsaKey, { secret: publicPem(RSA.publicKey) }),
        simKey(edKey, { secret: publicPem(ED25519.publicKey) }),
        simKey(named('noFutures'), { futures: false }),
        simKey(named('ipBlocked'), { ipRestricted: true, ipBlocked: true }),
        simKey(named('universal'), {
          permissions: { view: true, trade: false, transfer: true },
          extra: { transferBy: 'permitsUniversalTransfer' },
        }),
        simKey(named('ending'), { expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString() }),
        simKey(named('ended'), { expiresAt: new Date(Date.now() - 86_400_000).toISOString() }),
        simKey(named('old'), { extra: { createTime: Date.now() - 200 * 86_400_000 } }),
      ],
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
  });

  async function check(secret: Record<string, unknown>, more: Record<string, unknown> = {}, retries = 1) {
    const name = `k${secrets.secrets.size}`;
    secrets.set(name, secret);
    const report = await runAgainst(configFor([{ name, exchange: 'binance-usdm', ...more }], sim.origin), secrets, { retries });
    const [result] = report.results;
    if (!result) throw new Error('no result');
    return { codes: codesOf(report, name), result };
  }

  it.each([
    ['an HMAC key', { apiKey: API_KEY, apiSecret: SECRET }, []],
    ['an RSA key', { apiKey: rsaKey, apiSecret: RSA_PEM }, []],
    ['an Ed25519 key', { apiKey: edKey, apiSecret: ED25519_PEM }, []],
    ['a key Binance never issued', { apiKey: named('unknown'), apiSecret: SECRET }, ['AUTH_INVALID_KEY']],
    ['a key cut short', { apiKey: API_KEY.slice(0, 40), apiSecret: SECRET }, ['AUTH_INVALID_KEY']],
    ['another key’s secret', { apiKey: API_KEY, apiSecret: SECRET.split('').reverse().join('') }, ['AUTH_INVALID_SIGNATURE']],
    ['an RSA key stored with another private key', { apiKey: rsaKey, apiSecret: ED25519_PEM }, ['AUTH_INVALID_SIGNATURE']],
    ['a key without futures', { apiKey: named('noFutures'), apiSecret: SECRET }, ['PERMISSION_MISSING']],
    ['a key that may use the universal transfer', { apiKey: named('universal'), apiSecret: SECRET }, ['PERMISSION_EXCESSIVE']],
    ['a key whose trading permission ends in 3 days', { apiKey: named('ending'), apiSecret: SECRET }, ['KEY_EXPIRING']],
    ['a key whose trading permission has ended', { apiKey: named('ended'), apiSecret: SECRET }, ['KEY_EXPIRED']],
    // Binance's createTime is the key's age, even for a secret without createdAt.
    ['a key Binance created 200 days ago', { apiKey: named('old'), apiSecret: SECRET }, ['ROTATION_OVERDUE']],
  ])('diagnoses %s', async (_label, secret, codes) => {
    expect((await check(secret)).codes).toEqual(codes);
  });

  it('reports everything the key restrictions tell, with the exchange clock', async () => {
    sim.skewMs = 1000;
    const { result } = await check({ apiKey: API_KEY, apiSecret: SECRET });
    expect(result.permissions).toEqual({ view: true, futures: true, trade: true, transfer: false, ipRestricted: false });
    expect(result.clock.source).toBe('time-endpoint');
    expect(result.clock.toleranceMs).toBe(5000);
    // Binance's creation date is the key's age: rotation is judged from it.
    expect(result.expiry.keyAgeDays).toBe(10);
    expect(result.findings).toEqual([]);
    expect(sim.seen.map((r) => r.path).sort()).toEqual(['/fapi/v1/time', '/fapi/v3/balance', '/sapi/v1/account/apiRestrictions']);
  });

  it('reads a -2015 on the futures read as the missing futures permission when the restrictions read worked', async () => {
    const { result } = await check({ apiKey: named('noFutures'), apiSecret: SECRET });
    expect(result.permissions.futures).toBe(false);
    expect(result.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^The key cannot read the futures account \(expect\.futures is true\)\..*-2015.*Another read of the same key succeeded/,
      ),
    ]);
  });

  it('reports a -2015 on both reads as an invalid key or a refused IP, quoting the IP Binance saw', async () => {
    const { codes, result } = await check({ apiKey: named('ipBlocked'), apiSecret: SECRET });
    expect(codes).toEqual(['AUTH_INVALID_KEY']);
    expect(result.findings[0]?.message).toContain('request ip: 127.0.0.1');
    expect(result.findings[0]?.message).toContain('outside the key’s allow-list');
  });

  it('warns of a clock 800 ms ahead, where Binance refuses 1 s, but not of one 2 s behind', async () => {
    sim.skewMs = -800;
    expect((await check({ apiKey: API_KEY, apiSecret: SECRET })).codes).toEqual(['CLOCK_DRIFT']);
    sim.skewMs = 2000;
    expect((await check({ apiKey: API_KEY, apiSecret: SECRET })).codes).toEqual([]);
  });

  it('blames the clock when Binance refuses a timestamp 1.5 s ahead and the corrected retry works', async () => {
    sim.skewMs = -1500;
    const { codes, result } = await check({ apiKey: API_KEY, apiSecret: SECRET });
    expect(codes).toEqual(['CLOCK_SKEW_REJECTED']);
    expect(result.findings[0]?.message).toContain("was 1000ms ahead of the server's time");
    expect(result.findings[0]?.message).toMatch(/Measured offset \+1\d{3} ms .*it accepts 1000 ms in that direction/);
    expect(result.permissions.futures).toBe(true);
  });

  it('takes a WAF 403 on the futures read for a limit, not for a verdict on the key', async () => {
    sim.misbehave('/fapi/v3', {
      kind: 'status',
      status: 403,
      headers: { 'content-type': 'text/html' },
      body: '<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1>Request blocked.</BODY></HTML>',
    });
    const { codes, result } = await check({ apiKey: API_KEY, apiSecret: SECRET }, {}, 0);
    expect(codes).toEqual(['RATE_LIMITED']);
    expect(result.findings[0]?.message).toContain('web application firewall');
    expect(result.permissions.futures).toBe(true);
  });

  it('reports the 503 page of a maintenance as the exchange, not the key', async () => {
    sim.misbehave('', MISBEHAVIOURS.unavailableHtml);
    expect((await check({ apiKey: API_KEY, apiSecret: SECRET }, {}, 0)).codes).toEqual(['EXCHANGE_UNAVAILABLE']);
  });

  /** Runs one key without a baseUrl, as in production, sending each request to the simulator instead; returns the hosts it named. */
  async function checkRouted(name: string, more: Record<string, unknown> = {}) {
    const hosts: string[] = [];
    secrets.set(name, { apiKey: API_KEY, apiSecret: SECRET });
    const run = await runChecks(configFor([{ name, exchange: 'binance-usdm', ...more }]), {
      transport: (request, signal) => {
        const url = new URL(request.url);
        hosts.push(`${url.host}${url.pathname}`);
        return nodeTransport({ ...request, url: `${sim.origin}${url.pathname}${url.search}` }, signal);
      },
      clock: SYSTEM_CLOCK,
      secrets,
      adapters: ADAPTERS,
      deadlineAtMs: Date.now() + 10_000,
    });
    const [result] = run.report.results;
    if (!result) throw new Error('no result');
    return { hosts: hosts.sort(), result };
  }

  it('sends the key restrictions read to api.binance.com and the others to fapi.binance.com in production', async () => {
    const { hosts, result } = await checkRouted('production');
    expect(result.findings).toEqual([]);
    expect(hosts).toEqual([
      'api.binance.com/sapi/v1/account/apiRestrictions',
      'fapi.binance.com/fapi/v1/time',
      'fapi.binance.com/fapi/v3/balance',
    ]);
  });

  it('reads only the futures balance on the demo host, and says what that cannot tell', async () => {
    const { hosts, result } = await checkRouted('demo', { sandbox: true });
    expect(result.findings).toEqual([]);
    expect(hosts).toEqual(['demo-fapi.binance.com/fapi/v1/time', 'demo-fapi.binance.com/fapi/v3/balance']);
    expect(result.permissions).toEqual({ view: true, futures: true, trade: null, transfer: null, ipRestricted: null });
    expect(result.notes).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Not checked: Binance USDⓈ-M does not tell whether it may trade/)]),
    );
  });
});
