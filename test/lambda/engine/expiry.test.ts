import { assessExchangeExpiry } from '../../../lambda/engine/expiry';

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
    [DAY + 3 * 3_600_000, 'Bybit reports that the key expires on 2026-11-28T13:00:00.000Z, in 27 hours.'],
    [59 * 60_000, 'Bybit reports that the key expires on 2026-11-27T10:59:00.000Z, in 59 minutes.'],
    [-DAY, 'Bybit reports that the key expired on 2026-11-26T10:00:00.000Z.'],
  ])('says when the key expires (%d ms ahead)', (offsetMs, message) => {
    expect(assessExchangeExpiry(at(offsetMs), 14, NOW, 'Bybit')[0]?.message).toBe(message);
  });
});
