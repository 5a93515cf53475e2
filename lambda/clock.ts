/** Time as a port: the wall clock and a timer, injectable so the core is tested without waiting or mocking `Date`. */
export interface Clock {
  /** Wall-clock epoch ms. */
  readonly now: () => number;
  /** Resolves after `ms`. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** The real wall clock and timers of the process. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
