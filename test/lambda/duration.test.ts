import { describeDuration } from '../../lambda/duration';

describe('describeDuration', () => {
  it.each([
    [-5_000, '0 minutes'],
    [59_999, '0 minutes'],
    [60_000, '1 minute'],
    [59 * 60_000, '59 minutes'],
    [60 * 60_000, '1 hour'],
    [185 * 60_000, '3 hours 5 minutes'],
    [(48 * 60 - 1) * 60_000, '47 hours 59 minutes'],
    [48 * 3_600_000, '2 days'],
    [52 * 3_600_000 + 59 * 60_000, '2 days 4 hours'],
  ])('words %i ms as "%s"', (ms, words) => {
    expect(describeDuration(ms)).toBe(words);
  });
});
