import type { ClockWindow } from '../exchanges/types';
import { type Finding, makeFinding } from '../findings';
import type { ClockReading, ClockSource } from '../report';

/** A measured offset: our clock minus the exchange's, at the midpoint of the round trip. */
export interface ClockMeasurement {
  readonly offsetMs: number;
  readonly rttMs: number;
  readonly source: ClockSource;
}

/** NTP-style estimate from a server time read between `sentAtMs` and `receivedAtMs` (all wall ms). */
export function measureOffset(sentAtMs: number, receivedAtMs: number, serverMs: number, source: ClockSource): ClockMeasurement {
  const rttMs = Math.max(0, receivedAtMs - sentAtMs);
  return { offsetMs: Math.round(sentAtMs + rttMs / 2 - serverMs), rttMs: Math.round(rttMs), source };
}

/**
 * Estimate from an HTTP `Date` header. The header has one-second resolution (it is truncated),
 * so the server's time lies in [date, date + 1000): we take the middle.
 */
export function measureFromDateHeader(sentAtMs: number, receivedAtMs: number, dateHeader: string | undefined): ClockMeasurement | null {
  if (dateHeader === undefined) return null;
  const serverMs = Date.parse(dateHeader);
  if (Number.isNaN(serverMs)) return null;
  return measureOffset(sentAtMs, receivedAtMs, serverMs + 500, 'date-header');
}

/** The tolerance that applies in the direction of the offset (ahead: positive). */
export function toleranceFor(offsetMs: number, window: ClockWindow): number {
  return offsetMs > 0 ? window.aheadMs : window.behindMs;
}

/** True when the offset is outside what the exchange accepts. */
export function isOutsideWindow(offsetMs: number, window: ClockWindow): boolean {
  return Math.abs(offsetMs) > toleranceFor(offsetMs, window);
}

/** Describes an offset for people: `+1234 ms (ahead of Coinbase)`. */
export function describeOffset(offsetMs: number, exchange: string): string {
  const sign = offsetMs > 0 ? '+' : '';
  const direction = offsetMs > 0 ? 'ahead of' : offsetMs < 0 ? 'behind' : 'level with';
  return `${sign}${offsetMs} ms (our clock is ${direction} ${exchange})`;
}

/** The report's clock block, and a CLOCK_DRIFT warning when the offset uses more than half the tolerance. */
export function assessClock(
  measurement: ClockMeasurement | null,
  window: ClockWindow | null,
  exchange: string,
): { reading: ClockReading; findings: Finding[] } {
  if (!measurement) return { reading: { offsetMs: null, rttMs: null, toleranceMs: null, source: null }, findings: [] };
  // Without a window (signing carries no timestamp) the offset is reported, but no drift can hurt the key.
  if (!window) return { reading: { ...measurement, toleranceMs: null }, findings: [] };
  const toleranceMs = toleranceFor(measurement.offsetMs, window);
  const reading: ClockReading = { ...measurement, toleranceMs };
  const used = Math.abs(measurement.offsetMs);
  if (used * 2 <= toleranceMs) return { reading, findings: [] };
  const beyond = used > toleranceMs ? ', beyond what it documents accepting' : '';
  return {
    reading,
    findings: [
      makeFinding(
        'CLOCK_DRIFT',
        `Clock offset ${describeOffset(measurement.offsetMs, exchange)} uses ${Math.round((used / toleranceMs) * 100)}% of the ${toleranceMs} ms the exchange accepts in that direction${beyond} (round trip ${measurement.rttMs} ms, measured from the ${measurement.source}).`,
      ),
    ],
  };
}
