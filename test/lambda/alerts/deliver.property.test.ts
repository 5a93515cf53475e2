import fc from 'fast-check';
import type { AlertSettings } from '../../../lambda/alerts/decide';
import { type AlertStateStore, COMMIT_RETRY, deliverAlerts, LEASE_MS } from '../../../lambda/alerts/deliver';
import { DynamoAlertStateStore } from '../../../lambda/aws/state-store';
import type { CheckedKey } from '../../../lambda/engine/check-key';
import { AlertPublishError, AlertStateError } from '../../../lambda/errors';
import { type FindingCode, makeFinding, type Status } from '../../../lambda/findings';
import { buildKeyResult, buildReport, type KeyResult } from '../../../lambda/report';
import { ModelAlertStateStore } from '../../support/alert-state-model';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

/*
 * Histories of check results for a few keys, run through deliverAlerts with the infrastructure
 * failing on the way: reads, saves and claims that throw (before or after the table applied them),
 * publishes SNS refuses or never answers (having taken the message or not), commits that fail for a
 * while or for the whole retry window, invocations that die at any step, and two invocations on the
 * same table at once. After each history the infrastructure recovers and every key is checked until
 * its last result has settled; then the messages each key's recipients got must tell its story.
 */

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const KEY_NAMES = ['k1', 'k2', 'k3'];

/** What one check of a key can find; `notChecked` is a key the run's deadline left unchecked. */
const OUTCOMES = {
  ok: [],
  rotationDue: ['ROTATION_DUE'],
  clockDrift: ['CLOCK_DRIFT'],
  keyInvalid: ['AUTH_INVALID_KEY'],
  keyInvalidAndDue: ['AUTH_INVALID_KEY', 'ROTATION_DUE'],
  ipBlocked: ['IP_NOT_ALLOWED'],
  exchangeDown: ['EXCHANGE_UNAVAILABLE'],
  rateLimited: ['RATE_LIMITED'],
} as const satisfies Record<string, readonly FindingCode[]>;
type Outcome = keyof typeof OUTCOMES | 'notChecked';

type StoreFault = 'none' | 'before' | 'after';
/** `lost`: SNS never got it and no answer came; `taken`: SNS took it but its answer never came. */
type PublishFault = 'none' | 'refused' | 'lost' | 'taken';

interface KeyFaults {
  readonly read: boolean;
  readonly save: StoreFault;
  readonly claim: StoreFault;
  readonly publish: PublishFault;
  /** How each commit call of this key goes, in order (a release after a failed publish is a commit too); afterwards they succeed. */
  readonly commits: readonly StoreFault[];
}

interface Invocation {
  readonly offsetMs: number;
  readonly faults: readonly KeyFaults[];
  /** The invocation dies at this store or SNS call (counted from 0), which never returns; a publish it dies in may have gone out. */
  readonly killAt: { readonly call: number; readonly taken: boolean } | null;
  /** Microtask yields before each call, so that two invocations interleave differently. */
  readonly yields: readonly number[];
}

interface Step {
  readonly gapMs: number;
  readonly outcomes: readonly Outcome[];
  /** One invocation, or two on the same table at once. */
  readonly invocations: readonly Invocation[];
}

interface History {
  readonly keys: number;
  readonly settings: AlertSettings;
  readonly steps: readonly Step[];
}

const NO_FAULTS: KeyFaults = { read: false, save: 'none', claim: 'none', publish: 'none', commits: [] };

const storeFaultArb = fc.oneof(
  { weight: 14, arbitrary: fc.constant<StoreFault>('none') },
  { weight: 1, arbitrary: fc.constantFrom<StoreFault>('before', 'after') },
);
const keyFaultsArb: fc.Arbitrary<KeyFaults> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(NO_FAULTS) },
  {
    weight: 2,
    arbitrary: fc.record({
      read: fc.oneof({ weight: 14, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      save: storeFaultArb,
      claim: storeFaultArb,
      publish: fc.oneof(
        { weight: 9, arbitrary: fc.constant<PublishFault>('none') },
        { weight: 1, arbitrary: fc.constantFrom<PublishFault>('refused', 'lost', 'taken') },
      ),
      commits: fc.oneof(
        { weight: 5, arbitrary: fc.constant<StoreFault[]>([]) },
        { weight: 2, arbitrary: fc.array(fc.constantFrom<StoreFault>('before', 'after', 'none'), { minLength: 1, maxLength: 6 }) },
        // The first attempt and every retry of COMMIT_RETRY fail: the table is down for the whole window.
        { weight: 1, arbitrary: fc.constant<StoreFault[]>(Array(COMMIT_RETRY.retries + 1).fill('before')) },
      ),
    }),
  },
);
const invocationArb = (keys: number): fc.Arbitrary<Invocation> =>
  fc.record({
    offsetMs: fc.integer({ min: 0, max: 60_000 }),
    faults: fc.array(keyFaultsArb, { minLength: keys, maxLength: keys }),
    killAt: fc.oneof(
      { weight: 8, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.record({ call: fc.nat({ max: 12 }), taken: fc.boolean() }) },
    ),
    yields: fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 8 }),
  });
const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Outcome>('ok') },
  { weight: 3, arbitrary: fc.constantFrom<Outcome>('keyInvalid', 'keyInvalidAndDue', 'ipBlocked') },
  { weight: 2, arbitrary: fc.constantFrom<Outcome>('rotationDue', 'clockDrift') },
  { weight: 3, arbitrary: fc.constantFrom<Outcome>('exchangeDown', 'rateLimited') },
  { weight: 1, arbitrary: fc.constant<Outcome>('notChecked') },
);
const historyArb: fc.Arbitrary<History> = fc.integer({ min: 1, max: KEY_NAMES.length }).chain((keys) =>
  fc.record({
    keys: fc.constant(keys),
    settings: fc.record({ unknownAfterRuns: fc.integer({ min: 1, max: 3 }), repeatAfterHours: fc.constantFrom(1, 24) }),
    steps: fc.array(
      fc.record({
        gapMs: fc.integer({ min: 1, max: 40 }).map((minutes) => minutes * MINUTE),
        outcomes: fc.array(outcomeArb, { minLength: keys, maxLength: keys }),
        invocations: fc.oneof(
          { weight: 5, arbitrary: fc.tuple(invocationArb(keys)) },
          { weight: 1, arbitrary: fc.tuple(invocationArb(keys), invocationArb(keys)) },
        ),
      }),
      { minLength: 1, maxLength: 10 },
    ),
  }),
);

function resultOf(name: string, outcome: Exclude<Outcome, 'notChecked'>): KeyResult {
  const findings = OUTCOMES[outcome].map((code) => makeFinding(code, `${code} happened`));
  return buildKeyResult({ name, exchange: 'coinbase-exchange' }, findings);
}

function checkedOf(name: string, outcome: Outcome): CheckedKey {
  if (outcome === 'notChecked')
    return {
      result: { ...resultOf(name, 'exchangeDown'), findings: [makeFinding('EXCHANGE_UNAVAILABLE', 'The run deadline was reached.')] },
      secretVersionId: null,
      deadlineReached: true,
    };
  return { result: resultOf(name, outcome), secretVersionId: null };
}

/** Status and sorted codes: what a message announces and what recipients believe afterwards. */
interface Announced {
  readonly status: Status;
  readonly codes: readonly string[];
}

const OK: Announced = { status: 'ok', codes: [] };
const same = (a: Announced, b: Announced) => a.status === b.status && a.codes.join() === b.codes.join();
const show = (a: Announced) => `${a.status}[${a.codes.join(',')}]`;

/** One message SNS took (its recipients got it), with what the run that sent it knew. */
interface Delivery {
  readonly key: string;
  readonly kind: string;
  readonly previous: Announced;
  readonly next: Announced;
  readonly checkedAtMs: number;
  /** Why its run never recorded it, or `null` once a commit recorded it. */
  unrecorded: 'commit failed' | 'run died' | 'no answer from SNS' | null;
}

/** What a history did, for the properties and the tallies. */
interface Trace {
  readonly deliveries: Delivery[];
  /** Per key, announcements a run claimed and may have left pending without sending them. */
  readonly phantoms: Map<string, Announced[]>;
}

/** How often the accepted cases came up over all histories. */
const tally = {
  histories: 0,
  messages: 0,
  duplicates: { 'commit failed': 0, 'run died': 0, 'no answer from SNS': 0 },
  /** Messages that started from an announcement a run claimed, could not record, and never sent. */
  fromUnsent: 0,
  /** Of those, RESOLVED messages: they follow an alert that may never have arrived. */
  resolvedUnsent: 0,
  injected: { storeFaults: 0, publishFaults: 0, killed: 0, overlapping: 0, commitWindowExhausted: 0 },
  /** Sent messages whose commit failed at least once and was then recorded by a retry (or found landed): duplicates avoided. */
  commitsRescued: 0,
};

const never = <T>() => new Promise<T>(() => undefined);

/** Runs one invocation of deliverAlerts for one step, with its faults, and records what SNS took. */
async function invoke(
  base: AlertStateStore,
  names: readonly string[],
  outcomes: readonly Outcome[],
  checkedAtMs: number,
  invocation: Invocation,
  settings: AlertSettings,
  trace: Trace,
): Promise<void> {
  const faultsOf = (key: string) => invocation.faults[names.indexOf(key)] ?? NO_FAULTS;
  let elapsedMs = 0;
  let calls = 0;
  let died: () => void = () => undefined;
  const dead = new Promise<void>((resolve) => {
    died = resolve;
  });
  let isDead = false;
  const decided = new Map<string, { kind: string; previous: Announced; next: Announced }>();
  const claimed = new Map<string, Announced>();
  const delivered = new Map<string, Delivery>();
  const releasedTo = new Map<string, Announced | null>();
  const used = new Set<string>();
  const inFlight: Promise<unknown>[] = [];
  const commitFaulted = new Set<string>();
  const commitPlans = new Map(names.map((key) => [key, [...faultsOf(key).commits]]));
  const once = (key: string, what: string) => {
    const first = !used.has(`${what}:${key}`);
    used.add(`${what}:${key}`);
    return first;
  };

  /** Every store and SNS call passes here: it yields (to interleave), counts, and may kill the invocation. */
  async function call<T>(work: () => Promise<T>, onDeath?: () => void): Promise<T> {
    for (let i = invocation.yields[calls % invocation.yields.length] ?? 0; i > 0; i--) await Promise.resolve();
    if (isDead) return never();
    if (invocation.killAt?.call === calls) {
      isDead = true;
      tally.injected.killed += 1;
      onDeath?.();
      died();
      return never();
    }
    calls += 1;
    elapsedMs += 1;
    const working = work();
    inFlight.push(working);
    return working;
  }

  async function withFault<T>(fault: StoreFault, operation: string, key: string, work: () => Promise<T>): Promise<T> {
    if (fault !== 'none') tally.injected.storeFaults += 1;
    if (fault === 'before') throw new AlertStateError(operation, key, 'ProvisionedThroughputExceededException: injected');
    const result = await work();
    if (fault === 'after') throw new AlertStateError(operation, key, 'TimeoutError: the answer was lost');
    return result;
  }

  const store: AlertStateStore = {
    read: (key) =>
      call(async () => {
        if (faultsOf(key).read && once(key, 'read')) {
          tally.injected.storeFaults += 1;
          throw new AlertStateError('read', key, 'ThrottlingException: injected');
        }
        return base.read(key);
      }),
    save: (key, revision, nowMs, state) =>
      call(() => withFault(once(key, 'save') ? faultsOf(key).save : 'none', 'save', key, () => base.save(key, revision, nowMs, state))),
    claim: (key, revision, nowMs, untilMs, pending) =>
      call(() =>
        withFault(once(key, 'claim') ? faultsOf(key).claim : 'none', 'claim', key, async () => {
          const done = await base.claim(key, revision, nowMs, untilMs, pending);
          if (done !== null) claimed.set(key, { status: pending.next.status, codes: pending.next.codes });
          return done;
        }),
      ),
    commit: (key, claimedRevision, state, pending) =>
      call(() => {
        const fault = commitPlans.get(key)?.shift() ?? 'none';
        if (fault !== 'none' && delivered.has(key)) commitFaulted.add(key);
        return withFault(fault, 'commit', key, async () => {
          const done = await base.commit(key, claimedRevision, state, pending);
          if (done) {
            const message = delivered.get(key);
            if (message && pending === null) message.unrecorded = null;
            if (!message) releasedTo.set(key, pending && { status: pending.next.status, codes: pending.next.codes });
          }
          return done;
        });
      }),
  };

  const publish = (alert: { key: string }) => {
    const key = alert.key;
    const decision = decided.get(key);
    if (!decision) throw new Error(`no decision logged for ${key}`);
    const fault = faultsOf(key).publish;
    const deliver = (unrecorded: Delivery['unrecorded']) => {
      const message: Delivery = { key, ...decision, checkedAtMs, unrecorded };
      delivered.set(key, message);
      trace.deliveries.push(message);
    };
    return call(
      async () => {
        if (fault !== 'none') tally.injected.publishFaults += 1;
        if (fault === 'refused') throw new AlertPublishError(key, 'ThrottledException: Rate exceeded');
        if (fault === 'lost') throw new AlertPublishError(key, 'AbortError: Request aborted', { maybeAccepted: true });
        deliver(fault === 'taken' ? 'no answer from SNS' : 'commit failed');
        if (fault === 'taken') throw new AlertPublishError(key, 'AbortError: Request aborted', { maybeAccepted: true });
        return 'message-id';
      },
      () => {
        if (invocation.killAt?.taken) deliver('run died');
      },
    );
  };

  const report = buildReport(
    new Date(checkedAtMs),
    names.map((name, i) => checkedOf(name, outcomes[i] ?? 'ok').result),
  );
  const run = deliverAlerts(
    { report, checked: names.map((name, i) => checkedOf(name, outcomes[i] ?? 'ok')) },
    {
      store,
      publish,
      settings,
      now: () => checkedAtMs + elapsedMs,
      sleep: async (ms) => {
        elapsedMs += ms;
      },
      dryRun: false,
      log: (entry) => {
        if (entry.message !== 'alert decided' || entry.kind === 'none') return;
        const previous = entry.previous as Announced;
        decided.set(String(entry.name), {
          kind: String(entry.kind),
          previous,
          next: { status: entry.status as Status, codes: entry.codes as string[] },
        });
      },
    },
  );
  await Promise.race([run, dead]);
  // A call already on its way when the invocation died may still land, as a sent request does.
  await Promise.allSettled(inFlight);

  for (const key of names) {
    const message = delivered.get(key);
    if (message?.unrecorded === 'commit failed' && isDead) message.unrecorded = 'run died';
    if (message?.unrecorded === 'commit failed') tally.injected.commitWindowExhausted += 1;
    if (message?.unrecorded === null && commitFaulted.has(key)) tally.commitsRescued += 1;
    const announcement = claimed.get(key);
    if (!announcement || message) continue;
    // A claimed announcement that was not sent stays pending unless a release put something else there.
    const release = releasedTo.get(key);
    if (release === undefined || (release !== null && same(release, announcement))) {
      const phantoms = trace.phantoms.get(key) ?? [];
      phantoms.push(announcement);
      trace.phantoms.set(key, phantoms);
    }
  }
}

/** Runs a history on `store`, lets the infrastructure recover, and checks the three properties. */
async function runHistory(history: History, store: AlertStateStore): Promise<void> {
  const names = KEY_NAMES.slice(0, history.keys);
  const trace: Trace = { deliveries: [], phantoms: new Map() };
  let nowMs = T0;
  const lastChecked: Outcome[] = names.map(() => 'ok');
  for (const step of history.steps) {
    nowMs += step.gapMs;
    step.outcomes.forEach((outcome, i) => {
      if (outcome !== 'notChecked') lastChecked[i] = outcome;
    });
    if (step.invocations.length > 1) tally.injected.overlapping += 1;
    const at = nowMs;
    await Promise.all(
      step.invocations.map((invocation) =>
        invoke(store, names, step.outcomes, at + invocation.offsetMs, invocation, history.settings, trace),
      ),
    );
  }
  // Recovery: every lease has run out, nothing fails, and each key shows its last result long enough to settle.
  const clean: Invocation = { offsetMs: 0, faults: names.map(() => NO_FAULTS), killAt: null, yields: [0] };
  for (let run = 0; run <= history.settings.unknownAfterRuns; run++) {
    nowMs += LEASE_MS + 5 * MINUTE;
    await invoke(store, names, lastChecked, nowMs, clean, history.settings, trace);
  }
  checkStory(history, names, lastChecked, trace);
  for (const [i, key] of names.entries()) {
    const stored = await store.read(key);
    const truth = announcedOf(lastChecked[i] ?? 'ok');
    expect({ key, status: stored?.state.status ?? 'ok', codes: stored?.state.codes ?? [], pending: stored?.pending ?? null }).toEqual({
      key,
      status: truth.status,
      codes: truth.codes,
      pending: null,
    });
  }
  tally.histories += 1;
  tally.messages += trace.deliveries.length;
}

function announcedOf(outcome: Outcome): Announced {
  if (outcome === 'notChecked') return OK;
  const result = resultOf('k', outcome);
  return { status: result.status, codes: [...new Set(result.findings.map((f) => f.code))].sort() };
}

/**
 * (a) after recovery each key's recipients believe its last result: no change was lost;
 * (b) no message repeats the one before it, unless that one went out and its run could not record it;
 * (c) every message starts from what the recipients were last told (so RESOLVED follows the alert it
 * resolves), unless it starts from an announcement a run claimed and could neither send nor record.
 */
function checkStory(history: History, names: readonly string[], lastChecked: readonly Outcome[], trace: Trace): void {
  for (const [i, key] of names.entries()) {
    let believed = OK;
    let last: Delivery | undefined;
    const phantoms = trace.phantoms.get(key) ?? [];
    for (const message of trace.deliveries.filter((d) => d.key === key)) {
      const repeat =
        last !== undefined &&
        last.kind === message.kind &&
        same(last.previous, message.previous) &&
        same(last.next, message.next) &&
        (message.kind !== 'reminder' || message.checkedAtMs - last.checkedAtMs < history.settings.repeatAfterHours * HOUR);
      if (repeat && last?.unrecorded != null) tally.duplicates[last.unrecorded] += 1;
      else if (repeat || !same(message.previous, believed)) {
        if (!phantoms.some((p) => same(p, message.previous)))
          throw new Error(
            repeat
              ? `${key}: ${message.kind} ${show(message.next)} was sent twice`
              : `${key}: ${message.kind} from ${show(message.previous)} to ${show(message.next)}, but recipients were told ${show(believed)}`,
          );
        tally.fromUnsent += 1;
        if (message.kind === 'resolved') tally.resolvedUnsent += 1;
      }
      if (message.kind === 'resolved' && message.previous.status === 'ok') throw new Error(`${key}: RESOLVED of nothing`);
      if (message.kind === 'reminder' && !repeat && !same(message.next, believed))
        throw new Error(`${key}: a reminder of a state never announced`);
      believed = message.next;
      last = message;
    }
    const truth = announcedOf(lastChecked[i] ?? 'ok');
    if (!same(believed, truth)) throw new Error(`${key}: recipients believe ${show(believed)}, the key is ${show(truth)}`);
  }
}

describe('deliverAlerts over generated histories with failing infrastructure', () => {
  afterAll(() => {
    const d = tally.duplicates;
    console.info(
      [
        `delivery property: ${tally.histories} histories, ${tally.messages} messages`,
        `injected: ${tally.injected.storeFaults} state-table faults, ${tally.injected.publishFaults} publish faults, ${tally.injected.killed} invocations killed, ${tally.injected.overlapping} overlapping pairs, ${tally.injected.commitWindowExhausted} commits failed for the whole retry window`,
        `accepted duplicates: ${d['commit failed']} after a commit failed for the whole retry window, ${d['run died']} after the run died before its commit, ${d['no answer from SNS']} after SNS took a message without answering`,
        `duplicates avoided: ${tally.commitsRescued} sent messages whose commit failed and was recorded by a retry`,
        `messages starting from an announcement claimed but never sent: ${tally.fromUnsent} (RESOLVED among them: ${tally.resolvedUnsent})`,
      ].join('\n'),
    );
  });

  it('loses no change, repeats none except one its run could not record, and resolves only what was announced (1,000 histories, in-memory table)', async () => {
    const before = tally.histories;
    await fc.assert(
      fc.asyncProperty(historyArb, (history) => runHistory(history, new ModelAlertStateStore())),
      { numRuns: 1_000 },
    );
    expect(tally.histories - before).toBe(1_000);
    // The generator must reach the accepted case, or its count says nothing.
    expect(tally.duplicates['commit failed']).toBeGreaterThan(0);
  });

  describe('on dynalite', () => {
    let dynamo: LocalDynamo;
    beforeAll(async () => {
      dynamo = await startDynalite();
    });
    afterAll(() => dynamo.stop());

    it('holds the same properties with the real store on a real DynamoDB implementation (50 histories)', async () => {
      await fc.assert(
        fc.asyncProperty(historyArb, async (history) =>
          runHistory(history, new DynamoAlertStateStore(dynamo.client, await dynamo.createTable())),
        ),
        { numRuns: 50 },
      );
    });
  });
});
