import { DAY_MS, describeDuration } from '../duration';
import { type Finding, makeFinding } from '../findings';

/**
 * Exchange-side expiry findings at `nowMs`: KEY_EXPIRED from the expiry instant on, KEY_EXPIRING within
 * `warnDays` before it; none when the exchange reports no expiry (`null`) or a date that does not parse.
 */
export function assessExchangeExpiry(exchangeExpiresAt: string | null, warnDays: number, nowMs: number, exchange: string): Finding[] {
  if (exchangeExpiresAt === null) return [];
  const expiresMs = Date.parse(exchangeExpiresAt);
  if (Number.isNaN(expiresMs)) return [];
  const at = new Date(expiresMs).toISOString();
  const untilMs = expiresMs - nowMs;
  // Unlike a rotation date (due by then), an expiry date is when the key stops working: at that instant it has expired.
  if (untilMs <= 0) return [makeFinding('KEY_EXPIRED', `${exchange} reports that the key expired on ${at}.`)];
  if (untilMs <= warnDays * DAY_MS)
    return [makeFinding('KEY_EXPIRING', `${exchange} reports that the key expires on ${at}, in ${describeDuration(untilMs)}.`)];
  return [];
}
