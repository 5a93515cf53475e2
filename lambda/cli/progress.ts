import type { Clock } from '../clock';
import type { KeyResult } from '../report';

/** A one-line progress display for a terminal. */
export interface Progress {
  /** One more key's check ended. */
  update(result: KeyResult, done: number): void;
  stop(): void;
}

/** Say nothing for the first second, then redraw every second: a quick run prints no progress at all. */
const QUIET_MS = 1_000;

/**
 * Keeps one line on stderr (rewritten in place) that counts keys done and how long the run has
 * waited, so a slow exchange holding the run is not silence; erased when the run ends.
 */
export function startProgress(write: (text: string) => void, clock: Clock, total: number): Progress {
  const startedAtMs = clock.now();
  let done = 0;
  let shown = false;
  // The timer's first tick is itself the quiet second; measuring it again against the wall clock would
  // skip a tick that fires a millisecond early (timers run on a monotonic clock) and stay silent.
  const draw = (fromTimer: boolean) => {
    if (done >= total || (!fromTimer && clock.now() - startedAtMs < QUIET_MS)) return;
    const seconds = Math.round((clock.now() - startedAtMs) / 1000);
    write(`\r\u001b[2Kkey-health: ${done} of ${total} keys checked, ${seconds} s…`);
    shown = true;
  };
  const timer = setInterval(() => draw(true), QUIET_MS);
  timer.unref();
  return {
    update(_result, keysDone) {
      done = keysDone;
      draw(false);
    },
    stop() {
      clearInterval(timer);
      if (shown) write('\r\u001b[2K');
    },
  };
}
