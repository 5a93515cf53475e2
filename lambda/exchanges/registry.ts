import { coinbaseAdvanced } from './coinbase-advanced';
import { coinbaseExchange } from './coinbase-exchange';
import { coinbaseInternational } from './coinbase-international';
import type { ExchangeId } from './ids';
import type { ExchangeAdapter } from './types';

/** Every adapter of this build, by id: adding an exchange adds one line here. */
export const ADAPTERS: Readonly<Partial<Record<ExchangeId, ExchangeAdapter<unknown>>>> = {
  'coinbase-advanced': coinbaseAdvanced,
  'coinbase-exchange': coinbaseExchange,
  'coinbase-international': coinbaseInternational,
};
