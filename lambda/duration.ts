/** One minute, in ms. */
export const MINUTE_MS = 60_000;

/** One hour, in ms. */
export const HOUR_MS = 60 * MINUTE_MS;

/** One day, in ms. */
export const DAY_MS = 24 * HOUR_MS;

/** `25 minutes`, `3 hours 5 minutes`, `2 days 4 hours`: two units at most, rounded down, never negative. */
export function describeDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / MINUTE_MS));
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return [plural(hours, 'hour'), ...(minutes % 60 ? [plural(minutes % 60, 'minute')] : [])].join(' ');
  const days = Math.floor(hours / 24);
  return [plural(days, 'day'), ...(hours % 24 ? [plural(hours % 24, 'hour')] : [])].join(' ');
}

/** `1 hour`, `3 hours`. */
export function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
