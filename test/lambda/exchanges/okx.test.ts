import { createHmac, randomUUID } from 'node:crypto';
import ccxt from 'ccxt';
import { classifyResponse } from '../../../lambda/engine/classify';
import { type OkxCredentials, okx } from '../../../lambda/exchanges/okx';
import type { ExchangeRequest, Probe } from '../../../lambda/exchanges/types';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { okxHandler } from '../../support/simulator/okx';
import { json, type SimKey, type Simulator, startSimulator } from '../../support/simulator/sim-server';

const T_MS = 1_700_000_000_123;
const DAY_MS = 86_400_000;
const CONFIG = '/api/v5/account/config';
const BALANCE = '/api/v5/account/balance';
/** [V] docs-v5 "REST Authentication": the example SecretKey. */
const DOC_SECRET = '22582BD0CFF14C41EDBF1AB98506286D';

function credentialsOf(secret: Record<string, unknown>): OkxCredentials {
  const parsed = okx.parseCredentials(secret);
  if (!parsed.ok) throw new Error(parsed.finding.message);
  return parsed.credentials;
}

function frozenCcxt(secret: string, nowMs = T_MS) {
  const exchange = new ccxt.okx({ apiKey: '985d5b66-57ce-40fb-b714-afc0b9787083', secret, password: 'Pass-word-1!' });
  exchange.milliseconds = () => nowMs;
  exchange.options.timeDifference = 0;
  return exchange;
}

function probe(label: string, scope = { futures: true, sandbox: false }): Probe {
  const found = okx.probes(scope).find((p) => p.label === label);
  if (!found) throw new Error(`no probe ${label}`);
  return found;
}

/** An `account/config` answer as docs-v5 shows it, with the fields the adapter reads replaced. */
function configAnswer(fields: Record<string, unknown>): unknown {
  return {
    code: '0',
    msg: '',
    data: [{ acctLv: '2', perm: 'read_only,trade', ip: '203.0.113.10', label: 'v5 test', uid: '1', ...fields }],
  };
}

describe('okx signing', () => {
  const credentials = credentialsOf({ apiKey: '985d5b66-57ce-40fb-b714-afc0b9787083', apiSecret: DOC_SECRET, passphrase: 'Pass-word-1!' });

  it.each<[string, ExchangeRequest, Record<string, string>]>([
    ['account/config', { method: 'GET', path: CONFIG }, {}],
    ['account/balance', { method: 'GET', path: BALANCE, query: 'ccy=USDT' }, { ccy: 'USDT' }],
  ])('signs %s exactly as ccxt 4.5.84 does with a frozen clock', (endpoint, request, params) => {
    const oracle = frozenCcxt(DOC_SECRET).sign(endpoint, 'private', 'GET', params);
    const ours = okx.sign(request, credentials, signAt(T_MS, okx.origin));
    expect(ours.headers).toEqual(oracle.headers);
    expect(ours.headers['OK-ACCESS-TIMESTAMP']).toBe('2023-11-14T22:13:20.123Z');
    expect(oracle.url).toBe(`${okx.origin}${request.path}${request.query ? `?${request.query}` : ''}`);
    expect(ours.sensitive).toEqual([oracle.headers['OK-ACCESS-SIGN']]);
  });

  // The REST docs give the formula, `Base64(HmacSHA256(timestamp + 'GET' + '/api/v5/account/balance?ccy=BTC',
  // SecretKey))`, the example SecretKey and the example timestamp, but no resulting signature; the value
  // below is the formula recomputed with node:crypto, and ccxt agrees. The only published signature, the
  // WebSocket login sample (timestamp 1538054050, sign 7L+zFQ+CEgGu5rzCj4+BdV2/uUHGqddA9pI6ztsRRPs=), does
  // not reproduce with the example SecretKey (that prehash signs as +LdIr8lk…): its values are illustrative.
  it('signs the documented REST example as the documented formula gives it', () => {
    const timestamp = '2020-12-08T09:08:57.715Z';
    const formula = createHmac('sha256', DOC_SECRET).update(`${timestamp}GET/api/v5/account/balance?ccy=BTC`).digest('base64');
    const ours = okx.sign({ method: 'GET', path: BALANCE, query: 'ccy=BTC' }, credentials, signAt(Date.parse(timestamp), okx.origin));
    const oracle = frozenCcxt(DOC_SECRET, Date.parse(timestamp)).sign('account/balance', 'private', 'GET', { ccy: 'BTC' });
    expect(ours.headers['OK-ACCESS-SIGN']).toBe(formula);
    expect(formula).toBe('HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=');
    expect(oracle.headers['OK-ACCESS-SIGN']).toBe(formula);
  });

  it('writes whole-second timestamps with their three millisecond digits', () => {
    const ours = okx.sign({ method: 'GET', path: CONFIG }, credentials, signAt(1_700_000_000_000, okx.origin));
    expect(ours.headers['OK-ACCESS-TIMESTAMP']).toBe('2023-11-14T22:13:20.000Z');
  });

  it('marks a demo-trading request with the header ccxt sandbox mode sends, outside the signature', () => {
    const exchange = frozenCcxt(DOC_SECRET);
    exchange.setSandboxMode(true);
    const live = okx.sign({ method: 'GET', path: CONFIG }, credentials, signAt(T_MS, okx.origin));
    const demo = okx.sign({ method: 'GET', path: CONFIG }, credentials, signAt(T_MS, okx.origin, 0xab, true));
    expect(demo.headers['x-simulated-trading']).toBe(exchange.headers['x-simulated-trading']);
    expect(demo.headers['x-simulated-trading']).toBe('1');
    expect(live.headers).not.toHaveProperty('x-simulated-trading');
    expect(demo.headers['OK-ACCESS-SIGN']).toBe(live.headers['OK-ACCESS-SIGN']);
    expect(okx.sandboxOrigin).toBe(okx.origin);
  });
});

describe('okx secrets', () => {
  const apiKey = '985d5b66-57ce-40fb-b714-afc0b9787083';

  it.each([
    [{ apiSecret: DOC_SECRET, passphrase: 'p' }, 'has no "apiKey" field'],
    [{ apiKey, apiSecret: DOC_SECRET }, 'has no "passphrase" field'],
    [{ apiKey, apiSecret: ` ${DOC_SECRET}`, passphrase: 'p' }, 'field "apiSecret" starts or ends with whitespace'],
    [{ apiKey: `${apiKey}\n`, apiSecret: DOC_SECRET, passphrase: 'p' }, 'field "apiKey" starts or ends with whitespace'],
    [{ apiKey: DOC_SECRET, apiSecret: apiKey, passphrase: 'p' }, 'field "apiSecret" holds a UUID'],
  ])('rejects the malformed secret %o naming the field', (secret, expected) => {
    const parsed = okx.parseCredentials(secret);
    expect(parsed.ok ? 'parsed' : parsed.finding.code).toBe('SECRET_INVALID');
    if (parsed.ok) return;
    expect(parsed.finding.message).toContain(expected);
    expect(parsed.finding.message).not.toContain(DOC_SECRET);
  });

  it('keeps a passphrase with spaces as it is and lists it with the secret key as values never to show', () => {
    const credentials = credentialsOf({ apiKey, apiSecret: DOC_SECRET, passphrase: ' my pass phrase ' });
    expect(credentials.passphrase).toBe(' my pass phrase ');
    expect(okx.secretValues(credentials)).toEqual([DOC_SECRET, ' my pass phrase ']);
  });
});

describe('okx answers', () => {
  it.each([
    [{ code: '0', msg: '', data: [] }, undefined],
    [{ msg: "API key doesn't exist", code: '50119' }, '50119'],
    [{ code: 50110, msg: 'Your IP …' }, '50110'],
    [{ error: 'bad request' }, undefined],
    [null, undefined],
  ])('reads the error code of %o as %s', (body, code) => {
    expect(okx.readError?.(body)).toBe(code);
  });

  it('never takes an HTTP 200 carrying an OKX error code for a success', () => {
    const response = {
      status: 200,
      headers: {},
      body: '{"code":"50119","data":[],"msg":"API key doesn\'t exist"}',
      sentAtMs: 0,
      receivedAtMs: 1,
      attempts: 1,
    };
    const classified = classifyResponse(okx, { method: 'GET', path: CONFIG }, response);
    expect(classified.ok ? 'ok' : classified.code).toBe('AUTH_INVALID_KEY');
    expect(classified.ok ? '' : classified.finding.message).toContain('eea.okx.com');
  });

  it('reads the server time from data[0].ts and names the field when it is missing', () => {
    const time = okx.time;
    if (!time) throw new Error('okx has a time endpoint');
    expect(time.read({ code: '0', msg: '', data: [{ ts: '1597026383085' }] })).toBe(1597026383085);
    expect(() => time.read({ code: '0', msg: '', data: [{ ts: 1597026383085 }] })).toThrow('data[0].ts');
    expect(() => time.read({ code: '0', msg: '', data: [] })).toThrow('data[0]');
  });

  it.each([
    ['read_only', '', '2', { view: true, trade: false, transfer: false, ipRestricted: false, futures: true }],
    ['read_only,trade', '203.0.113.10', '3', { view: true, trade: true, transfer: false, ipRestricted: true, futures: true }],
    [
      'read_only,withdraw,trade',
      '203.0.113.10,2001:db8::/32',
      '4',
      { view: true, trade: true, transfer: true, ipRestricted: true, futures: true },
    ],
    ['read_only,trade', '203.0.113.10', '1', { view: true, trade: true, transfer: false, ipRestricted: true, futures: false }],
  ])('reads perm %s, ip "%s", acctLv %s as the key’s permissions', (perm, ip, acctLv, permissions) => {
    const reading = probe('account configuration').read(configAnswer({ perm, ip, acctLv }), { nowMs: T_MS });
    expect(reading.permissions).toEqual(permissions);
  });

  it.each([
    ['an empty data list', { code: '0', msg: '', data: [] }, 'field "data[0]" is not an object'],
    ['no data', { code: '0', msg: '' }, 'field "data" is not a list'],
    ['no perm', configAnswer({ perm: undefined }), 'field "data[0].perm" is not a string'],
    ['a null ip', configAnswer({ ip: null }), 'field "data[0].ip" is not a string'],
    ['a numeric acctLv', configAnswer({ acctLv: 2 }), 'field "data[0].acctLv" is not a string'],
  ])('refuses a configuration with %s, naming the field', (_label, body, words) => {
    expect(() => probe('account configuration').read(body, { nowMs: T_MS })).toThrow(words);
  });

  it('warns that a trade key without an IP allow-list lapses 14 days after this check', () => {
    const reading = probe('account configuration').read(configAnswer({ ip: '' }), { nowMs: T_MS });
    const lapse = new Date(T_MS + 14 * DAY_MS).toISOString();
    expect(reading.exchangeExpiresAt).toBe(lapse);
    expect(reading.findings?.map((f) => f.code)).toEqual(['KEY_EXPIRING']);
    expect(reading.findings?.[0]?.message).toContain(lapse);
    expect(reading.findings?.[0]?.message).toContain("This check's own call counts as use");
  });

  it.each([
    ['bound to an IP address', configAnswer({ ip: '203.0.113.10' }), { futures: true, sandbox: false }],
    ['read-only', configAnswer({ ip: '', perm: 'read_only' }), { futures: true, sandbox: false }],
    ['for demo trading', configAnswer({ ip: '' }), { futures: true, sandbox: true }],
  ])('sees no inactivity expiry for a key %s', (_label, body, scope) => {
    const reading = probe('account configuration', scope).read(body, { nowMs: T_MS });
    expect(reading.findings).toEqual([]);
    expect(reading.exchangeExpiresAt).toBeNull();
  });

  it('explains Spot mode as the reason futures are missing', () => {
    const reading = probe('account configuration').read(configAnswer({ acctLv: '1' }), { nowMs: T_MS });
    expect(reading.permissions?.futures).toBe(false);
    expect(reading.evidence?.futures).toMatch(/^The OKX account is in Spot mode \(acctLv 1\)/);
    expect(probe('account configuration').read(configAnswer({ acctLv: '2' }), { nowMs: T_MS }).evidence?.futures).toBeUndefined();
  });

  it('leaves futures unjudged, with a note, for an account mode it does not know', () => {
    const reading = probe('account configuration').read(configAnswer({ acctLv: '7' }), { nowMs: T_MS });
    expect(reading.permissions).not.toHaveProperty('futures');
    expect(reading.notes).toContain('OKX reports account mode acctLv "7", which key-health does not know; futures were not judged.');
  });

  it('notes the key’s label and permissions it does not know', () => {
    const reading = probe('account configuration').read(configAnswer({ perm: 'read_only,trade,fast_api' }), { nowMs: T_MS });
    expect(reading.notes).toEqual(['OKX reports permissions key-health does not know: fast_api.', 'OKX labels this key "v5 test".']);
  });

  it('accepts a documented balance and refuses one without details, naming the field', () => {
    const balance = probe('trading account balance');
    expect(balance.read({ code: '0', msg: '', data: [{ totalEq: '55837.4', details: [] }] }, { nowMs: T_MS })).toEqual({});
    expect(() => balance.read({ code: '0', msg: '', data: [{ totalEq: '1' }] }, { nowMs: T_MS })).toThrow('field "data[0].details"');
  });

  it('leaves the balance read out when futures are not part of the check', () => {
    expect(okx.probes({ futures: false, sandbox: false }).map((p) => p.request.path)).toEqual([CONFIG]);
    expect(okx.probes({ futures: true, sandbox: false }).map((p) => p.request.path)).toEqual([CONFIG, BALANCE]);
  });
});

describe('okx against the simulator', () => {
  const secret = { apiSecret: 'A1B2C3D4E5F60718293A4B5C6D7E8F90', passphrase: 'Correct-Horse-1!' };
  const trader = { view: true, trade: true, transfer: false };
  const base: Omit<SimKey, 'apiKey'> = {
    secret: secret.apiSecret,
    passphrase: secret.passphrase,
    permissions: trader,
    futures: true,
    ipRestricted: true,
  };
  const ids = {
    good: randomUUID(),
    unbound: randomUUID(),
    withdraw: randomUUID(),
    spot: randomUUID(),
    demo: randomUUID(),
    demoUnbound: randomUUID(),
    frozen: randomUUID(),
    blocked: randomUUID(),
    readOnly: randomUUID(),
  };
  let sim: Simulator;
  const secrets = new MemorySecrets();
  beforeAll(async () => {
    sim = await startSimulator(okxHandler, {
      keys: [
        { ...base, apiKey: ids.good, extra: { label: 'desk' } },
        { ...base, apiKey: ids.unbound, ipRestricted: false },
        { ...base, apiKey: ids.withdraw, permissions: { view: true, trade: true, transfer: true } },
        { ...base, apiKey: ids.spot, futures: false },
        { ...base, apiKey: ids.demo, extra: { demo: true } },
        { ...base, apiKey: ids.demoUnbound, ipRestricted: false, extra: { demo: true } },
        { ...base, apiKey: ids.frozen, disabled: true },
        { ...base, apiKey: ids.blocked, ipBlocked: true },
        { ...base, apiKey: ids.readOnly, permissions: { view: true, trade: false, transfer: false }, ipRestricted: false },
      ],
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
  });

  const key = (name: string, apiKey: string, more: Record<string, unknown> = {}) => {
    secrets.set(name, { apiKey, ...secret, ...more });
    return { name, exchange: 'okx' as const };
  };
  const check = (name: string, apiKey: string, more: Record<string, unknown> = {}, options: Record<string, unknown> = {}) =>
    runAgainst(configFor([{ ...key(name, apiKey, more), ...options }], sim.origin), secrets, { retries: 0 });

  it.each([
    ['healthy', ids.good, {}, []],
    ['unknown', randomUUID(), {}, ['AUTH_INVALID_KEY']],
    ['misshapen', 'not-an-okx-key', {}, ['AUTH_INVALID_KEY']],
    ['wrong-passphrase', ids.good, { passphrase: 'Old-Passphrase-1!' }, ['AUTH_INVALID_PASSPHRASE']],
    ['wrong-secret', ids.good, { apiSecret: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' }, ['AUTH_INVALID_SIGNATURE']],
    ['demo-on-live', ids.demo, {}, ['AUTH_INVALID_KEY']],
    ['frozen', ids.frozen, {}, ['KEY_EXPIRED']],
    ['ip-blocked', ids.blocked, {}, ['IP_NOT_ALLOWED']],
    ['withdraw', ids.withdraw, {}, ['PERMISSION_EXCESSIVE']],
    ['spot-mode', ids.spot, {}, ['PERMISSION_MISSING']],
    ['unbound', ids.unbound, {}, ['KEY_EXPIRING']],
  ])('diagnoses the %s key', async (name, apiKey, more, codes) => {
    const report = await check(name, apiKey, more);
    expect(codesOf(report, name)).toEqual(codes);
  });

  it('reports everything a healthy key may do, with the exchange clock', async () => {
    sim.skewMs = -4000;
    const report = await check('all-known', ids.good);
    const [result] = report.results;
    expect(result?.status).toBe('ok');
    expect(result?.permissions).toEqual({ view: true, trade: true, transfer: false, futures: true, ipRestricted: true });
    expect(result?.clock.source).toBe('time-endpoint');
    expect(result?.clock.offsetMs).toBeGreaterThan(3800);
    expect(result?.clock.offsetMs).toBeLessThan(4200);
    expect(result?.clock.toleranceMs).toBe(30_000);
    expect(result?.notes).toContain('OKX labels this key "desk".');
    expect(result?.notes.some((note) => note.startsWith('Not checked'))).toBe(false);
  });

  it('names the IP OKX refused, and where an unknown key may live instead', async () => {
    const blocked = await check('blocked-ip', ids.blocked);
    expect(blocked.results[0]?.findings[0]?.message).toMatch(/Your IP 127\.0\.0\.1 is not included in your API key's IP whitelist/);
    const unknown = await check('eea', randomUUID());
    expect(unknown.results[0]?.findings[0]?.message).toContain('"50119"');
    expect(unknown.results[0]?.findings[0]?.message).toContain('https://eea.okx.com');
  });

  it('tells to toggle sandbox when a demo key meets live trading or a live key meets demo trading', async () => {
    const demoOnLive = await check('demo-live', ids.demo);
    expect(demoOnLive.results[0]?.findings[0]?.message).toContain('sandbox: true');
    const config = configFor([key('live-demo', ids.good)], sim.origin);
    const report = await runAgainst({ ...config, keys: config.keys.map((k) => ({ ...k, sandbox: true })) }, secrets, { retries: 0 });
    expect(codesOf(report, 'live-demo')).toEqual(['AUTH_INVALID_KEY']);
    expect(report.results[0]?.findings[0]?.message).toContain('"50101"');
  });

  it('checks a demo-trading key with the demo header, and never expects it to lapse', async () => {
    const config = configFor([key('demo', ids.demoUnbound)], sim.origin);
    const report = await runAgainst({ ...config, keys: config.keys.map((k) => ({ ...k, sandbox: true })) }, secrets, { retries: 0 });
    expect(codesOf(report, 'demo')).toEqual([]);
    expect(report.results[0]?.expiry.exchangeExpiresAt).toBeNull();
    const signed = sim.seen.filter((r) => r.path !== '/api/v5/public/time');
    expect(signed.length).toBeGreaterThan(0);
    for (const request of signed) expect(request.headers['x-simulated-trading']).toBe('1');
  });

  it('dates the inactivity expiry of an unbound trade key 14 days after the check', async () => {
    const before = Date.now();
    const report = await check('lapsing', ids.unbound);
    const [result] = report.results;
    expect(result?.status).toBe('warning');
    const lapse = Date.parse(result?.expiry.exchangeExpiresAt ?? '');
    expect(lapse).toBeGreaterThanOrEqual(before + 14 * DAY_MS);
    expect(lapse).toBeLessThanOrEqual(Date.now() + 14 * DAY_MS);
    expect(result?.findings[0]?.message).toContain('binding it to IP addresses stops the clock');
  });

  it('reports a missing IP allow-list only when one is expected', async () => {
    const expected = await check('want-ip', ids.readOnly, {}, { expect: { ipRestricted: true } });
    expect(codesOf(expected, 'want-ip')).toEqual(['IP_UNRESTRICTED']);
    const indifferent = await check('no-opinion', ids.readOnly);
    expect(codesOf(indifferent, 'no-opinion')).toEqual([]);
  });

  it('explains Spot mode next to the missing futures permission, and accepts it when futures are not expected', async () => {
    const expected = await check('spot', ids.spot);
    expect(expected.results[0]?.permissions.futures).toBe(false);
    const missing = expected.results[0]?.findings.find((f) => f.code === 'PERMISSION_MISSING');
    expect(missing?.message).toContain(
      'The key cannot read the futures account (expect.futures is true). The OKX account is in Spot mode (acctLv 1)',
    );
    const spotOnly = await check('spot-only', ids.spot, {}, { expect: { futures: false, transfer: false } });
    expect(codesOf(spotOnly, 'spot-only')).toEqual([]);
    expect(sim.seen.filter((r) => r.path === BALANCE)).toHaveLength(1);
  });

  it('reads a balance refused as HTTP 200 with 50120 as a missing futures permission', async () => {
    sim.misbehave(BALANCE, {
      kind: 'status',
      ...json(200, { code: '50120', data: [], msg: "This API key doesn't have permission to use this function" }),
    });
    const report = await check('no-balance', ids.good);
    expect(codesOf(report, 'no-balance')).toEqual(['PERMISSION_MISSING']);
    expect(report.results[0]?.permissions.futures).toBe(false);
    expect(report.results[0]?.findings[0]?.message).toContain('50120');
  });

  it('blames the clock when OKX rejects a timestamp 45 s behind and the corrected retry works', async () => {
    sim.skewMs = 45_000;
    const report = await check('late', ids.good);
    expect(codesOf(report, 'late')).toEqual(['CLOCK_SKEW_REJECTED']);
    expect(report.results[0]?.findings[0]?.message).toContain('Timestamp request expired.');
    expect(report.results[0]?.findings[0]?.message).toMatch(/Measured offset -4\d{4} ms/);
    expect(report.results[0]?.permissions.trade).toBe(true);
  });
});
