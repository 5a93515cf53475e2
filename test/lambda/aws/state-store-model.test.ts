import fc from 'fast-check';
import type { AlertState } from '../../../lambda/alerts/decide';
import type { AlertStateStore, PendingAnnouncement } from '../../../lambda/alerts/deliver';
import { DynamoAlertStateStore } from '../../../lambda/aws/state-store';
import { STATUSES } from '../../../lambda/findings';
import { ModelAlertStateStore } from '../../support/alert-state-model';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

const KEYS = ['k1', 'k2'] as const;
const T0 = Date.parse('2026-11-27T10:00:00.000Z');

const stateArb: fc.Arbitrary<AlertState> = fc.record({
  status: fc.constantFrom(...STATUSES),
  codes: fc.uniqueArray(fc.constantFrom('AUTH_INVALID_KEY', 'RATE_LIMITED', 'ROTATION_DUE'), { maxLength: 3 }).map((codes) => codes.sort()),
  since: fc.option(fc.constantFrom('2026-11-27T09:00:00.000Z', '2026-11-27T09:30:00.000Z'), { nil: null }),
  lastNotifiedAt: fc.option(fc.constant('2026-11-27T09:55:00.000Z'), { nil: null }),
  unknownRuns: fc.nat({ max: 4 }),
  secretVersionId: fc.option(fc.constantFrom('v1', 'v2'), { nil: null }),
});

const pendingArb: fc.Arbitrary<PendingAnnouncement> = fc.record({ next: stateArb, from: stateArb, by: fc.constantFrom('run-a', 'run-b') });

/** A store call, with its revision given relative to the key's current one so that both winning and losing conditions come up. */
type Op =
  | { readonly kind: 'read'; readonly key: string }
  | {
      readonly kind: 'claim';
      readonly key: string;
      readonly delta: number;
      readonly advanceMs: number;
      readonly leaseMs: number;
      readonly pending: PendingAnnouncement;
    }
  | { readonly kind: 'save'; readonly key: string; readonly delta: number; readonly advanceMs: number; readonly state: AlertState }
  | {
      readonly kind: 'commit';
      readonly key: string;
      readonly delta: number;
      readonly state: AlertState;
      readonly pending: PendingAnnouncement | null;
    };

const keyArb = fc.constantFrom(...KEYS);
const deltaArb = fc.constantFrom(-1, 0, 0, 0, 1);
const advanceArb = fc.constantFrom(0, 1, 500, 1_000);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), key: keyArb }),
  fc.record({
    kind: fc.constant('claim' as const),
    key: keyArb,
    delta: deltaArb,
    advanceMs: advanceArb,
    leaseMs: fc.constantFrom(0, 1, 1_000),
    pending: pendingArb,
  }),
  fc.record({ kind: fc.constant('save' as const), key: keyArb, delta: deltaArb, advanceMs: advanceArb, state: stateArb }),
  fc.record({
    kind: fc.constant('commit' as const),
    key: keyArb,
    delta: deltaArb,
    state: stateArb,
    pending: fc.option(pendingArb, { nil: null }),
  }),
);

/** Applies one call to a store at the clock `nowMs`, with the revision taken from the key as `reference` holds it. */
async function apply(store: AlertStateStore, op: Op, revision: number, nowMs: number): Promise<unknown> {
  switch (op.kind) {
    case 'read':
      return store.read(op.key);
    case 'claim':
      return store.claim(op.key, revision, nowMs, nowMs + op.leaseMs, op.pending);
    case 'save':
      return store.save(op.key, revision, nowMs, op.state);
    case 'commit':
      return store.commit(op.key, revision, op.state, op.pending);
  }
}

describe('ModelAlertStateStore', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());

  it('answers every sequence of reads, claims, saves and commits exactly as DynamoAlertStateStore on dynalite does', async () => {
    let sequences = 0;
    let conditionsLost = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 16 }), async (ops) => {
        sequences += 1;
        const model = new ModelAlertStateStore();
        const real = new DynamoAlertStateStore(dynamo.client, await dynamo.createTable());
        let nowMs = T0;
        for (const op of ops) {
          if (op.kind === 'claim' || op.kind === 'save') nowMs += op.advanceMs;
          const current = (await model.read(op.key))?.revision ?? 0;
          const revision = Math.max(0, current + (op.kind === 'read' ? 0 : op.delta));
          const expected = await apply(model, op, revision, nowMs);
          expect(await apply(real, op, revision, nowMs)).toEqual(expected);
          if (expected === null || expected === false) conditionsLost += 1;
        }
        for (const key of KEYS) expect(await real.read(key)).toEqual(await model.read(key));
      }),
      { numRuns: 80 },
    );
    // The sequences must have exercised both sides of the conditions, or the equality proves little.
    expect(sequences).toBe(80);
    expect(conditionsLost).toBeGreaterThan(50);
  });
});
