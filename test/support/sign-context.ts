import { randomBytes } from 'node:crypto';
import type { SignContext } from '../../lambda/exchanges/types';

/** A signing context at `nowMs` whose random bytes are all `fill` (0xab, as ccxt's pinned nonces), or truly random. */
export function signAt(nowMs: number, origin = 'https://exchange.example', fill: number | 'random' = 0xab, sandbox = false): SignContext {
  return { nowMs, origin, random: fill === 'random' ? randomBytes : (size) => Buffer.alloc(size, fill), sandbox };
}
