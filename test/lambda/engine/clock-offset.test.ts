import {
  assessClock,
  type ClockMeasurement,
  describeOffset,
  isOutsideWindow,
  measureFromDateHeader,
  measureOffset,
  toleranceFor,
} from '../../../lambda/engine/clock-offset';
import type { ClockWindow } from '../../../lambda/exchanges/types';

/** Asymmetric on purpose, so a mixed-up direction shows. */
const WINDOW: ClockWindow = { aheadMs: 1000, behindMs: 5000 };

const at = (offsetMs: number): ClockMeasurement => ({ offsetMs, rttMs: 40, source: 'time-endpoint' });

describe('measureOffset', () => {
  it.each([
    // sent, received, server: the server read is taken at the midpoint of the round trip.
    [1000, 1100, 1050, 0, 100],
    [1000, 1100, 1000, 50, 100],
    [1000, 1100, 1100, -50, 100],
    [1000, 1000, 400, 600, 0],
    [1000, 1101, 1000, 51, 101],
  ])('sent %d, received %d, server %d gives offset %d (positive: we are ahead) and rtt %d', (sent, received, server, offsetMs, rttMs) => {
    expect(measureOffset(sent, received, server, 'time-endpoint')).toEqual({ offsetMs, rttMs, source: 'time-endpoint' });
  });

  it('treats a clock that stepped backwards during the request as a zero round trip', () => {
    expect(measureOffset(1000, 990, 1000, 'response-body')).toEqual({ offsetMs: 0, rttMs: 0, source: 'response-body' });
  });
});

describe('measureFromDateHeader', () => {
  const second = Date.parse('Fri, 27 Nov 2026 10:00:00 GMT');

  it('takes the middle of the header second (+500 ms)', () => {
    expect(measureFromDateHeader(second + 400, second + 600, 'Fri, 27 Nov 2026 10:00:00 GMT')).toEqual({
      offsetMs: 0,
      rttMs: 200,
      source: 'date-header',
    });
    expect(measureFromDateHeader(second + 2500, second + 2500, 'Fri, 27 Nov 2026 10:00:00 GMT')?.offsetMs).toBe(2000);
    expect(measureFromDateHeader(second - 1500, second - 1500, 'Fri, 27 Nov 2026 10:00:00 GMT')?.offsetMs).toBe(-2000);
  });

  it.each([undefined, '', 'not a date', 'Fri, 99 Nov 2026 99:00:00 GMT'])('returns null for the header %j', (header) => {
    expect(measureFromDateHeader(1000, 1100, header)).toBeNull();
  });
});

describe('toleranceFor', () => {
  it.each([
    [1, 1000],
    [30_000, 1000],
    [0, 5000],
    [-1, 5000],
  ])('uses the tolerance of the direction of %d ms', (offsetMs, tolerance) => {
    expect(toleranceFor(offsetMs, WINDOW)).toBe(tolerance);
  });
});

describe('isOutsideWindow', () => {
  it.each([
    [999, false],
    [1000, false],
    [1001, true],
    [-4999, false],
    [-5000, false],
    [-5001, true],
  ])('says whether %d ms is outside the window: %s', (offsetMs, outside) => {
    expect(isOutsideWindow(offsetMs, WINDOW)).toBe(outside);
  });
});

describe('describeOffset', () => {
  it.each([
    [1234, '+1234 ms (our clock is ahead of Coinbase)'],
    [-12, '-12 ms (our clock is behind Coinbase)'],
    [0, '0 ms (our clock is level with Coinbase)'],
  ])('describes %d ms', (offsetMs, text) => {
    expect(describeOffset(offsetMs, 'Coinbase')).toBe(text);
  });
});

describe('assessClock', () => {
  it('reports nothing measured as nulls without findings', () => {
    expect(assessClock(null, WINDOW, 'Coinbase')).toEqual({
      reading: { offsetMs: null, rttMs: null, toleranceMs: null, source: null },
      findings: [],
    });
  });

  it('fills the reading with the tolerance of the offset direction', () => {
    expect(assessClock(at(-12), WINDOW, 'Coinbase').reading).toEqual({
      offsetMs: -12,
      rttMs: 40,
      toleranceMs: 5000,
      source: 'time-endpoint',
    });
    expect(assessClock(at(12), WINDOW, 'Coinbase').reading.toleranceMs).toBe(1000);
  });

  it.each([
    [0, false],
    [499, false],
    [500, false],
    [501, true],
    [-2499, false],
    [-2500, false],
    [-2501, true],
  ])('at %d ms warns of CLOCK_DRIFT: %s (more than half the tolerance)', (offsetMs, warns) => {
    const { findings } = assessClock(at(offsetMs), WINDOW, 'Coinbase');
    expect(findings.map((f) => f.code)).toEqual(warns ? ['CLOCK_DRIFT'] : []);
  });

  it('says how much of the tolerance the offset uses, and how it was measured', () => {
    const [finding] = assessClock(at(750), WINDOW, 'Coinbase').findings;
    expect(finding?.severity).toBe('warning');
    expect(finding?.message).toBe(
      'Clock offset +750 ms (our clock is ahead of Coinbase) uses 75% of the 1000 ms the exchange accepts in that direction (round trip 40 ms, measured from the time-endpoint).',
    );
  });

  it.each([
    [1000, false],
    [1001, true],
    [-5000, false],
    [-5001, true],
  ])('at %d ms says the offset is beyond what the exchange accepts: %s', (offsetMs, beyond) => {
    const [finding] = assessClock(at(offsetMs), WINDOW, 'Coinbase').findings;
    expect(finding?.code).toBe('CLOCK_DRIFT');
    expect(finding?.message.includes(', beyond what it documents accepting')).toBe(beyond);
  });
});
