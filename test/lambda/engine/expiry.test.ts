import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../../lambda/config';
import { checkKey } from '../../../lambda/engine/check-key';
import { assessExchangeExpiry } from '../../../lambda/engine/expiry';
import { DEFAULT_RETRY } from '../../../lambda/engine/run-checks';
import { coinbaseExchange } from '../../../lambda/exchanges/coinbase-exchange';
import type { ExchangeAdapter } from '../../../lambda/exchanges/types';
import { NODE_HTTP_RUNTIME } from '../../../lambda/http/node-transport';
import { MemorySecrets } from '../../support/harness';
import { coinbaseExchangeHandler } from '../../support/simulator/coinbase-exchange';
import { type Simulator, startSimulator } from '../../support/simulator/sim-server';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-27T10:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const codes = (expiresAt: string | null, warnDays = 14) => assessExchangeExpiry(expiresAt, warnDays, NOW, 'Bybit').map((f) => f.code);

describe('assessExchangeExpiry', () => {
  it.each([
    ['15 days ahead', 15 * DAY, []],
    ['14 days and 1 ms ahead (just outside warnDays)', 14 * DAY + 1, []],
    ['exactly 14 days ahead (at warnDays)', 14 * DAY, ['KEY_EXPIRING']],
    ['14 days less 1 ms ahead', 14 * DAY - 1, ['KEY_EXPIRING']],
    ['1 ms ahead', 1, ['KEY_EXPIRING']],
    ['exactly now', 0, ['KEY_EXPIRED']],
    ['1 ms in the past', -1, ['KEY_EXPIRED']],
    ['a year in the past', -365 * DAY, ['KEY_EXPIRED']],
  ])('with the expiry %s (%d ms) finds %j', (_, offsetMs, expected) => {
    expect(codes(at(offsetMs))).toEqual(expected);
  });

  it.each([
    ['1 ms ahead', 1, []],
    ['exactly now', 0, ['KEY_EXPIRED']],
    ['1 ms in the past', -1, ['KEY_EXPIRED']],
  ])('with warnDays 0 and the expiry %s (%d ms) finds %j', (_, offsetMs, expected) => {
    expect(codes(at(offsetMs), 0)).toEqual(expected);
  });

  it.each([
    ['no expiry (Coinbase)', null],
    ['a date that does not parse', 'next Tuesday'],
  ])('finds nothing for %s', (_, value) => {
    expect(codes(value)).toEqual([]);
  });

  it.each([
    [10 * DAY + 5000, 'Bybit reports that the key expires on 2026-12-07T10:00:05.000Z, in 10 days.'],
    [DAY + 3 * 3_600_000, 'Bybit reports that the key expires on 2026-11-28T13:00:00.000Z, in 27 h.'],
    [59 * 60_000, 'Bybit reports that the key expires on 2026-11-27T10:59:00.000Z, in less than an hour.'],
    [-DAY, 'Bybit reports that the key expired on 2026-11-26T10:00:00.000Z.'],
  ])('says when the key expires (%d ms ahead)', (offsetMs, message) => {
    expect(assessExchangeExpiry(at(offsetMs), 14, NOW, 'Bybit')[0]?.message).toBe(message);
  });
});

describe('checkKey with an exchange-side expiry', () => {
  const SECRET = randomBytes(64).toString('base64');
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator(coinbaseExchangeHandler, {
      keys: [{ apiKey: 'k', secret: SECRET, passphrase: 'p4ss', permissions: { view: true, trade: true, transfer: false }, futures: true }],
    });
  });
  afterAll(() => sim.close());

  /** Coinbase Exchange with its probes also reporting an expiry, as a future adapter would. */
  function expiringIn(offsetMs: number | null): ExchangeAdapter<unknown> {
    const base = coinbaseExchange as ExchangeAdapter<unknown>;
    return {
      ...base,
      probes: (key) =>
        base.probes(key).map((probe) => ({
          ...probe,
          read: (body, k) => ({
            ...probe.read(body, k),
            exchangeExpiresAt: offsetMs === null ? null : new Date(Date.now() + offsetMs).toISOString(),
          }),
        })),
    };
  }

  async function check(adapter: ExchangeAdapter<unknown>) {
    const [key] = parseConfig({
      keys: [{ name: 'k', exchange: 'coinbase-exchange', secretId: 'k', baseUrl: sim.origin, rotation: { maxAgeDays: 90, warnDays: 7 } }],
    }).keys;
    if (!key) throw new Error('no key');
    const secrets = new MemorySecrets().set('k', { apiKey: 'k', apiSecret: SECRET, passphrase: 'p4ss' }, { versionCreatedAt: new Date() });
    const runtime = {
      http: NODE_HTTP_RUNTIME,
      secrets,
      deadlineAtMs: Date.now() + 5000,
      retry: { ...DEFAULT_RETRY, retries: 0 },
      clocks: new Map(),
    };
    return checkKey(key, adapter, runtime);
  }

  it.each([
    ['in 3 days (within the key warnDays 7)', 3 * DAY, ['KEY_EXPIRING'], 'warning'],
    ['in 8 days (outside warnDays 7)', 8 * DAY, [], 'ok'],
    ['a day ago', -DAY, ['KEY_EXPIRED'], 'critical'],
  ])('reports an expiry %s once, with exchangeExpiresAt', async (_, offsetMs, expected, status) => {
    const result = await check(expiringIn(offsetMs));
    expect(result.findings.map((f) => f.code)).toEqual(expected);
    expect(result.status).toBe(status);
    expect(Math.abs(Date.parse(result.expiry.exchangeExpiresAt ?? '') - (Date.now() + offsetMs))).toBeLessThan(60_000);
  });

  it('reports no expiry finding and a null exchangeExpiresAt when the exchange tells none', async () => {
    const result = await check(expiringIn(null));
    expect(result.findings).toEqual([]);
    expect(result.expiry).toEqual({ keyAgeDays: 0, nextRotationAt: expect.any(String), exchangeExpiresAt: null });
  });
});
