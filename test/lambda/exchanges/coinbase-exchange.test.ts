import { randomBytes } from 'node:crypto';
import ccxt from 'ccxt';
import { coinbaseExchange } from '../../../lambda/exchanges/coinbase-exchange';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { coinbaseExchangeHandler } from '../../support/simulator/coinbase-exchange';
import { MISBEHAVIOURS, type SimKey, type Simulator, startSimulator } from '../../support/simulator/sim-server';

const SECRET = randomBytes(64).toString('base64');
const GOOD: SimKey = {
  apiKey: 'cbx-good',
  secret: SECRET,
  passphrase: 'correct horse',
  permissions: { view: true, trade: true, transfer: false },
  futures: true,
};

describe('coinbase-exchange signing', () => {
  it('matches ccxt sign() byte for byte with a frozen clock', () => {
    const exchange = new ccxt.coinbaseexchange({ apiKey: 'k', secret: SECRET, password: 'p' });
    exchange.seconds = () => 1700000000;
    exchange.options.timeDifference = 0;
    const oracle = exchange.sign('accounts', 'private', 'GET', {});
    const parsed = coinbaseExchange.parseCredentials({ apiKey: 'k', apiSecret: SECRET, passphrase: 'p' });
    if (!parsed.ok) throw new Error(parsed.finding.message);
    const ours = coinbaseExchange.sign(
      { method: 'GET', path: '/accounts' },
      parsed.credentials,
      signAt(1700000000_123, coinbaseExchange.origin),
    );
    expect(ours.headers).toEqual({
      'CB-ACCESS-KEY': oracle.headers['CB-ACCESS-KEY'],
      'CB-ACCESS-SIGN': oracle.headers['CB-ACCESS-SIGN'],
      'CB-ACCESS-TIMESTAMP': oracle.headers['CB-ACCESS-TIMESTAMP'],
      'CB-ACCESS-PASSPHRASE': oracle.headers['CB-ACCESS-PASSPHRASE'],
    });
    expect(oracle.url).toBe(`${coinbaseExchange.origin}/accounts`);
  });

  // A circulated table of ccxt outputs lists jl34R23C… for the all-zero secret, but ccxt 4.5.84 itself signs that
  // request as NZutq2HT…, so the table value is not used; the ccxt comparison above is the oracle.
  it('signs the all-zero secret exactly as ccxt 4.5.84 does', () => {
    const parsed = coinbaseExchange.parseCredentials({ apiKey: 'k', apiSecret: Buffer.alloc(32).toString('base64'), passphrase: 'p' });
    if (!parsed.ok) throw new Error(parsed.finding.message);
    const ours = coinbaseExchange.sign(
      { method: 'GET', path: '/accounts' },
      parsed.credentials,
      signAt(1700000000_123, coinbaseExchange.origin),
    );
    expect(ours.headers['CB-ACCESS-SIGN']).toBe('NZutq2HTxuzQtfDMyiHG2sSkIgAmeg40gc2BwPZGF2w=');
  });

  it.each([
    [{ apiSecret: SECRET, passphrase: 'p' }, 'has no "apiKey" field'],
    [{ apiKey: 'k', apiSecret: SECRET }, 'has no "passphrase" field'],
    [{ apiKey: 'k', apiSecret: 'not base64!', passphrase: 'p' }, 'field "apiSecret" is not base64'],
    [{ apiKey: 'k', apiSecret: 42, passphrase: 'p' }, 'field "apiSecret" must be a non-empty string'],
  ])('rejects the malformed secret %o naming the field', (secret, expected) => {
    const parsed = coinbaseExchange.parseCredentials(secret);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.finding.code).toBe('SECRET_INVALID');
    expect(parsed.finding.message).toContain(expected);
  });
});

describe('coinbase-exchange against the simulator', () => {
  let sim: Simulator;
  const secrets = new MemorySecrets();
  beforeAll(async () => {
    sim = await startSimulator(coinbaseExchangeHandler, {
      keys: [
        GOOD,
        { ...GOOD, apiKey: 'cbx-noview', permissions: { view: false, trade: false, transfer: false } },
        { ...GOOD, apiKey: 'cbx-ip', ipBlocked: true },
      ],
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
  });

  const key = (name: string, secret: Record<string, unknown>) => {
    secrets.set(name, secret);
    return { name, exchange: 'coinbase-exchange' as const };
  };

  it.each([
    ['healthy', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'correct horse' }, []],
    ['unknown key', { apiKey: 'nope', apiSecret: SECRET, passphrase: 'correct horse' }, ['AUTH_INVALID_KEY']],
    ['wrong passphrase', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'wrong' }, ['AUTH_INVALID_PASSPHRASE']],
    [
      'wrong secret',
      { apiKey: 'cbx-good', apiSecret: randomBytes(64).toString('base64'), passphrase: 'correct horse' },
      ['AUTH_INVALID_SIGNATURE'],
    ],
    ['no view', { apiKey: 'cbx-noview', apiSecret: SECRET, passphrase: 'correct horse' }, ['PERMISSION_MISSING', 'PERMISSION_MISSING']],
    ['ip blocked', { apiKey: 'cbx-ip', apiSecret: SECRET, passphrase: 'correct horse' }, ['IP_NOT_ALLOWED']],
  ])('diagnoses a %s key', async (name, secret, codes) => {
    const report = await runAgainst(configFor([key(name.replace(/ /g, '-'), secret)], sim.origin), secrets);
    expect(codesOf(report, name.replace(/ /g, '-'))).toEqual(codes);
  });

  it('reports a healthy key with a measured clock and read permissions', async () => {
    sim.skewMs = -4000;
    const report = await runAgainst(
      configFor([key('ok', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'correct horse' })], sim.origin),
      secrets,
    );
    const [result] = report.results;
    expect(result?.status).toBe('ok');
    expect(result?.clock.source).toBe('time-endpoint');
    expect(result?.clock.offsetMs).toBeGreaterThan(3900);
    expect(result?.clock.offsetMs).toBeLessThan(4100);
    expect(result?.clock.toleranceMs).toBe(30000);
    expect(result?.permissions).toEqual({ view: true, futures: true, trade: null, transfer: null, ipRestricted: null });
  });

  it('blames the clock, not the key, when the timestamp is rejected but a corrected retry works', async () => {
    sim.skewMs = -45_000;
    const report = await runAgainst(
      configFor([key('skewed', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'correct horse' })], sim.origin),
      secrets,
    );
    expect(codesOf(report, 'skewed')).toEqual(['CLOCK_SKEW_REJECTED']);
    const finding = report.results[0]?.findings[0];
    expect(finding?.message).toContain('request timestamp expired');
    expect(finding?.message).toMatch(/Measured offset \+4\d{4} ms/);
    expect(report.results[0]?.permissions.view).toBe(true);
  });

  it('rates a working key due for rotation as a warning, not ok', async () => {
    const createdAt = new Date(Date.now() - 80 * 86_400_000).toISOString();
    const report = await runAgainst(
      configFor([key('aging', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'correct horse', createdAt })], sim.origin),
      secrets,
    );
    expect(codesOf(report, 'aging')).toEqual(['ROTATION_DUE']);
    expect(report.results[0]?.status).toBe('warning');
    expect(report.results[0]?.expiry.keyAgeDays).toBe(80);
  });

  it('warns about drift past half of the 30 s window', async () => {
    sim.skewMs = 20_000;
    const report = await runAgainst(
      configFor([key('drift', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'correct horse' })], sim.origin),
      secrets,
    );
    expect(codesOf(report, 'drift')).toEqual(['CLOCK_DRIFT']);
    expect(report.status).toBe('warning');
  });

  it.each([
    ['503 with an HTML page', MISBEHAVIOURS.unavailableHtml, 'EXCHANGE_UNAVAILABLE'],
    ['429 with Retry-After', MISBEHAVIOURS.rateLimitedHtml, 'RATE_LIMITED'],
    ['451', MISBEHAVIOURS.geoBlocked, 'LOCATION_BLOCKED'],
    ['malformed JSON', MISBEHAVIOURS.malformedJson, 'UNEXPECTED_RESPONSE'],
  ])('maps %s to its code', async (_label, misbehaviour, code) => {
    sim.misbehave('/accounts', misbehaviour);
    const report = await runAgainst(
      configFor([key('m', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'correct horse' })], sim.origin),
      secrets,
      { retries: 0 },
    );
    expect(codesOf(report, 'm')).toEqual([code]);
    expect(report.results[0]?.findings[0]?.message).not.toContain('<');
  });

  it('gives up on a connection that never answers after the timeout', async () => {
    sim.misbehave('/accounts', MISBEHAVIOURS.hang);
    const config = configFor(
      [{ ...key('hang', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'correct horse' }), timeoutMs: 300 }],
      sim.origin,
    );
    const report = await runAgainst(config, secrets, { retries: 0 });
    expect(codesOf(report, 'hang')).toEqual(['EXCHANGE_UNAVAILABLE']);
    expect(report.results[0]?.findings[0]?.message).toContain('timed out after 300 ms: GET /accounts');
  });

  it('retries a transient 503 and then succeeds', async () => {
    sim.misbehave('/accounts', MISBEHAVIOURS.unavailableHtml, 1);
    const report = await runAgainst(
      configFor([key('flaky', { apiKey: 'cbx-good', apiSecret: SECRET, passphrase: 'correct horse' })], sim.origin),
      secrets,
    );
    expect(codesOf(report, 'flaky')).toEqual([]);
    expect(sim.seen.filter((r) => r.path === '/accounts')).toHaveLength(2);
  });
});
