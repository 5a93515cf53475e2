import { binanceUsdm } from './binance-usdm';
import { bitstamp } from './bitstamp';
import { bybit } from './bybit';
import { coinbaseAdvanced } from './coinbase-advanced';
import { coinbaseExchange } from './coinbase-exchange';
import { coinbaseInternational } from './coinbase-international';
import { deribit } from './deribit';
import { gate } from './gate';
import { krakenFutures } from './kraken-futures';
import { okx } from './okx';
import type { ExchangeAdapter } from './types';

/**
 * Every adapter of this build, by id: adding an exchange adds one line here. The supported ids, the
 * exchanges with a sandbox, the config's checks and the README's exchange sections all derive from it.
 */
export const ADAPTERS = {
  'coinbase-advanced': coinbaseAdvanced,
  'coinbase-exchange': coinbaseExchange,
  'coinbase-international': coinbaseInternational,
  bitstamp: bitstamp,
  gate: gate,
  'binance-usdm': binanceUsdm,
  bybit: bybit,
  okx: okx,
  'kraken-futures': krakenFutures,
  deribit: deribit,
} as const satisfies Readonly<Record<string, ExchangeAdapter<unknown>>>;

/** A stable adapter id, as used in config and reports. */
export type ExchangeId = keyof typeof ADAPTERS;

/** The supported exchange ids, in the order the product lists them. */
export const EXCHANGE_IDS = Object.keys(ADAPTERS) as ExchangeId[];

/** Exchanges on the roadmap without an adapter yet: the config names them as planned, never as a suggestion. */
export const PLANNED_EXCHANGE_IDS: readonly string[] = ['bitmex'];

/** Whether `id` is a supported exchange id. */
export function isExchangeId(id: string): id is ExchangeId {
  return Object.hasOwn(ADAPTERS, id);
}

/** The adapter of a supported exchange. */
export function findAdapter(id: ExchangeId): ExchangeAdapter<unknown> {
  return ADAPTERS[id] as ExchangeAdapter<unknown>;
}

/** Whether the exchange has a sandbox host that authenticates keys (its adapter names one). */
export function hasSandbox(id: ExchangeId): boolean {
  return findAdapter(id).sandboxOrigin !== null;
}
