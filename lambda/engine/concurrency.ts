/** A first-come first-served count of free places: at most `limit` holders at once (at least one). */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.free = Math.max(1, limit);
  }

  /** Resolves once a place is the caller's; give it back with {@link give}. */
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /** Runs `task` in a place of its own, giving the place back however it ends. */
  async run<R>(task: () => Promise<R>): Promise<R> {
    await this.take();
    try {
      return await task();
    } finally {
      this.give();
    }
  }
}

/** Maps `items` through `worker` with at most `limit` in flight, keeping the input order. */
export function mapWithConcurrency<T, R>(items: readonly T[], limit: number, worker: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const slots = new Slots(limit);
  return Promise.all(items.map((item, index) => slots.run(() => worker(item, index))));
}
