import { type Finding, makeFinding } from '../findings';

const DAY_MS = 86_400_000;

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
    return [makeFinding('KEY_EXPIRING', `${exchange} reports that the key expires on ${at}, in ${describeUntil(untilMs)}.`)];
  return [];
}

function describeUntil(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  if (days >= 2) return `${days} days`;
  const hours = Math.floor(ms / 3_600_000);
  return hours >= 1 ? `${hours} h` : 'less than an hour';
}
