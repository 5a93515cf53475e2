import { randomBytes } from 'node:crypto';
import { SYSTEM_CLOCK } from '../../../lambda/clock';
import { parseConfig } from '../../../lambda/config';
import { checkKey } from '../../../lambda/engine/check-key';
import { CREDENTIAL_CACHE_SIZE, type CredentialCache } from '../../../lambda/engine/credential-cache';
import { DEFAULT_RETRY } from '../../../lambda/engine/runtime';
import { coinbaseExchange } from '../../../lambda/exchanges/coinbase-exchange';
import type { ExchangeAdapter } from '../../../lambda/exchanges/types';
import { nodeTransport } from '../../../lambda/http/node-transport';
import { MemorySecrets } from '../../support/harness';
import { coinbaseExchangeHandler } from '../../support/simulator/coinbase-exchange';
import { MISBEHAVIOURS, type Simulator, startSimulator } from '../../support/simulator/sim-server';

const SECRET = randomBytes(64).toString('base64');
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(coinbaseExchangeHandler, {
    keys: [{ apiKey: 'k', secret: SECRET, passphrase: 'p4ss', permissions: { view: true, trade: true, transfer: false }, futures: true }],
  });
});
afterAll(() => sim.close());

interface CheckOptions {
  cache?: CredentialCache;
  passphrase?: string;
  warnDays?: number;
  versionCreatedAt?: Date;
  retries?: number;
}

async function check(adapter: ExchangeAdapter<unknown>, options: CheckOptions = {}) {
  const rotation = options.warnDays === undefined ? {} : { rotation: { maxAgeDays: 90, warnDays: options.warnDays } };
  const [key] = parseConfig({ keys: [{ name: 'k', exchange: 'coinbase-exchange', secretId: 'k', baseUrl: sim.origin, ...rotation }] }).keys;
  if (!key) throw new Error('no key');
  const secret = { apiKey: 'k', apiSecret: SECRET, passphrase: options.passphrase ?? 'p4ss' };
  const meta = options.versionCreatedAt ? { versionCreatedAt: options.versionCreatedAt } : {};
  const secrets = new MemorySecrets().set('k', secret, meta);
  const runtime = {
    transport: nodeTransport,
    clock: SYSTEM_CLOCK,
    secrets,
    deadlineAtMs: Date.now() + 5000,
    retry: { ...DEFAULT_RETRY, retries: options.retries ?? 0, backoffMs: 100 },
    serverTimes: new Map(),
    random: randomBytes,
    ...(options.cache && { credentialCache: options.cache }),
  };
  return (await checkKey(key, adapter, runtime)).result;
}

describe('checkKey', () => {
  it('reports a signing failure as our problem (UNEXPECTED_RESPONSE), not an exchange outage', async () => {
    const broken: ExchangeAdapter<unknown> = {
      ...(coinbaseExchange as ExchangeAdapter<unknown>),
      sign: () => {
        throw new Error(`cannot sign with ${SECRET}`);
      },
    };
    const result = await check(broken);
    expect(result.findings.map((f) => f.code)).toEqual(['UNEXPECTED_RESPONSE']);
    expect(result.findings[0]?.message).toContain('The check failed: cannot sign with [redacted]');
  });

  it('refuses to send a request that is not on the adapter allow-list', async () => {
    const result = await check({ ...(coinbaseExchange as ExchangeAdapter<unknown>), allowList: ['GET /time'] });
    expect(result.findings.map((f) => f.code)).toEqual(['UNEXPECTED_RESPONSE']);
    expect(result.findings[0]?.message).toContain('GET /accounts is not on the coinbase-exchange read-only allow-list');
    expect(sim.seen.some((r) => r.path === '/accounts')).toBe(false);
  });

  it('parses each secret once per process with a credential cache, and again when the secret changes', async () => {
    let parses = 0;
    const counting: ExchangeAdapter<unknown> = {
      ...(coinbaseExchange as ExchangeAdapter<unknown>),
      parseCredentials: (secret) => {
        parses += 1;
        return coinbaseExchange.parseCredentials(secret);
      },
    };
    const cache: CredentialCache = new Map();
    const first = await check(counting, { cache });
    const second = await check(counting, { cache });
    expect([first.status, second.status, parses]).toEqual(['ok', 'ok', 1]);
    const rotated = await check(counting, { cache, passphrase: 'wrong' });
    expect(rotated.findings.map((f) => f.code)).toEqual(['AUTH_INVALID_PASSPHRASE']);
    expect(parses).toBe(2);
    expect([...cache.keys()].every((id) => /^coinbase-exchange:[0-9a-f]{64}$/.test(id))).toBe(true);
    await check(counting);
    expect(parses).toBe(3);
  });

  it.each([
    ['a line break', 'p4ss\nword'],
    ['a letter outside Latin-1', 'p4ss€'],
  ])(
    'reports a passphrase with %s as SECRET_INVALID naming the field and its header, not as a network failure',
    async (_label, passphrase) => {
      const result = await check(coinbaseExchange as ExchangeAdapter<unknown>, { passphrase });
      expect(result.findings.map((f) => f.code)).toEqual(['SECRET_INVALID']);
      expect(result.findings[0]?.message).toBe(
        'The secret field "passphrase" holds characters an HTTP header cannot carry (a line break, a tab or a letter outside Latin-1 pasted in); it goes in the CB-ACCESS-PASSPHRASE header.',
      );
      expect(result.findings[0]?.message).not.toContain(passphrase);
    },
  );

  it('reports as latency the time the whole check took, retries included', async () => {
    sim.misbehave('/accounts', MISBEHAVIOURS.unavailableHtml, 2);
    try {
      const result = await check(coinbaseExchange as ExchangeAdapter<unknown>, { retries: 2 });
      expect(result.status).toBe('ok');
      // Two retries back off 100 ms, then 200 ms.
      expect(result.latencyMs).toBeGreaterThanOrEqual(300);
    } finally {
      sim.reset();
    }
  });

  it('keeps at most CREDENTIAL_CACHE_SIZE parsed secrets, dropping the oldest', async () => {
    const cache: CredentialCache = new Map(
      Array.from({ length: CREDENTIAL_CACHE_SIZE }, (_, i) => [`old-${i}`, { ok: true, credentials: i }]),
    );
    await check(coinbaseExchange as ExchangeAdapter<unknown>, { cache });
    expect(cache.size).toBe(CREDENTIAL_CACHE_SIZE);
    expect(cache.has('old-0')).toBe(false);
    expect(cache.has('old-1')).toBe(true);
  });
});

const DAY = 86_400_000;
/** A key created now whose warnDays is 7, so expiry boundaries are easy to place. */
const EXPIRY_KEY: CheckOptions = { warnDays: 7, versionCreatedAt: new Date() };

describe('checkKey with an exchange-side expiry', () => {
  /** Coinbase Exchange with its probes also reporting an expiry, as a future adapter would. */
  function expiringIn(offsetMs: number | null): ExchangeAdapter<unknown> {
    const base = coinbaseExchange as ExchangeAdapter<unknown>;
    return {
      ...base,
      probes: (scope) =>
        base.probes(scope).map((probe) => ({
          ...probe,
          read: (body, context) => ({
            ...probe.read(body, context),
            exchangeExpiresAt: offsetMs === null ? null : new Date(Date.now() + offsetMs).toISOString(),
          }),
        })),
    };
  }

  it.each([
    ['in 3 days (within the key warnDays 7)', 3 * DAY, ['KEY_EXPIRING'], 'warning'],
    ['in 8 days (outside warnDays 7)', 8 * DAY, [], 'ok'],
    ['a day ago', -DAY, ['KEY_EXPIRED'], 'critical'],
  ])('reports an expiry %s once, with exchangeExpiresAt', async (_, offsetMs, expected, status) => {
    const result = await check(expiringIn(offsetMs), EXPIRY_KEY);
    expect(result.findings.map((f) => f.code)).toEqual(expected);
    expect(result.status).toBe(status);
    expect(Math.abs(Date.parse(result.expiry.exchangeExpiresAt ?? '') - (Date.now() + offsetMs))).toBeLessThan(60_000);
  });

  it('reports no expiry finding and a null exchangeExpiresAt when the exchange tells none', async () => {
    const result = await check(expiringIn(null), EXPIRY_KEY);
    expect(result.findings).toEqual([]);
    expect(result.expiry).toEqual({ keyAgeDays: 0, nextRotationAt: expect.any(String), exchangeExpiresAt: null });
  });
});
