import type { Clock } from '../../../lambda/clock';
import { PaceGate } from '../../../lambda/engine/pace';

/** A clock that only moves when someone sleeps: every wait is exact and nothing waits for real. */
function virtualClock(startMs = 1_000_000) {
  let now = startMs;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      await Promise.resolve();
      now += ms;
    },
  };
  return { clock, sleeps, at: () => now - startMs };
}

const FAR = Number.MAX_SAFE_INTEGER;

describe('PaceGate', () => {
  it('keeps at most keysInFlight keys in flight and admits the next as one ends, in the order they asked', async () => {
    const { clock } = virtualClock();
    const gate = new PaceGate({ keysInFlight: 2, why: 'two at once' }, clock);
    const order: string[] = [];
    let inFlight = 0;
    let most = 0;
    const ends: (() => void)[] = [];
    const runs = [0, 1, 2, 3, 4].map(async (i) => {
      const ticket = await gate.enter(FAR);
      if (!ticket) throw new Error('not admitted');
      ticket.start();
      order.push(`start ${i}`);
      most = Math.max(most, ++inFlight);
      await new Promise<void>((resolve) => ends.push(resolve));
      inFlight--;
      ticket.end();
    });
    for (let step = 0; step < 5; step++) {
      await new Promise((resolve) => setImmediate(resolve));
      ends.shift()?.();
    }
    await Promise.all(runs);
    expect(most).toBe(2);
    expect(order).toEqual(['start 0', 'start 1', 'start 2', 'start 3', 'start 4']);
  });

  it('starts no more than keysPerWindow.keys in any window, waiting exactly until the oldest start leaves it', async () => {
    const { clock, at } = virtualClock();
    const gate = new PaceGate({ keysPerWindow: { keys: 3, ms: 1000 }, why: 'three a second' }, clock);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, async () => {
        const ticket = await gate.enter(FAR);
        if (!ticket) throw new Error('not admitted');
        ticket.start();
        starts.push(at());
        ticket.end();
      }),
    );
    expect(starts).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
    for (const t of starts) expect(starts.filter((s) => s > t - 1000 && s <= t).length).toBeLessThanOrEqual(3);
  });

  it('counts admitted keys that have not started yet, so starts that bunch up later still keep to the window', async () => {
    const { clock, at } = virtualClock();
    const gate = new PaceGate({ keysPerWindow: { keys: 2, ms: 1000 }, why: 'two a second' }, clock);
    const first = await gate.enter(FAR);
    const second = await gate.enter(FAR);
    let thirdAdmitted = false;
    const third = gate.enter(FAR).then((ticket) => {
      thirdAdmitted = true;
      return ticket;
    });
    // Neither admitted key has started (each waits for one of the run's places): the third must wait for a start.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(thirdAdmitted).toBe(false);
    first?.start();
    const ticket = await third;
    // The start at 0 holds its place until 1000; the unstarted second key holds the other.
    expect(at()).toBe(1000);
    second?.start();
    ticket?.start();
    expect(ticket).not.toBeNull();
  });

  it('admits no key whose turn would come at or after the deadline, and frees its place', async () => {
    const { clock, sleeps } = virtualClock();
    const gate = new PaceGate({ keysInFlight: 1, keysPerWindow: { keys: 1, ms: 60_000 }, why: 'one a minute' }, clock);
    const deadline = clock.now() + 5000;
    const first = await gate.enter(deadline);
    first?.start();
    first?.end();
    await expect(gate.enter(deadline)).resolves.toBeNull();
    await expect(gate.enter(deadline)).resolves.toBeNull();
    expect(sleeps).toEqual([]);
    // The place the refused keys took is free again: a run with a later deadline gets its turn after the minute.
    const later = await gate.enter(clock.now() + 120_000);
    expect(later).not.toBeNull();
    expect(sleeps).toEqual([60_000]);
  });

  it('gives back the place of a key that ends without starting', async () => {
    const { clock } = virtualClock();
    const gate = new PaceGate({ keysInFlight: 1, keysPerWindow: { keys: 1, ms: 1000 }, why: 'one' }, clock);
    const first = await gate.enter(FAR);
    first?.end();
    first?.end();
    const second = await gate.enter(FAR);
    expect(second).not.toBeNull();
  });
});
