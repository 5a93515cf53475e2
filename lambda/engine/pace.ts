import type { Clock } from '../clock';
import type { Pace } from '../exchanges/types';
import { Slots } from './concurrency';

/** An admitted key's hold on its exchange's pace: {@link start} when its check begins, {@link end} when it ends. */
export interface PaceTicket {
  start(): void;
  end(): void;
}

/**
 * Keeps one run's checks of one exchange to the adapter's {@link Pace}. Keys are admitted in the
 * order they asked, each waiting for a place among `keysInFlight` and then for room in the
 * `keysPerWindow` window. An admitted key may still wait for one of the run's places before its check
 * starts, so the window counts admitted keys that have not started as if they started now: however
 * the starts bunch, no window ever holds more than `keys` of them.
 */
export class PaceGate {
  private readonly slots: Slots | null;
  /** Start times of the started keys, oldest first, pruned to the last window. */
  private readonly starts: number[] = [];
  /** Admitted keys whose check has not started yet. */
  private pending = 0;
  /** Wakes an admission waiting for a pending key to start (the only way room can appear then). */
  private wake: (() => void) | null = null;
  /** The admissions, one after another: a key asks only after the one before it was admitted. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly pace: Pace,
    private readonly clock: Clock,
  ) {
    this.slots = pace.keysInFlight ? new Slots(pace.keysInFlight) : null;
  }

  /** Waits for the key's turn: its ticket, or `null` when the window would admit it only at or after `deadlineAtMs`. */
  enter(deadlineAtMs: number): Promise<PaceTicket | null> {
    const admitted = this.turn.then(() => this.admit(deadlineAtMs));
    this.turn = admitted;
    return admitted;
  }

  private async admit(deadlineAtMs: number): Promise<PaceTicket | null> {
    await this.slots?.take();
    const window = this.pace.keysPerWindow;
    while (window) {
      const now = this.clock.now();
      while (this.starts.length > 0 && (this.starts[0] as number) <= now - window.ms) this.starts.shift();
      const excess = this.starts.length + this.pending - window.keys;
      if (excess < 0) break;
      if (excess >= this.starts.length) {
        // Every place in the window is taken by admitted keys that have not started: wait for one to start.
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const at = (this.starts[excess] as number) + window.ms;
      if (at >= deadlineAtMs) {
        this.slots?.give();
        return null;
      }
      await this.clock.sleep(at - now);
    }
    this.pending++;
    let started = false;
    let ended = false;
    return {
      start: () => {
        if (started || ended) return;
        started = true;
        this.pending--;
        this.starts.push(this.clock.now());
        this.wake?.();
        this.wake = null;
      },
      end: () => {
        if (ended) return;
        ended = true;
        if (!started) {
          this.pending--;
          this.wake?.();
          this.wake = null;
        }
        this.slots?.give();
      },
    };
  }
}
