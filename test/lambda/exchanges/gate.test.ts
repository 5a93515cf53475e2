import { randomBytes } from 'node:crypto';
import ccxt from 'ccxt';
import type { KeyConfig } from '../../../lambda/config';
import { resolveOrigin } from '../../../lambda/engine/exchange-requests';
import { type GateCredentials, gate, signGate } from '../../../lambda/exchanges/gate';
import type { ExchangeAdapter, Probe } from '../../../lambda/exchanges/types';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { gateHandler } from '../../support/simulator/gate';
import { type SimKey, type Simulator, startSimulator } from '../../support/simulator/sim-server';

const T_MS = 1_700_000_000_123;
const FUTURES = '/api/v4/futures/usdt/accounts';

function parse(secret: Record<string, unknown>): GateCredentials {
  const parsed = gate.parseCredentials(secret);
  if (!parsed.ok) throw new Error(parsed.finding.message);
  return parsed.credentials;
}

function probe(path: string): Probe {
  const found = gate.probes({ futures: true, sandbox: false }).find((p) => p.request.path === path);
  if (!found) throw new Error(`no probe for ${path}`);
  return found;
}

const read = (path: string, body: unknown, nowMs = T_MS) => probe(path).read(body, { nowMs });

function ccxtGate(apiKey: string, secret: string, nowMs: number) {
  const exchange = new ccxt.gate({ apiKey, secret });
  exchange.milliseconds = () => nowMs;
  exchange.options.timeDifference = 0;
  return exchange;
}

describe('gate signing', () => {
  // gate.io/docs/developers/apiv4/en/#api-signature-string-generation: key `key`, secret `secret`.
  it('reproduces both worked examples of Gate’s authentication docs', () => {
    const query = 'contract=BTC_USD&status=finished&limit=50';
    expect(signGate('secret', 'GET', '/api/v4/futures/orders', query, '', '1541993715')).toBe(
      '55f84ea195d6fe57ce62464daaa7c3c02fa9d1dde954e4c898289c9a2407a3d6fb3faf24deff16790d726b66ac9f74526668b13bd01029199cc4fcc522418b8a',
    );
    const body = '{"contract":"BTC_USD","type":"limit","size":100,"price":6800,"time_in_force":"gtc"}';
    expect(signGate('secret', 'POST', '/api/v4/futures/orders', '', body, '1541993715')).toBe(
      'eae42da914a590ddf727473aff25fc87d50b64783941061f47a3fdb92742541fc4c2c14017581b4199a1418d54471c269c03a38d788d802e2c306c37636389f0',
    );
  });

  it('signs the docs’ GET example through the adapter, with the Timestamp in whole seconds', () => {
    const signed = gate.sign(
      { method: 'GET', path: '/api/v4/futures/orders', query: 'contract=BTC_USD&status=finished&limit=50' },
      parse({ apiKey: 'key', apiSecret: 'secret' }),
      signAt(1_541_993_715_999, gate.origin),
    );
    const sign =
      '55f84ea195d6fe57ce62464daaa7c3c02fa9d1dde954e4c898289c9a2407a3d6fb3faf24deff16790d726b66ac9f74526668b13bd01029199cc4fcc522418b8a';
    expect(signed.headers).toEqual({ KEY: 'key', Timestamp: '1541993715', SIGN: sign });
    expect(signed.sensitive).toEqual([sign]);
  });

  it('signs the futures account read as ccxt 4.5.84 does, to the value ccxt gives for key k and secret s', () => {
    const oracle = ccxtGate('k', 's', T_MS).sign('{settle}/accounts', ['private', 'futures'], 'GET', { settle: 'usdt' });
    const ours = gate.sign({ method: 'GET', path: FUTURES }, parse({ apiKey: 'k', apiSecret: 's' }), signAt(T_MS, gate.origin));
    expect(oracle.url).toBe(`${gate.origin}${FUTURES}`);
    expect(ours.headers).toEqual({ KEY: oracle.headers.KEY, Timestamp: oracle.headers.Timestamp, SIGN: oracle.headers.SIGN });
    expect(ours.headers.SIGN).toBe(
      '277fc6a72ca9930595f4613c8c32ef99b5428c7955140c76787e9c0e9b7a484b6674c2e0b34fdceed113d2e5b91acaf6951404911beecaf8bbd4ec5dff97cf99',
    );
  });

  it('signs a query without its URL encoding, as ccxt does, while the URL keeps it encoded', () => {
    const oracle = ccxtGate('k', 's', T_MS).sign('{settle}/accounts', ['private', 'futures'], 'GET', {
      settle: 'usdt',
      pairs: 'BTC USDT,ETH',
    });
    const query = 'pairs=BTC%20USDT%2CETH';
    expect(oracle.url).toBe(`${gate.origin}${FUTURES}?${query}`);
    const ours = gate.sign({ method: 'GET', path: FUTURES, query }, parse({ apiKey: 'k', apiSecret: 's' }), signAt(T_MS, gate.origin));
    expect(ours.headers.SIGN).toBe(oracle.headers.SIGN);
    expect(ours.headers.SIGN).not.toBe(signGate('s', 'GET', FUTURES, query, '', '1700000000'));
  });
});

describe('gate secret parsing', () => {
  it('takes the key and secret as they are and lists the secret for redaction', () => {
    const credentials = parse({ apiKey: 'a'.repeat(32), apiSecret: 'b'.repeat(64) });
    expect(credentials).toEqual({ apiKey: 'a'.repeat(32), apiSecret: 'b'.repeat(64) });
    expect(gate.secretValues(credentials)).toEqual(['b'.repeat(64)]);
  });

  it.each([
    [{ apiSecret: 'b'.repeat(64) }, 'has no "apiKey" field'],
    [{ apiKey: 'a'.repeat(32), apiSecret: '' }, 'field "apiSecret" must be a non-empty string'],
    [{ apiKey: 'a'.repeat(32), apiSecret: `${'b'.repeat(64)}\n` }, 'field "apiSecret" has leading or trailing whitespace'],
    [{ apiKey: `${'a'.repeat(32)} `, apiSecret: 'b'.repeat(64) }, 'field "apiKey" has leading or trailing whitespace'],
  ])('rejects %o naming the field, never its value', (secret, words) => {
    const parsed = gate.parseCredentials(secret);
    expect(parsed.ok ? 'parsed' : parsed.finding.code).toBe('SECRET_INVALID');
    if (parsed.ok) return;
    expect(parsed.finding.message).toContain(words);
    expect(parsed.finding.message).not.toContain('b'.repeat(16));
  });
});

describe('gate answers', () => {
  it('reads the server time in milliseconds and refuses a time that is not a number', () => {
    expect(gate.time?.read({ server_time: 1597026383085 })).toBe(1597026383085);
    expect(() => gate.time?.read({ server_time: '1597026383085' })).toThrow('field "server_time"');
  });

  it('reads a futures account as view and futures, and refuses one without "available"', () => {
    expect(read(FUTURES, { total: '12.5', available: '0', currency: 'USDT' })).toEqual({ permissions: { view: true, futures: true } });
    expect(() => read(FUTURES, { total: '12.5' })).toThrow('field "available"');
    expect(() => read(FUTURES, [])).toThrow('futures account object');
  });

  it.each([
    [[], false, []],
    [['203.0.113.10', '198.51.100.7'], true, ['Gate accepts this key only from 203.0.113.10, 198.51.100.7.']],
  ])('reads the IP allow-list %j of /account/detail', (ipWhitelist, ipRestricted, notes) => {
    const reading = read('/api/v4/account/detail', { user_id: 1, ip_whitelist: ipWhitelist, currency_pairs: [], key: { mode: 1 } });
    expect(reading).toEqual({ permissions: { view: true, ipRestricted }, notes });
  });

  it('leaves the allow-list unknown when /account/detail omits it, and refuses one that is not a list', () => {
    const reading = read('/api/v4/account/detail', { user_id: 1 });
    expect(reading.permissions).toEqual({ view: true });
    expect(reading.notes).toEqual(['Gate’s account detail did not include the key’s IP allow-list (ip_whitelist).']);
    expect(() => read('/api/v4/account/detail', { ip_whitelist: '203.0.113.10' })).toThrow('field "ip_whitelist"');
  });

  const keyInfo = (more: Record<string, unknown> = {}) => ({
    state: 1,
    mode: 1,
    name: ['bot'],
    perms: [
      { name: 'futures', read_only: false },
      { name: 'account', read_only: true },
    ],
    ip_whitelist: ['203.0.113.10'],
    currency_pairs: [],
    key: { mode: 1 },
    created_at: '1753030929',
    updated_at: '1756300567',
    last_access: 1756300567,
    ...more,
  });

  it('reads the key’s own AccountKeyInfo: trade from the futures group, its dates as a note', () => {
    expect(read('/api/v4/account/main_keys', keyInfo())).toEqual({
      permissions: { view: true, trade: true },
      findings: [],
      keyCreatedAt: '2025-07-20T17:02:09.000Z',
      notes: ['Gate says this key was created on 2025-07-20 and last used on 2025-08-27.'],
    });
    const readOnly = read('/api/v4/account/main_keys', keyInfo({ perms: [{ name: 'futures', read_only: true }] }));
    expect(readOnly.permissions).toEqual({ view: true, trade: false });
  });

  it('takes the end of Gate’s 90 days for a key without an IP allow-list as its expiry, from its last update', () => {
    const reading = read('/api/v4/account/main_keys', keyInfo({ ip_whitelist: [] }), Date.parse('2025-09-01T00:00:00Z'));
    expect(reading.exchangeExpiresAt).toBe('2025-11-25T13:16:07.000Z');
    expect(reading.notes).toContain(
      "The key has no IP allow-list: Gate's help center says such keys are valid for 90 days, counted here from 2025-08-27 (its creation or last update). Binding it to IP addresses lifts the limit.",
    );
    expect(read('/api/v4/account/main_keys', keyInfo(), Date.parse('2025-09-01T00:00:00Z')).exchangeExpiresAt).toBeUndefined();
  });

  it('does not call a key expired that Gate still accepts after its 90 days', () => {
    const reading = read('/api/v4/account/main_keys', keyInfo({ ip_whitelist: [] }), Date.parse('2026-01-01T00:00:00Z'));
    expect(reading.exchangeExpiresAt).toBeUndefined();
    expect(reading.findings).toEqual([]);
    expect(reading.notes).toContain(
      "The key has no IP allow-list and was last created or updated on 2025-08-27, over 90 days ago, yet Gate still accepts it; Gate's help center says such keys are valid for 90 days.",
    );
  });

  it.each([
    [false, true],
    [true, false],
  ])('reads a withdrawal group with read_only %s as transfer %s', (readOnly, transfer) => {
    const perms = [
      { name: 'futures', read_only: true },
      { name: 'withdrawal', read_only: readOnly },
    ];
    expect(read('/api/v4/account/main_keys', keyInfo({ perms })).permissions).toEqual({ view: true, trade: false, transfer });
  });

  it.each([
    [2, 'locked'],
    [3, 'frozen'],
  ])('reports main_keys state %i as KEY_EXPIRED (%s)', (state, word) => {
    const findings = read('/api/v4/account/main_keys', keyInfo({ state })).findings ?? [];
    expect(findings.map((f) => f.code)).toEqual(['KEY_EXPIRED']);
    expect(findings[0]?.message).toContain(`as ${word} (main_keys state ${state})`);
  });

  it.each([
    [keyInfo({ state: 4 }), 'field "state" is not 1, 2 or 3'],
    [keyInfo({ perms: { futures: 'rw' } }), 'field "perms" is not a list'],
    [
      keyInfo({
        perms: [
          { name: 'futures', read_only: false },
          { name: 'account', read_only: 'yes' },
        ],
      }),
      'field "perms[1].read_only"',
    ],
    [keyInfo({ created_at: 'yesterday' }), 'field "created_at" is not a Unix time'],
    [[keyInfo(), 'not a key'], 'field "keys[1]" is not an object'],
    [[], 'the list of keys is empty'],
    ['ok', 'expected a key object or a list of keys'],
  ])('refuses a main_keys answer that is not what Gate documents (%#)', (body, words) => {
    expect(() => read('/api/v4/account/main_keys', body)).toThrow(words);
  });

  // The docs' example answer of "Query All Main Account Key Information", verbatim in its fields.
  const DOCS_LIST = [
    {
      state: 1,
      mode: 1,
      name: 'test1',
      user_id: 1,
      perms: [
        { name: 'account', read_only: false },
        { name: 'spot', read_only: false },
      ],
      ip_whitelist: [],
      currency_pairs: ['BTC_USD', 'ETH_USD'],
      key: 'c5dcfbf1f3a7*****',
      created_at: 1753030929,
      update_at: 1756300567,
      last_access: 1753030929,
    },
    {
      state: 1,
      mode: 1,
      name: 'test2',
      user_id: 1,
      perms: [
        { name: 'spot', read_only: false },
        { name: 'account', read_only: false },
      ],
      ip_whitelist: [],
      currency_pairs: ['BTC_USD', 'ETH_USD'],
      key: '52fd0035f665*****',
      created_at: 1753897991,
      update_at: 1756300567,
      last_access: 1753897991,
    },
  ];

  it('reads from the docs’ list of every key only what all keys share', () => {
    expect(read('/api/v4/account/main_keys', DOCS_LIST)).toEqual({
      permissions: { view: true, trade: false },
      findings: [],
      notes: ['Gate listed 2 keys of this account without saying which one is this key; only what all of them share is reported.'],
    });
    const [first, second] = DOCS_LIST;
    const mixed = [first, { ...second, perms: [{ name: 'futures', read_only: false }], state: 2 }];
    expect(read('/api/v4/account/main_keys', mixed)).toEqual({
      permissions: { view: true },
      findings: [],
      notes: [
        'Gate listed 2 keys of this account without saying which one is this key; only what all of them share is reported (they differ in trade, state).',
      ],
    });
  });
});

describe('gate hosts and reads', () => {
  it('checks a TestNet key on Gate’s futures TestNet with the futures read alone', () => {
    const [key] = configFor([{ name: 'testnet', exchange: 'gate', sandbox: true, expect: { futures: false, transfer: false } }]).keys;
    if (!key) throw new Error('no key');
    const probes = gate.probes({ futures: key.expect.futures, sandbox: key.sandbox });
    expect(probes.map((p) => `${resolveOrigin(key, gate as ExchangeAdapter)}${p.request.path}`)).toEqual([
      'https://fx-api-testnet.gateio.ws/api/v4/futures/usdt/accounts',
    ]);
  });

  it('leaves the futures read out when futures are not expected, and keeps the key reads', () => {
    expect(gate.probes({ futures: false, sandbox: false }).map((p) => p.request.path)).toEqual([
      '/api/v4/account/detail',
      '/api/v4/account/main_keys',
    ]);
  });
});

describe('gate against the simulator', () => {
  const secrets = new MemorySecrets();
  let sim: Simulator;
  let counter = 0;
  beforeAll(async () => {
    sim = await startSimulator(gateHandler);
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
  });

  /** Registers a key with the simulator and checks it; `secret` overrides what is stored. */
  async function check(
    simKey: Partial<SimKey> = {},
    options: { expect?: Record<string, boolean>; secret?: Record<string, unknown>; known?: boolean } = {},
  ) {
    const name = `gate-${++counter}`;
    const apiKey = randomBytes(16).toString('hex');
    const apiSecret = randomBytes(32).toString('hex');
    if (options.known !== false)
      sim.keys.set(apiKey, {
        apiKey,
        secret: apiSecret,
        permissions: { view: true, trade: true, transfer: false },
        futures: true,
        ...simKey,
      });
    secrets.set(name, { apiKey, apiSecret, ...options.secret });
    // parseConfig fills the `expect` fields left out with the defaults.
    const key = { name, exchange: 'gate' as const, ...(options.expect && { expect: options.expect as unknown as KeyConfig['expect'] }) };
    const report = await runAgainst(configFor([key], sim.origin), secrets);
    const [result] = report.results;
    if (!result) throw new Error('no result');
    return { report, result, codes: codesOf(report, name) };
  }

  it('reports a healthy key with what Gate tells about it and the clock from /spot/time', async () => {
    sim.skewMs = 20_000;
    const { result } = await check({ ipRestricted: true }, { expect: { futures: true, trade: true, ipRestricted: true } });
    expect([result.status, result.findings]).toEqual(['ok', []]);
    expect(result.permissions).toEqual({ view: true, futures: true, trade: true, transfer: null, ipRestricted: true });
    expect(result.clock.source).toBe('time-endpoint');
    expect(Math.abs((result.clock.offsetMs ?? 0) + 20_000)).toBeLessThan(250);
    expect(result.clock.toleranceMs).toBe(59_000);
    expect(result.expiry.exchangeExpiresAt).toBeNull();
    expect(result.notes).toEqual(
      expect.arrayContaining([
        'Gate accepts this key only from 203.0.113.10.',
        expect.stringMatching(/^Gate says this key was created on \d{4}-\d\d-\d\d and last used on \d{4}-\d\d-\d\d\.$/),
        'Not checked: Gate does not tell whether it may transfer or withdraw.',
      ]),
    );
  });

  it('does not hold a refused Account permission against the key: trade, withdraw and IP allow-list stay unchecked', async () => {
    const { result } = await check({ extra: { accountPermission: false } }, { expect: { futures: true, trade: true, ipRestricted: true } });
    expect([result.status, result.findings]).toEqual(['ok', []]);
    expect(result.permissions).toEqual({ view: true, futures: true, trade: null, transfer: null, ipRestricted: null });
    expect(result.notes).toEqual(
      expect.arrayContaining([
        'Not checked: Gate does not tell whether it may trade, whether it may transfer or withdraw, whether it has an IP allow-list.',
      ]),
    );
    expect(result.notes.filter((note) => note.startsWith('Gate '))).toEqual([]);
    expect(sim.seen.map((r) => r.path).sort()).toEqual([
      '/api/v4/account/detail',
      '/api/v4/account/main_keys',
      '/api/v4/futures/usdt/accounts',
      '/api/v4/spot/time',
    ]);
  });

  it('reports an account without a futures account as PERMISSION_MISSING with Gate’s remedy, not as an auth failure', async () => {
    const { result, codes } = await check({ futures: false });
    expect(codes).toEqual(['PERMISSION_MISSING']);
    expect(result.permissions.futures).toBe(false);
    expect(result.findings[0]?.message).toContain('please transfer funds first to create futures account');
    expect(result.findings[0]?.message).toContain('Gate opens it with the first transfer of funds into futures');
  });

  it('reports a key without the Perpetual Futures group as PERMISSION_MISSING', async () => {
    const { result, codes } = await check({ extra: { futuresPermission: false } });
    expect(codes).toEqual(['PERMISSION_MISSING']);
    expect(result.findings[0]?.message).toContain('does not have futures permission');
  });

  it('names the IP Gate saw when it refuses the source address', async () => {
    const { result, codes } = await check({ ipBlocked: true });
    expect(codes).toEqual(['IP_NOT_ALLOWED']);
    expect(result.findings[0]?.message).toContain('Request IP not in whitelist: 127.0.0.1');
    expect(result.findings[0]?.message).toContain('the egress IP of this checker');
  });

  it.each([
    ['an empty allow-list while one is expected', {}, { ipRestricted: true }, ['IP_UNRESTRICTED']],
    ['withdrawal rights', { permissions: { view: true, trade: true, transfer: true } }, {}, ['PERMISSION_EXCESSIVE']],
    ['futures trading rights while trade is not expected', {}, { trade: false }, ['PERMISSION_EXCESSIVE']],
    [
      'a read-only futures group while trade is expected',
      { permissions: { view: true, trade: false, transfer: false } },
      { trade: true },
      ['PERMISSION_MISSING'],
    ],
    ['a frozen key', { extra: { state: 3 } }, {}, ['KEY_EXPIRED']],
    // Created 80 days ago too: Gate's creation date is the key's age, so rotation (90 days) is due as well.
    [
      'a key without an IP allow-list 80 days after its last update',
      { extra: { updatedDaysAgo: 80 } },
      {},
      ['KEY_EXPIRING', 'ROTATION_DUE'],
    ],
    [
      'a key with an IP allow-list 80 days after its last update',
      { ipRestricted: true, extra: { updatedDaysAgo: 80 } },
      {},
      ['ROTATION_DUE'],
    ],
    ['a locked account', { disabled: true }, {}, ['KEY_EXPIRED']],
    ['main_keys as the docs’ list of every key', { extra: { mainKeysShape: 'list' } }, { trade: true }, []],
  ])('diagnoses %s', async (_label, simKey, expected, codes) => {
    expect((await check(simKey as Partial<SimKey>, { expect: expected })).codes).toEqual(codes);
  });

  it('reports an unknown key and a wrong secret with Gate’s own words', async () => {
    const unknown = await check({}, { known: false });
    expect(unknown.codes).toEqual(['AUTH_INVALID_KEY']);
    expect(unknown.result.findings[0]?.message).toContain('futures TestNet key used on production');
    const wrong = await check({}, { secret: { apiSecret: randomBytes(32).toString('hex') } });
    expect(wrong.codes).toEqual(['AUTH_INVALID_SIGNATURE']);
    expect(wrong.result.findings[0]?.message).toContain('Signature mismatch');
  });

  it.each([
    ['ahead', -70_000, /Measured offset \+[67]\d{4} ms/],
    ['behind', 70_000, /Measured offset -[67]\d{4} ms/],
  ])('blames the clock when ours is 70 s %s and Gate refuses the Timestamp', async (_label, skewMs, measured) => {
    sim.skewMs = skewMs;
    const { result, codes } = await check();
    expect(codes).toEqual(['CLOCK_SKEW_REJECTED']);
    expect(result.findings[0]?.message).toContain('gap between request Timestamp and server time exceeds 60');
    expect(result.findings[0]?.message).toMatch(measured);
    expect(result.permissions.futures).toBe(true);
  });

  it('never reports healthy on a futures account of the wrong shape', async () => {
    sim.misbehave(FUTURES, { kind: 'status', status: 200, body: '{"total":"1"}' });
    const { result, codes } = await check();
    expect(codes).toEqual(['UNEXPECTED_RESPONSE']);
    expect(result.findings[0]?.message).toContain('field "available" is not a string');
  });
});
