import { mapWithConcurrency } from '../../../lambda/engine/concurrency';

/** A worker that records how many calls are in flight and finishes in a shuffled order. */
function trackingWorker() {
  const state = { inFlight: 0, maxInFlight: 0, started: [] as number[] };
  const worker = async (item: number, index: number) => {
    state.started.push(index);
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    // Later items finish sooner, so results arrive out of order.
    for (let tick = 0; tick < 10 - (item % 10); tick++) await Promise.resolve();
    state.inFlight -= 1;
    return item * 2;
  };
  return { state, worker };
}

describe('mapWithConcurrency', () => {
  it.each([
    [1, 10, 1],
    [3, 10, 3],
    [9, 10, 9],
    [10, 10, 10],
    [11, 10, 10],
    [100, 3, 3],
  ])('with limit %d over %d items runs at most %d at once and keeps the order', async (limit, count, expectedMax) => {
    const items = Array.from({ length: count }, (_, i) => i);
    const { state, worker } = trackingWorker();
    const results = await mapWithConcurrency(items, limit, worker);
    expect(results).toEqual(items.map((i) => i * 2));
    expect(state.maxInFlight).toBe(expectedMax);
    expect([...state.started].sort((a, b) => a - b)).toEqual(items);
  });

  it('returns an empty list for no items without calling the worker', async () => {
    const worker = jest.fn(async (item: number) => item);
    await expect(mapWithConcurrency([], 5, worker)).resolves.toEqual([]);
    expect(worker).not.toHaveBeenCalled();
  });

  it('still makes progress with a limit below 1', async () => {
    const { state, worker } = trackingWorker();
    await expect(mapWithConcurrency([1, 2, 3], 0, worker)).resolves.toEqual([2, 4, 6]);
    expect(state.maxInFlight).toBe(1);
  });

  it('passes each item with its index', async () => {
    await expect(mapWithConcurrency(['a', 'b', 'c'], 2, async (item, index) => `${index}:${item}`)).resolves.toEqual(['0:a', '1:b', '2:c']);
  });

  it('starts the next item as soon as a lane is free', async () => {
    const order: string[] = [];
    const waits = [30, 1, 1, 1];
    await mapWithConcurrency(waits, 2, async (ms, i) => {
      order.push(`start ${i}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(`end ${i}`);
    });
    // Item 0 is slow: items 2 and 3 run in the other lane before it ends.
    expect(order.indexOf('end 3')).toBeLessThan(order.indexOf('end 0'));
  });
});
