import { createHmac, createPrivateKey, generateKeyPairSync, verify } from 'node:crypto';
import ccxt from 'ccxt';
import { classifyResponse } from '../../../lambda/engine/classify';
import { resolveOrigin } from '../../../lambda/engine/exchange-requests';
import { BYBIT_RECV_WINDOW_MS, type BybitCredentials, bybit } from '../../../lambda/exchanges/bybit';
import type { ExchangeAdapter, ExchangeRequest, Probe } from '../../../lambda/exchanges/types';
import type { Report } from '../../../lambda/report';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { bybitHandler, rsaKeyPair } from '../../support/simulator/bybit';
import { type ExchangeHandler, type SimKey, type SimRequest, type Simulator, startSimulator } from '../../support/simulator/sim-server';

const T_MS = 1_700_000_000_123;
const KEY_INFO: ExchangeRequest = { method: 'GET', path: '/v5/user/query-api' };
const WALLET: ExchangeRequest = { method: 'GET', path: '/v5/account/wallet-balance', query: 'accountType=UNIFIED' };
// The sample key and secret of pybit's own tests (tests/test_pybit.py).
const API_KEY = 'CFEJUGQEQPPHGOHGHM';
const SECRET = 'VDFZSSPUTKRJMXAVMJXBHEXIPZNZJIZUBVRQ';
const RSA = rsaKeyPair();

function credentialsOf(secret: Record<string, unknown>): BybitCredentials {
  const parsed = bybit.parseCredentials(secret);
  if (!parsed.ok) throw new Error(parsed.finding.message);
  return parsed.credentials;
}

function frozenCcxt(apiKey: string, secret: string) {
  const exchange = new ccxt.bybit({ apiKey, secret });
  exchange.milliseconds = () => T_MS;
  exchange.options.timeDifference = 0;
  return exchange;
}

const hmacHex = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

function probe(label: 'introspection' | 'futures'): Probe {
  const found = bybit.probes({ futures: true, sandbox: false }).find((p) => p.purpose === label);
  if (!found) throw new Error(`no ${label} probe`);
  return found;
}

describe('bybit signing', () => {
  const hmac = credentialsOf({ apiKey: API_KEY, apiSecret: SECRET });

  it.each([
    ['the key read', KEY_INFO, 'v5/user/query-api', {}],
    ['the wallet read', WALLET, 'v5/account/wallet-balance', { accountType: 'UNIFIED' }],
  ])('signs %s with an HMAC secret as ccxt 4.5.84 does, byte for byte', (_label, request, ccxtPath, params) => {
    const oracle = frozenCcxt(API_KEY, SECRET).sign(ccxtPath, 'private', 'GET', params);
    const ours = bybit.sign(request, hmac, signAt(T_MS, bybit.origin));
    expect(ours.headers).toEqual({
      'X-BAPI-API-KEY': oracle.headers['X-BAPI-API-KEY'],
      'X-BAPI-TIMESTAMP': oracle.headers['X-BAPI-TIMESTAMP'],
      'X-BAPI-RECV-WINDOW': oracle.headers['X-BAPI-RECV-WINDOW'],
      'X-BAPI-SIGN': oracle.headers['X-BAPI-SIGN'],
    });
    expect(ours.headers['X-BAPI-SIGN']).toMatch(/^[0-9a-f]{64}$/);
    expect(oracle.url).toBe(`${bybit.origin}${request.path}?${request.query ?? ''}`);
  });

  it('signs an RSA key as ccxt 4.5.84 does, byte for byte, and the signature verifies with the public key', () => {
    const rsa = credentialsOf({ apiKey: API_KEY, apiSecret: RSA.privatePem });
    const oracle = frozenCcxt(API_KEY, RSA.privatePem).sign('v5/account/wallet-balance', 'private', 'GET', { accountType: 'UNIFIED' });
    const ours = bybit.sign(WALLET, rsa, signAt(T_MS, bybit.origin));
    const signature = String(ours.headers['X-BAPI-SIGN']);
    expect(signature).toBe(oracle.headers['X-BAPI-SIGN']);
    expect(Buffer.from(signature, 'base64')).toHaveLength(256);
    const prehash = `${T_MS}${API_KEY}5000accountType=UNIFIED`;
    expect(verify('sha256', Buffer.from(prehash), RSA.publicPem, Buffer.from(signature, 'base64'))).toBe(true);
  });

  // The guide's worked example (bybit-exchange/docs:docs/v5/guide.mdx) gives the prehash strings but never
  // the secret, so its signatures (410e0f38…, f0da7197…) cannot be recomputed: the layout is what is tested.
  it.each([
    [
      'GET',
      { method: 'GET', path: '/v5/order/realtime', query: 'category=option&symbol=BTC-29JUL22-25000-C' },
      1658384314791,
      '1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C',
    ],
    [
      'POST',
      { method: 'POST', path: '/v5/order/create', body: '{"category": "option"}' },
      1658385579423,
      '1658385579423XXXXXXXXXX5000{"category": "option"}',
    ],
  ] as const)('signs a %s request over the prehash string of the guide’s example', (_method, request, nowMs, prehash) => {
    const c = credentialsOf({ apiKey: 'XXXXXXXXXX', apiSecret: SECRET });
    expect(bybit.sign(request, c, signAt(nowMs, bybit.origin)).headers['X-BAPI-SIGN']).toBe(hmacHex(SECRET, prehash));
  });

  it('signs the wallet read for key "k" and secret "s" at 1700000000123 as ccxt 4.5.84 does', () => {
    const signed = bybit.sign(WALLET, credentialsOf({ apiKey: 'k', apiSecret: 's' }), signAt(T_MS, bybit.origin));
    expect(signed.headers['X-BAPI-SIGN']).toBe('38ee66c20dc4421e9e98a35c0f6178f32a4e407fcb199855ce7a1a140483cb63');
  });

  it('signs the query exactly as it is sent, so reordered parameters give another signature', () => {
    const ab = bybit.sign({ ...WALLET, query: 'accountType=UNIFIED&coin=USDT' }, hmac, signAt(T_MS, bybit.origin));
    const ba = bybit.sign({ ...WALLET, query: 'coin=USDT&accountType=UNIFIED' }, hmac, signAt(T_MS, bybit.origin));
    expect(ab.headers['X-BAPI-SIGN']).toBe(hmacHex(SECRET, `${T_MS}${API_KEY}5000accountType=UNIFIED&coin=USDT`));
    expect(ab.headers['X-BAPI-SIGN']).not.toBe(ba.headers['X-BAPI-SIGN']);
    expect(ab.query).toBeUndefined();
  });

  it('sends a whole-millisecond timestamp and the 5000 ms recv_window, and hides the signature and the timestamp', () => {
    const signed = bybit.sign(KEY_INFO, hmac, signAt(T_MS + 0.9, bybit.origin));
    expect(signed.headers['X-BAPI-TIMESTAMP']).toBe(String(T_MS));
    expect(signed.headers['X-BAPI-RECV-WINDOW']).toBe(String(BYBIT_RECV_WINDOW_MS));
    expect(signed.sensitive).toEqual([signed.headers['X-BAPI-SIGN'], String(T_MS)]);
  });
});

describe('bybit secret', () => {
  it.each([
    ['no apiKey', { apiSecret: SECRET }, 'has no "apiKey" field'],
    ['a blank apiSecret', { apiKey: API_KEY, apiSecret: '  ' }, 'field "apiSecret" must be a non-empty string'],
    ['a trailing newline on the secret', { apiKey: API_KEY, apiSecret: `${SECRET}\n` }, 'field "apiSecret" contains whitespace'],
    ['a space after the key', { apiKey: `${API_KEY} `, apiSecret: SECRET }, 'field "apiKey" contains whitespace'],
    ['a PEM as the key', { apiKey: RSA.privatePem, apiSecret: SECRET }, 'field "apiKey" must be the API key Bybit shows'],
    ['the RSA public key', { apiKey: API_KEY, apiSecret: RSA.publicPem }, 'field "apiSecret" is a public key PEM'],
    [
      'a broken PEM',
      { apiKey: API_KEY, apiSecret: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
      'field "apiSecret" is not a valid RSA private key PEM',
    ],
    [
      'an EC private key',
      {
        apiKey: API_KEY,
        apiSecret: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      'field "apiSecret" is a private key PEM but not an RSA key',
    ],
  ])('rejects a secret with %s, naming the field but not the value', (_label, secret, expected) => {
    const parsed = bybit.parseCredentials(secret);
    expect(parsed.ok ? 'parsed' : parsed.finding.code).toBe('SECRET_INVALID');
    if (parsed.ok) return;
    expect(parsed.finding.message).toContain(expected);
    expect(parsed.finding.message).not.toContain(SECRET);
    expect(parsed.finding.message).not.toContain('BEGIN');
  });

  it.each([
    ['PKCS#8', RSA.privatePem],
    ['PKCS#8 with JSON-escaped newlines', RSA.privatePem.replace(/\n/g, '\\n')],
    ['PKCS#1', createPrivateKey(RSA.privatePem).export({ type: 'pkcs1', format: 'pem' }).toString()],
  ])('reads an RSA private key as %s', (_label, apiSecret) => {
    const c = credentialsOf({ apiKey: API_KEY, apiSecret });
    expect(c.kind).toBe('rsa');
    const signature = String(bybit.sign(KEY_INFO, c, signAt(T_MS, bybit.origin)).headers['X-BAPI-SIGN']);
    expect(verify('sha256', Buffer.from(`${T_MS}${API_KEY}5000`), RSA.publicPem, Buffer.from(signature, 'base64'))).toBe(true);
  });

  it('lists the HMAC secret, or the PEM and each of its body lines, as values never to show', () => {
    expect(bybit.secretValues(credentialsOf({ apiKey: API_KEY, apiSecret: SECRET }))).toEqual([SECRET]);
    const values = bybit.secretValues(credentialsOf({ apiKey: API_KEY, apiSecret: RSA.privatePem }));
    expect(values[0]).toBe(RSA.privatePem.trim());
    const bodyLines = RSA.privatePem.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'));
    expect(values.slice(1)).toEqual(bodyLines);
  });
});

// The current response example of docs/v5/user/apikey-info.mdx (an IP-bound key), and its earlier one
// (an unbound key, up to docs commit 3fc476a).
const DOC_KEY_INFO = {
  id: '2208369',
  note: 'testnet',
  apiKey: 'XXXXXXXX',
  readOnly: 1,
  secret: '',
  permissions: {
    ContractTrade: ['Order', 'Position'],
    Spot: ['SpotTrade'],
    Wallet: ['AccountTransfer', 'SubMemberTransfer'],
    Options: [],
    Derivatives: ['DerivativesTrade'],
    CopyTrading: [],
    BlockTrade: [],
    Exchange: ['ExchangeHistory'],
    NFT: [],
    Affiliate: [],
    Earn: ['Earn'],
    FiatP2P: ['FiatP2POrder', 'Advertising'],
    FiatConvertBroker: ['FiatConvertBrokerOrder'],
    FiatGlobalPay: [],
    FiatBitPay: ['FaitPayOrder'],
    BitCard: ['BitCard'],
    ByXPost: ['ByXPost'],
  },
  ips: ['18.181.170.164', '13.212.45.47', '13.212.45.48'],
  type: 1,
  deadlineDay: -2,
  expiredAt: '1970-01-01T00:00:00Z',
  createdAt: '2025-10-13T03:20:45Z',
  unified: 0,
  uta: 1,
  userID: 1448939,
  isMaster: true,
  parentUid: '0',
};
const OLD_DOC_KEY_INFO = {
  ...DOC_KEY_INFO,
  readOnly: 0,
  permissions: { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'], Wallet: [], Options: [], Derivatives: [], Exchange: [] },
  ips: ['*'],
  deadlineDay: 66,
  expiredAt: '2023-12-22T07:20:25Z',
  createdAt: '2022-10-16T02:24:40Z',
};
const ok = (result: unknown) => ({ retCode: 0, retMsg: '', result, retExtInfo: {}, time: 1776149990532 });
const readKeyInfo = (result: unknown) => probe('introspection').read(ok(result), { nowMs: T_MS });

describe('bybit key information', () => {
  it('reads the documented IP-bound key: no expiry, wallet rights counted as transfer even though read-only', () => {
    const reading = readKeyInfo(DOC_KEY_INFO);
    expect(reading.permissions).toEqual({ view: true, trade: false, transfer: true, futures: true, ipRestricted: true });
    expect(reading.exchangeExpiresAt).toBeNull();
    expect(reading.notes).toEqual([
      expect.stringContaining('read-only, yet Bybit lists the wallet rights AccountTransfer, SubMemberTransfer'),
    ]);
  });

  it('reads the documented unbound key: its expiry, no IP allow-list, trade from a read-write key', () => {
    const reading = readKeyInfo(OLD_DOC_KEY_INFO);
    expect(reading.permissions).toEqual({ view: true, trade: true, transfer: false, futures: true, ipRestricted: false });
    expect(reading.exchangeExpiresAt).toBe('2023-12-22T07:20:25.000Z');
    expect(reading.notes).toEqual([expect.stringContaining('without an IP allow-list 90 days after it was created')]);
  });

  it.each([
    [
      'a read-write key with only wallet and convert rights cannot trade',
      { readOnly: 0, permissions: { Wallet: [], Exchange: ['ExchangeHistory'] } },
      { trade: false, futures: false },
    ],
    ['a withdrawal right is a transfer right', { permissions: { Wallet: ['Withdraw'] } }, { transfer: true }],
    ['a sub-account transfer right is a transfer right', { permissions: { Wallet: ['SubMemberTransferList'] } }, { transfer: true }],
    [
      'an options right alone is no futures right',
      { readOnly: 0, permissions: { Options: ['OptionsTrade'] } },
      { trade: true, futures: false },
    ],
  ])('reads that %s', (_label, change, expected) => {
    expect(readKeyInfo({ ...OLD_DOC_KEY_INFO, ...change }).permissions).toMatchObject(expected);
  });

  it.each([
    ['no result', { retCode: 0, retMsg: 'OK' }, 'field "result" is not an object'],
    ['readOnly missing', ok({ ...DOC_KEY_INFO, readOnly: undefined }), 'field "result.readOnly" is neither 0 nor 1'],
    ['readOnly as text', ok({ ...DOC_KEY_INFO, readOnly: '1' }), 'field "result.readOnly" is neither 0 nor 1'],
    ['permissions missing', ok({ ...DOC_KEY_INFO, permissions: undefined }), 'field "result.permissions" is not an object'],
    [
      'a permission group as text',
      ok({ ...DOC_KEY_INFO, permissions: { Spot: 'SpotTrade' } }),
      'field "result.permissions.Spot" is not a list',
    ],
    ['ips as text', ok({ ...DOC_KEY_INFO, ips: '*' }), 'field "result.ips" is not a list of addresses'],
    ['expiredAt not a date', ok({ ...DOC_KEY_INFO, expiredAt: 'soon' }), 'field "result.expiredAt" is not a date'],
    ['deadlineDay as text', ok({ ...DOC_KEY_INFO, deadlineDay: '66' }), 'field "result.deadlineDay" is not an integer'],
  ])('refuses an answer with %s, naming the field', (_label, body, message) => {
    expect(() => probe('introspection').read(body, { nowMs: T_MS })).toThrow(message);
  });
});

describe('bybit wallet balance and server time', () => {
  // docs/v5/account/wallet-balance.mdx response example, shortened.
  const balance = { list: [{ accountType: 'UNIFIED', totalEquity: '3.31216591', coin: [{ coin: 'BTC', equity: '0' }] }] };

  it('reads the documented wallet balance as a readable futures account', () => {
    expect(probe('futures').read(ok(balance), { nowMs: T_MS })).toEqual({ permissions: { futures: true } });
  });

  it.each([
    ['no list', ok({}), 'field "result.list" is not a list'],
    ['an account without a type', ok({ list: [{ coin: [] }] }), 'field "result.list[].accountType" is not a string'],
    ['an account without coins', ok({ list: [{ accountType: 'UNIFIED' }] }), 'field "result.list[].coin" is not a list'],
  ])('refuses a wallet balance with %s', (_label, body, message) => {
    expect(() => probe('futures').read(body, { nowMs: T_MS })).toThrow(message);
  });

  it('reads the server time of the documented answer to the millisecond', () => {
    const body = {
      retCode: 0,
      retMsg: 'OK',
      result: { timeSecond: '1688639403', timeNano: '1688639403423213947' },
      retExtInfo: {},
      time: 1688639403423,
    };
    expect(bybit.time?.read(body)).toBe(1688639403423);
    expect(() => bybit.time?.read({ retCode: 0, result: { timeSecond: '1688639403' } })).toThrow('field "result.timeNano"');
  });

  it('leaves the wallet read out when futures are not part of the check', () => {
    expect(bybit.probes({ futures: false, sandbox: false }).map((p) => p.request.path)).toEqual(['/v5/user/query-api']);
  });
});

describe('bybit error table', () => {
  const classify = (status: number, body: string) =>
    classifyResponse(bybit as ExchangeAdapter, KEY_INFO, { status, headers: {}, body, sentAtMs: 0, receivedAtMs: 1, attempts: 1 });

  it.each([
    [{ retCode: 0, retMsg: 'OK' }, undefined],
    [{ retCode: 10003, retMsg: 'API key is invalid.' }, '10003'],
    [{ retCode: -2015, retMsg: 'Your api key has expired' }, '-2015'],
    [{ ret_code: 10004, ret_msg: 'error sign!' }, '10004'],
    [{ retCode: '10010' }, '10010'],
    [{ message: 'no code' }, undefined],
  ])('reads the retCode of %j as %s', (body, code) => {
    expect(bybit.readError?.(body)).toBe(code);
  });

  it('matches the retCode exactly, not a code that merely contains it', () => {
    const result = classify(200, JSON.stringify({ retCode: 110003, retMsg: 'Order price exceeds the allowable range.' }));
    expect(result.ok ? 'success' : result.code).toBe('UNEXPECTED_RESPONSE');
  });

  it('never takes an answer with a non-zero retCode for a success, whatever its HTTP status', () => {
    const result = classify(200, JSON.stringify({ retCode: 10001, retMsg: 'Request parameter error', result: {} }));
    expect(result.ok ? 'success' : result.code).toBe('UNEXPECTED_RESPONSE');
  });

  it('says that 10003 may mean a key of another environment or site', () => {
    const result = classify(200, JSON.stringify({ retCode: 10003, retMsg: 'API key is invalid.' }));
    expect(result.ok ? '' : result.finding.message).toMatch(/mainnet, testnet, mainnet demo and testnet demo.*regional site/);
  });

  it('reads a 403 "access too frequent" as an IP ban of at least 10 minutes, and another 403 as the region block', () => {
    const ban = classify(403, 'access too frequent');
    expect([ban.ok ? '' : ban.code, ban.ok ? '' : ban.finding.message]).toEqual([
      'RATE_LIMITED',
      expect.stringContaining('at least 10 minutes'),
    ]);
    const other = classify(403, '<html><body>403 Forbidden</body></html>');
    expect([other.ok ? '' : other.code, other.ok ? '' : other.finding.message]).toEqual([
      'LOCATION_BLOCKED',
      expect.stringContaining('US or mainland China'),
    ]);
  });
});

describe('bybit origins', () => {
  it.each([
    [{}, 'https://api.bybit.com/v5/user/query-api'],
    [{ sandbox: true }, 'https://api-testnet.bybit.com/v5/user/query-api'],
    [{ baseUrl: 'https://api-demo.bybit.com' }, 'https://api-demo.bybit.com/v5/user/query-api'],
    [{ baseUrl: 'https://api.bybit.nl' }, 'https://api.bybit.nl/v5/user/query-api'],
  ])('with %o reads the key at %s', (options, url) => {
    const [key] = configFor([{ name: 'k', exchange: 'bybit', ...options }]).keys;
    if (!key) throw new Error('no key');
    expect(`${resolveOrigin(key, bybit as ExchangeAdapter)}${KEY_INFO.path}`).toBe(url);
  });
});

describe('the bybit simulator', () => {
  const key: SimKey = { apiKey: API_KEY, secret: SECRET, permissions: { view: true, trade: true, transfer: false }, futures: true };
  const NOW = 1_800_000_000_000;
  const request = (timestamp: number): SimRequest => {
    const signed = bybit.sign(KEY_INFO, credentialsOf({ apiKey: API_KEY, apiSecret: SECRET }), signAt(timestamp, bybit.origin));
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
    return { method: 'GET', path: KEY_INFO.path, query: '', headers, body: '', serverNowMs: NOW, remoteAddress: '127.0.0.1' };
  };
  const retCodeAt = (timestamp: number) => JSON.parse(bybitHandler(request(timestamp), new Map([[API_KEY, key]])).body).retCode;

  it.each([
    [NOW + 999, 0],
    [NOW + 1000, 10002],
    [NOW - 5000, 0],
    [NOW - 5001, 10002],
  ])('applies server_time - recv_window <= timestamp < server_time + 1000 (timestamp %i: retCode %i)', (timestamp, retCode) => {
    expect(retCodeAt(timestamp)).toBe(retCode);
  });

  it('answers a request without the authentication headers with a bare HTTP 401', () => {
    const bare = { ...request(NOW), headers: {} };
    expect(bybitHandler(bare, new Map([[API_KEY, key]]))).toEqual({ status: 401, body: '' });
  });
});

describe('bybit against the simulator', () => {
  let sim: Simulator;
  const secrets = new MemorySecrets();
  const queries: string[] = [];
  const recording: ExchangeHandler = (request, keys) => {
    queries.push(`${request.method} ${request.path}${request.query ? `?${request.query}` : ''}`);
    return bybitHandler(request, keys);
  };
  const base: SimKey = { apiKey: 'bybit-good', secret: SECRET, permissions: { view: true, trade: true, transfer: false }, futures: true };
  const keys: SimKey[] = [
    base,
    { ...base, apiKey: 'bybit-bound', ipRestricted: true },
    { ...base, apiKey: 'bybit-rsa', secret: RSA.publicPem, ipRestricted: true },
    { ...base, apiKey: 'bybit-expired', disabled: true },
    { ...base, apiKey: 'bybit-ip', ipBlocked: true },
    { ...base, apiKey: 'bybit-nofutures', futures: false },
    { ...base, apiKey: 'bybit-classic', extra: { unified: false } },
    { ...base, apiKey: 'bybit-withdraw', permissions: { ...base.permissions, transfer: true }, extra: { wallet: ['Withdraw'] } },
    { ...base, apiKey: 'bybit-old', extra: { createdAt: new Date(Date.now() - 80 * 86_400_000).toISOString() } },
  ];

  beforeAll(async () => {
    sim = await startSimulator(recording, { keys });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
    queries.length = 0;
  });

  const run = (name: string, secret: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    secrets.set(name, secret);
    return runAgainst(configFor([{ name, exchange: 'bybit', ...extra }], sim.origin), secrets);
  };
  const hmacKey = (apiKey: string) => ({ apiKey, apiSecret: SECRET });
  const expectNothingSecret = (report: Report) => {
    const text = JSON.stringify(report);
    expect(text).not.toContain(SECRET);
    for (const line of RSA.privatePem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))) expect(text).not.toContain(line);
  };

  it.each([
    ['healthy', hmacKey('bybit-good'), {}, []],
    ['healthy RSA', { apiKey: 'bybit-rsa', apiSecret: RSA.privatePem }, {}, []],
    ['unknown', hmacKey('bybit-never-issued'), {}, ['AUTH_INVALID_KEY']],
    ['expired', hmacKey('bybit-expired'), {}, ['KEY_EXPIRED']],
    ['wrong secret', { apiKey: 'bybit-good', apiSecret: 'WRONGWRONGWRONGWRONGWRONGWRONGWRONG1' }, {}, ['AUTH_INVALID_SIGNATURE']],
    ['IP-blocked', hmacKey('bybit-ip'), {}, ['IP_NOT_ALLOWED']],
    ['futures-less', hmacKey('bybit-nofutures'), {}, ['PERMISSION_MISSING']],
    ['non-unified', hmacKey('bybit-classic'), {}, ['PERMISSION_MISSING']],
    ['withdrawing', hmacKey('bybit-withdraw'), {}, ['PERMISSION_EXCESSIVE']],
    // Created 85 days ago: Bybit's creation date is also the key's age, so rotation (90 days) is due too.
    ['soon expiring', hmacKey('bybit-old'), {}, ['KEY_EXPIRING', 'ROTATION_DUE']],
    ['unbound', hmacKey('bybit-good'), { expect: { ipRestricted: true } }, ['IP_UNRESTRICTED']],
    ['read-write', hmacKey('bybit-good'), { expect: { trade: false } }, ['PERMISSION_EXCESSIVE']],
  ])('diagnoses the %s key without showing any secret', async (label, secret, extra, codes) => {
    const name = label.replace(/ /g, '-');
    const report = await run(name, secret, extra);
    expect(codesOf(report, name)).toEqual(codes);
    expectNothingSecret(report);
  });

  it('reads the clock, the key information and the unified wallet, and nothing else', async () => {
    const report = await run('reads', hmacKey('bybit-good'));
    expect([...queries].sort()).toEqual([
      'GET /v5/account/wallet-balance?accountType=UNIFIED',
      'GET /v5/market/time',
      'GET /v5/user/query-api',
    ]);
    const [result] = report.results;
    expect(result?.permissions).toEqual({ view: true, trade: true, transfer: false, futures: true, ipRestricted: false });
    expect(result?.clock.source).toBe('time-endpoint');
    // 1 s ahead, 5 s behind: which applies depends on the sign of the (near-zero) measured offset.
    expect(result?.clock.toleranceMs).toBe((result?.clock.offsetMs ?? 0) > 0 ? 1000 : 5000);
    // An unbound key created now expires in 90 days.
    expect(Date.parse(result?.expiry.exchangeExpiresAt ?? '') - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect(result?.notes).toContain(
      'Bybit expires an API key without an IP allow-list 90 days after it was created; binding the key to IP addresses lifts that expiry.',
    );
  });

  it('reports an IP-bound key with no exchange expiry', async () => {
    const [result] = (await run('bound', hmacKey('bybit-bound'))).results;
    expect([result?.status, result?.permissions.ipRestricted, result?.expiry.exchangeExpiresAt]).toEqual(['ok', true, null]);
  });

  it('says the futures read was refused when the account is not unified', async () => {
    const [result] = (await run('classic', hmacKey('bybit-classic'))).results;
    expect(result?.permissions.futures).toBe(false);
    expect(result?.findings[0]?.message).toContain('The API can only be accessed by unified account users.');
  });

  it('sends no wallet read when futures are not expected', async () => {
    await run('spot', hmacKey('bybit-nofutures'), { expect: { futures: false } });
    expect(queries.some((q) => q.includes('wallet-balance'))).toBe(false);
  });

  it('blames the clock 1.5 s ahead, which Bybit refuses although it accepts 1.5 s behind', async () => {
    sim.skewMs = -1_500;
    const ahead = await run('ahead', hmacKey('bybit-good'));
    expect(codesOf(ahead, 'ahead')).toEqual(['CLOCK_SKEW_REJECTED']);
    const message = ahead.results[0]?.findings[0]?.message ?? '';
    expect(message).toContain('please check your server timestamp or recv_window param');
    expect(message).toContain('the key works, the clock is wrong');
    expect(message).toMatch(/Measured offset \+1[45]\d\d ms/);
    sim.skewMs = 1_500;
    const behind = await run('behind', hmacKey('bybit-good'));
    expect(codesOf(behind, 'behind')).toEqual([]);
  });

  it('warns when our clock is more than half a second ahead, before Bybit refuses it', async () => {
    sim.skewMs = -700;
    const report = await run('drift', hmacKey('bybit-good'));
    expect(codesOf(report, 'drift')).toEqual(['CLOCK_DRIFT']);
    expect(report.results[0]?.findings[0]?.message).toContain('of the 1000 ms the exchange accepts');
  });

  it('keeps the API key it quotes back in a signature error out of the report', async () => {
    const report = await run('quoted', { apiKey: 'bybit-good', apiSecret: 'WRONGWRONGWRONGWRONGWRONGWRONGWRONG2' });
    const message = report.results[0]?.findings[0]?.message ?? '';
    expect(message).toContain('origin_string[');
    expect(message).not.toContain('bybit-good');
  });
});
