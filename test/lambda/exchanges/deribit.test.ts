import { randomBytes } from 'node:crypto';
import ccxt from 'ccxt';
import { type DeribitCredentials, deribit, signClientSignature } from '../../../lambda/exchanges/deribit';
import type { Probe } from '../../../lambda/exchanges/types';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { deribitHandler } from '../../support/simulator/deribit';
import { type SimKey, type Simulator, startSimulator } from '../../support/simulator/sim-server';

const T_MS = 1_700_000_000_123;

function parse(secret: Record<string, unknown>): DeribitCredentials {
  const parsed = deribit.parseCredentials(secret);
  if (!parsed.ok) throw new Error(parsed.finding.message);
  return parsed.credentials;
}

function probe(label: string): Probe {
  const found = deribit.probes({ futures: true, sandbox: false }).find((p) => p.label === label);
  if (!found) throw new Error(`no probe ${label}`);
  return found;
}

function rpc(result: unknown, more: Record<string, unknown> = {}): unknown {
  return { jsonrpc: '2.0', result, testnet: false, usIn: 1, usOut: 2, usDiff: 1, ...more };
}

describe('deribit signing', () => {
  const credentials = parse({ apiKey: 'dr-id', apiSecret: 'sekret' });

  it('signs the account summary byte for byte as ccxt 4.5.84 does, its clock frozen and its nonce pinned to ours', () => {
    const exchange = new ccxt.deribit({ apiKey: 'dr-id', secret: 'sekret' });
    exchange.milliseconds = () => T_MS;
    exchange.options.timeDifference = 0;
    // ccxt signs `nonce().toString()`; ours is 8 random bytes as hex, all 0xab under signAt.
    exchange.nonce = (() => 'abababababababab') as unknown as () => number;
    const oracle = exchange.sign('get_account_summary', 'private', 'GET', { currency: 'BTC' });
    const ours = deribit.sign(probe('account summary').request, credentials, signAt(T_MS, deribit.origin));
    expect(ours.headers).toEqual({ Authorization: oracle.headers.Authorization });
    expect(ours.headers.Authorization).toBe(
      'deri-hmac-sha256 id=dr-id,ts=1700000000123,sig=d9d9cab0d670fa3ca82f690758e0ba14ef698e622fea3b0492d4c29598e3e3ff,nonce=abababababababab',
    );
    expect(oracle.url).toBe(`${deribit.origin}/api/v2/private/get_account_summary?currency=BTC`);
    expect(ours.sensitive).toEqual(['d9d9cab0d670fa3ca82f690758e0ba14ef698e622fea3b0492d4c29598e3e3ff', ours.headers.Authorization]);
  });

  it.each([
    // docs.deribit.com/articles/authentication, "Client Signature" example.
    ['AMANDASECRECT', '1576074319000', '1iqt2wls', '56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1'],
    // deribit/deribit-api-clients README (the v2.0 docs), "signature credentials (WebSocket API)" example.
    ['ABCD', '1554883365000', 'fdbmmz79', 'e20c9cd5639d41f8bbc88f4d699c4baf94a4f0ee320e9a116b72743c449eb994'],
  ])('reproduces the client signature Deribit publishes for secret %s', (secret, timestamp, nonce, expected) => {
    expect(signClientSignature(secret, timestamp, nonce, '')).toBe(expected);
  });

  it('logs in to public/auth with a client signature in the query, with no header and no scope asked for', () => {
    const ours = deribit.sign(probe('key scope').request, credentials, signAt(T_MS, deribit.origin));
    const signature = signClientSignature('sekret', '1700000000123', 'abababababababab', '');
    expect(ours.headers).toEqual({});
    expect(ours.query).toBe(
      `grant_type=client_signature&client_id=dr-id&timestamp=1700000000123&signature=${signature}&nonce=abababababababab&data=`,
    );
    expect(ours.sensitive).toEqual([signature]);
  });

  it('takes its nonce from the random source, so requests signed in the same millisecond differ', () => {
    const request = probe('account summary').request;
    const first = deribit.sign(request, credentials, signAt(T_MS, deribit.origin, 'random')).headers.Authorization;
    const second = deribit.sign(request, credentials, signAt(T_MS, deribit.origin, 'random')).headers.Authorization;
    expect(first).toMatch(/,nonce=[0-9a-f]{16}$/);
    expect(first).not.toBe(second);
  });

  it('signs whole milliseconds when the clock has a fraction', () => {
    const ours = deribit.sign(probe('account summary').request, credentials, signAt(T_MS + 0.7, deribit.origin));
    expect(ours.headers.Authorization).toContain(',ts=1700000000123,');
  });

  it.each([
    [{ apiSecret: 'W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS' }, 'has no "apiKey" field'],
    [{ apiKey: 'fo7WAPRm4P' }, 'has no "apiSecret" field'],
    [{ apiKey: 'fo7W,APRm4P', apiSecret: 'W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS' }, 'field "apiKey" must be the Client ID'],
    [{ apiKey: 'fo7WAPRm4P', apiSecret: 'W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS\n' }, 'field "apiSecret" contains whitespace'],
    [{ apiKey: 'fo7WAPRm4P', apiSecret: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA…\n-----END PUBLIC KEY-----' }, 'holds a PEM key'],
  ])('rejects the malformed secret %o naming the field', (secret, words) => {
    const parsed = deribit.parseCredentials(secret);
    expect(parsed.ok ? 'parsed' : parsed.finding.code).toBe('SECRET_INVALID');
    if (!parsed.ok) expect(parsed.finding.message).toContain(words);
  });

  it('keeps the Client Secret among the values never shown', () => {
    expect(deribit.secretValues(credentials)).toEqual(['sekret']);
  });
});

describe('deribit answers', () => {
  const scope = probe('key scope');
  const summary = probe('account summary');
  const grant = (granted: string) => rpc({ access_token: '1700000000123.AbCd.token', expires_in: 900, refresh_token: 'r', scope: granted });

  it.each([
    // The scope of a 2020 client_signature login (roq-trading/roq-deribit notes).
    ['account:read block_trade:read connection mainaccount trade:read_write wallet:read', { view: true, trade: true, transfer: false }],
    ['account:read connection mainaccount trade:read wallet:read_write', { view: true, trade: false, transfer: true }],
    ['account:read_write connection mainaccount trade:none wallet:none', { view: true, trade: false, transfer: false }],
    ['account:read block_trade:read_write connection mainaccount trade:read wallet:read', { view: true, trade: true, transfer: false }],
    ['account:none connection mainaccount trade:read wallet:read', { trade: false, transfer: false }],
  ])('reads the scope "%s" as %o', (granted, permissions) => {
    expect(scope.read(grant(granted), { nowMs: T_MS }).permissions).toEqual(permissions);
  });

  it('states the granted scope, and that Deribit may grant less than the key holds', () => {
    const notes = scope.read(grant('account:read connection mainaccount trade:read wallet:read'), { nowMs: T_MS }).notes ?? [];
    expect(notes).toEqual([
      expect.stringContaining('granted this check the scope "account:read connection mainaccount trade:read wallet:read"'),
    ]);
    expect(notes[0]).toContain('may grant less than the key’s configured maximum');
  });

  it.each([
    ['connection trade:read wallet:read', 'The key belongs to a subaccount.'],
    ['block_rfq:read_write connection mainaccount trade:read', 'The key may trade through block_rfq:read_write.'],
    ['account:read_write connection mainaccount', 'The key has account:read_write'],
  ])('adds what the scope "%s" implies to the notes', (granted, note) => {
    expect(scope.read(grant(granted), { nowMs: T_MS }).notes).toEqual(expect.arrayContaining([expect.stringContaining(note)]));
  });

  it.each([
    [rpc({ access_token: 't', token_type: 'bearer' }), 'field "result.scope"'],
    [rpc({ scope: 'connection', token_type: 'bearer' }), 'field "result.access_token"'],
    [rpc('ok'), 'field "result"'],
  ])('refuses the login answer %j, naming the field', (body, field) => {
    expect(() => scope.read(body, { nowMs: T_MS })).toThrow(field);
  });

  it.each([
    [rpc({ currency: 'BTC', equity: 1 }), 'field "result.balance"'],
    [rpc({ currency: 'BTC', balance: '1', equity: 1 }), 'field "result.balance"'],
    [rpc({ balance: 1, equity: 1 }), 'field "result.currency"'],
    [rpc([]), 'field "result"'],
  ])('refuses the account summary %j, naming the field', (body, field) => {
    expect(() => summary.read(body, { nowMs: T_MS })).toThrow(field);
  });

  it('reads a well-formed account summary as view and futures', () => {
    expect(summary.read(rpc({ currency: 'BTC', balance: 0.5, equity: 0.51 }), { nowMs: T_MS })).toEqual({
      permissions: { view: true, futures: true },
      notes: [],
    });
  });

  it('notes a test.deribit.com answer to a key checked as production, but not to a sandbox key', () => {
    const body = rpc({ currency: 'BTC', balance: 0.5, equity: 0.51 }, { testnet: true });
    expect(summary.read(body, { nowMs: T_MS }).notes).toEqual([expect.stringContaining('set sandbox: true')]);
    const sandboxed = deribit.probes({ futures: true, sandbox: true }).find((p) => p.label === 'account summary');
    expect(sandboxed?.read(body, { nowMs: T_MS }).notes).toEqual([]);
  });

  it('reads the clock from public/get_time and refuses a body without one', () => {
    expect(deribit.time?.read({ jsonrpc: '2.0', id: 7365, result: 1550147385946 })).toBe(1550147385946);
    expect(() => deribit.time?.read({ jsonrpc: '2.0', result: '1550147385946' })).toThrow('field "result"');
  });

  it.each([
    [rpc(1), undefined],
    [{ jsonrpc: '2.0', error: { message: 'invalid_credentials', code: 13004 } }, '13004'],
    [{ jsonrpc: '2.0', error: { message: 'Invalid params', code: -32602 } }, '-32602'],
    [{ jsonrpc: '2.0', error: 'bad request' }, 'error'],
  ])('reads the error code of %j as %s', (body, code) => {
    expect(deribit.readError?.(body)).toBe(code);
  });
});

describe('deribit against the simulator', () => {
  let sim: Simulator;
  const queries: string[] = [];
  const secrets = new MemorySecrets();
  const SECRET = randomBytes(32).toString('base64url');
  const key = (apiKey: string, more: Partial<SimKey> = {}): SimKey => ({
    apiKey,
    secret: SECRET,
    permissions: { view: true, trade: false, transfer: false },
    futures: true,
    ...more,
  });

  beforeAll(async () => {
    sim = await startSimulator(
      (request, keys) => {
        queries.push(`${request.path}?${request.query}`);
        return deribitHandler(request, keys);
      },
      {
        keys: [
          key('drbGood'),
          key('drbTrader', { permissions: { view: true, trade: true, transfer: false } }),
          key('drbWallet', { permissions: { view: true, trade: false, transfer: true } }),
          key('drbBlind', { permissions: { view: false, trade: false, transfer: false } }),
          key('drbOff', { disabled: true }),
          key('drbLocked', { extra: { locked: true } }),
          key('drbSub', { extra: { subaccount: true } }),
        ],
      },
    );
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
    queries.length = 0;
  });

  async function check(name: string, apiKey: string, expectations: Record<string, boolean> = {}, secret = SECRET) {
    secrets.set(name, { apiKey, apiSecret: secret });
    const report = await runAgainst(
      configFor([{ name, exchange: 'deribit', expect: { futures: true, transfer: false, ...expectations } }], sim.origin),
      secrets,
    );
    const [result] = report.results;
    if (!result) throw new Error('no result');
    return { report, result };
  }

  it('reports a read-only key as ok, with its rights, the clock read and what Deribit cannot tell', async () => {
    sim.skewMs = 2000;
    const { result } = await check('good', 'drbGood');
    expect(result.findings).toEqual([]);
    expect(result.permissions).toEqual({ view: true, trade: false, transfer: false, futures: true, ipRestricted: null });
    expect(result.clock.source).toBe('time-endpoint');
    expect(result.clock.offsetMs).toBeLessThan(-1800);
    expect(result.clock.toleranceMs).toBe(60_000);
    expect(result.notes).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'Deribit granted this check the scope "account:read block_trade:read connection mainaccount trade:read wallet:read"',
        ),
        'Not checked: Deribit does not tell whether it has an IP allow-list.',
      ]),
    );
  });

  it('sends only its time read and two reads, and asks public/auth for no scope', async () => {
    await check('reads', 'drbGood');
    expect(sim.seen.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/v2/private/get_account_summary',
      'GET /api/v2/public/auth',
      'GET /api/v2/public/get_time',
    ]);
    const login = new URLSearchParams(queries.find((q) => q.startsWith('/api/v2/public/auth'))?.split('?')[1]);
    expect([...login.keys()]).toEqual(['grant_type', 'client_id', 'timestamp', 'signature', 'nonce', 'data']);
    expect(login.get('grant_type')).toBe('client_signature');
    expect(sim.seen.find((r) => r.path === '/api/v2/private/get_account_summary')?.headers.authorization).toMatch(
      /^deri-hmac-sha256 id=drbGood,ts=\d{13},sig=[0-9a-f]{64},nonce=[0-9a-f]{16}$/,
    );
  });

  it.each([
    ['a key that may withdraw', 'drbWallet', {}, ['PERMISSION_EXCESSIVE']],
    ['a key that may withdraw, as expected', 'drbWallet', { transfer: true }, []],
    ['a trading key where trading is not expected', 'drbTrader', { trade: false }, ['PERMISSION_EXCESSIVE']],
    ['a trading key where trading is expected', 'drbTrader', { trade: true }, []],
    ['a read-only key where trading is expected', 'drbGood', { trade: true }, ['PERMISSION_MISSING']],
    ['a key without account:read', 'drbBlind', {}, ['PERMISSION_MISSING', 'PERMISSION_MISSING']],
    ['a disabled key', 'drbOff', {}, ['AUTH_INVALID_KEY']],
    ['a key of a locked account', 'drbLocked', {}, ['KEY_EXPIRED']],
    ['an unknown key', 'drbNobody', {}, ['AUTH_INVALID_KEY']],
  ])('diagnoses %s', async (label, apiKey, expectations, codes) => {
    const name = label.replace(/\W+/g, '-');
    const { report } = await check(name, apiKey, expectations);
    expect(codesOf(report, name)).toEqual(codes);
  });

  it('reports a wrong Client Secret as a bad signature, in Deribit’s words', async () => {
    const { result } = await check('wrong-secret', 'drbGood', {}, randomBytes(32).toString('base64url'));
    expect(result.findings.map((f) => f.code)).toEqual(['AUTH_INVALID_SIGNATURE']);
    expect(result.findings[0]?.message).toContain('"code":13009');
    expect(result.findings[0]?.message).toContain('the Client Secret is not this Client ID’s');
  });

  it('says which permission a key without account:read lacks, with Deribit’s refusal', async () => {
    const { result } = await check('blind', 'drbBlind');
    expect(result.permissions.view).toBe(false);
    expect(result.findings[0]?.message).toMatch(/cannot view .*"code":13021/);
  });

  it('notes a subaccount key', async () => {
    const { result } = await check('sub', 'drbSub');
    expect(result.findings).toEqual([]);
    expect(result.notes).toContain('The key belongs to a subaccount.');
  });

  it('blames the clock, not the key, when Deribit is 90 s ahead and refuses the timestamp', async () => {
    sim.skewMs = 90_000;
    const { result } = await check('behind', 'drbGood');
    expect(result.findings.map((f) => f.code)).toEqual(['CLOCK_SKEW_REJECTED']);
    expect(result.findings[0]?.message).toMatch(/"code":13009.*Measured offset -(89|90)\d{3} ms/);
    expect(result.permissions.view).toBe(true);
  });

  it('warns of a clock 40 s behind, inside the 60 s Deribit accepts', async () => {
    sim.skewMs = 40_000;
    const { report } = await check('drifting', 'drbGood');
    expect(codesOf(report, 'drifting')).toEqual(['CLOCK_DRIFT']);
  });

  it('reports settlement as the exchange being unavailable, not the key failing', async () => {
    sim.misbehave('/api/v2/private', {
      kind: 'status',
      status: 400,
      body: JSON.stringify({ jsonrpc: '2.0', error: { message: 'settlement_in_progress', code: 10041 }, testnet: false }),
    });
    const { result } = await check('settling', 'drbGood');
    expect(result.findings.map((f) => f.code)).toEqual(['EXCHANGE_UNAVAILABLE']);
    expect(result.status).toBe('unknown');
  });
});
