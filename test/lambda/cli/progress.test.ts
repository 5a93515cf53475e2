import { startProgress } from '../../../lambda/cli/progress';
import type { Clock } from '../../../lambda/clock';
import { buildKeyResult } from '../../../lambda/report';

describe('startProgress', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A wall clock that lags the timers by `lagMs`, as Date.now can lag a monotonic timer by a millisecond. */
  function setup(lagMs: number) {
    const start = 1_000_000;
    let elapsed = 0;
    const clock: Clock = { now: () => start + Math.max(0, elapsed - lagMs), sleep: async () => undefined };
    const lines: string[] = [];
    const progress = startProgress((text) => lines.push(text), clock, 2);
    const advance = (ms: number) => {
      elapsed += ms;
      jest.advanceTimersByTime(ms);
    };
    return { progress, lines, advance };
  }

  it('draws at the first tick even when the wall clock says a millisecond less than a second', () => {
    const { progress, lines, advance } = setup(1);
    advance(1000);
    expect(lines).toEqual(['\r\u001b[2Kkey-health: 0 of 2 keys checked, 1 s…']);
    progress.stop();
    expect(lines.at(-1)).toBe('\r\u001b[2K');
  });

  it('says nothing when the run ends within the first second', () => {
    const { progress, lines, advance } = setup(0);
    advance(400);
    const result = buildKeyResult({ name: 'a', exchange: 'okx' }, []);
    progress.update(result, 1);
    progress.update(result, 2);
    progress.stop();
    advance(2000);
    expect(lines).toEqual([]);
  });

  it('redraws when a key ends after the first second, and every second', () => {
    const { progress, lines, advance } = setup(0);
    advance(1000);
    advance(500);
    progress.update(buildKeyResult({ name: 'a', exchange: 'okx' }, []), 1);
    advance(500);
    expect(lines).toEqual([
      '\r\u001b[2Kkey-health: 0 of 2 keys checked, 1 s…',
      '\r\u001b[2Kkey-health: 1 of 2 keys checked, 2 s…',
      '\r\u001b[2Kkey-health: 1 of 2 keys checked, 2 s…',
    ]);
    progress.stop();
  });
});
