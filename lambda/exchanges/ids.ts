/** Adapter ids of DESIGN.md §3, in the order the product supports them. */
export const EXCHANGE_IDS = [
  'coinbase-advanced',
  'coinbase-exchange',
  'coinbase-international',
  'bitstamp',
  'gate',
  'binance-usdm',
  'bybit',
  'okx',
  'kraken-futures',
  'deribit',
] as const;

/** A stable adapter id, as used in config and reports. */
export type ExchangeId = (typeof EXCHANGE_IDS)[number];

/** Ids that have an adapter in this release; the others are planned. */
export const SUPPORTED_EXCHANGE_IDS: readonly ExchangeId[] = ['coinbase-advanced', 'coinbase-exchange', 'coinbase-international'];

/**
 * Ids whose adapter has a sandbox host that authenticates keys. Coinbase Advanced's sandbox is a
 * static mock without authentication (see its adapter), so it cannot check a key.
 */
export const HAS_SANDBOX: readonly ExchangeId[] = ['coinbase-exchange', 'coinbase-international'];
