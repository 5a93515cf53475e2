import { ADAPTERS } from '../../../lambda/exchanges/registry';
import type { ExchangeAdapter } from '../../../lambda/exchanges/types';

/**
 * Each pace kept against the exchange's published limit and the requests a key actually sends, so that
 * adding a probe to a paced adapter fails here until its pace is revisited.
 */
const requestsPerKey = (adapter: ExchangeAdapter<unknown>) => adapter.probes({ futures: true, sandbox: false }).length;
const paceOf = (adapter: ExchangeAdapter<unknown>) => {
  if (!adapter.pace) throw new Error(`${adapter.id} has no pace`);
  return adapter.pace;
};

describe('exchange paces', () => {
  it('deribit: its keys in flight, with the shared time read, stay under 32 connections per IP', () => {
    const adapter = ADAPTERS.deribit as ExchangeAdapter<unknown>;
    const pace = paceOf(adapter);
    expect(pace.keysInFlight).toBeDefined();
    expect((pace.keysInFlight as number) * requestsPerKey(adapter) + 1).toBeLessThan(32);
  });

  it('bybit: a window of keys stays under 600 requests per 5 s per IP, with room for one retry in six', () => {
    const adapter = ADAPTERS.bybit as ExchangeAdapter<unknown>;
    const window = paceOf(adapter).keysPerWindow;
    expect(window?.ms).toBe(5000);
    expect((window?.keys as number) * requestsPerKey(adapter) * (7 / 6)).toBeLessThanOrEqual(600);
  });

  it('binance-usdm: a minute of keys stays under 2,400 futures weight per IP (the balance read weighs 5)', () => {
    const adapter = ADAPTERS['binance-usdm'] as ExchangeAdapter<unknown>;
    const window = paceOf(adapter).keysPerWindow;
    expect(window?.ms).toBe(60_000);
    // Only the balance read goes to the futures API; the restrictions read is the spot API's budget.
    const futuresReads = adapter.probes({ futures: true, sandbox: false }).filter((p) => !p.request.origin).length;
    expect(futuresReads).toBe(1);
    expect((window?.keys as number) * 5 + 1).toBeLessThan(2400);
  });

  it('okx: keys per 2 s stay under the account-configuration read limit of 5 per 2 s', () => {
    const window = paceOf(ADAPTERS.okx as ExchangeAdapter<unknown>).keysPerWindow;
    expect(window).toEqual({ keys: expect.any(Number), ms: 2000 });
    expect(window?.keys).toBeLessThan(5);
  });

  it('every pace names its exchange and admits at least one key', () => {
    for (const adapter of Object.values(ADAPTERS) as ExchangeAdapter<unknown>[]) {
      if (!adapter.pace) continue;
      expect(adapter.pace.why).toContain(adapter.displayName.split(' ')[0]);
      expect(adapter.pace.keysInFlight ?? 1).toBeGreaterThanOrEqual(1);
      expect(adapter.pace.keysPerWindow?.keys ?? 1).toBeGreaterThanOrEqual(1);
    }
  });
});
