import { type DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  type AlertStateStore,
  COMMIT_RETRY,
  type DeliveryOptions,
  deliverAlerts,
  LEASE_MS,
  type StoredAlertState,
} from '../../../lambda/alerts/deliver';
import type { Alert } from '../../../lambda/alerts/format';
import { DynamoAlertStateStore } from '../../../lambda/aws/state-store';
import type { CheckedKey } from '../../../lambda/engine/check-key';
import { AlertPublishError } from '../../../lambda/errors';
import { type FindingCode, makeFinding } from '../../../lambda/findings';
import { buildKeyResult, buildReport, type KeyResult, type Report } from '../../../lambda/report';
import { type ClientTap, type LocalDynamo, startDynalite, type TappedCall, tapClient } from '../../support/dynalite';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const MINUTE = 60_000;

function resultOf(name: string, ...codes: FindingCode[]): KeyResult {
  const findings = codes.map((code) => makeFinding(code, `${code} happened`));
  return buildKeyResult({ name, exchange: 'coinbase-exchange' }, findings);
}

const reportAt = (minutes: number, ...results: KeyResult[]): Report => buildReport(new Date(T0 + minutes * MINUTE), results);

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let tap: ClientTap;
let table: string;
let dynamoStore: DynamoAlertStateStore;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = dynamo.newClient();
  tap = tapClient(client);
});
afterAll(() => dynamo.stop());

beforeEach(async () => {
  // A table per test: each starts with no alert state.
  table = await dynamo.createTable();
  dynamoStore = new DynamoAlertStateStore(client, table);
  tap.calls.length = 0;
  tap.fault = undefined;
});

interface Run {
  readonly options: DeliveryOptions;
  /** The secret version each key was checked with in this run. */
  readonly versions: ReadonlyMap<string, string>;
  readonly sent: Alert[];
  readonly logs: Array<Record<string, unknown>>;
  readonly slept: number[];
}

function runAt(minutes: number, overrides: Partial<DeliveryOptions> & { versions?: ReadonlyMap<string, string> } = {}): Run {
  const { versions = new Map<string, string>(), ...rest } = overrides;
  const sent: Alert[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const slept: number[] = [];
  const options: DeliveryOptions = {
    store: dynamoStore,
    publish: async (alert) => {
      sent.push(alert);
      return `msg-${sent.length}`;
    },
    settings: { repeatAfterHours: 24, unknownAfterRuns: 3 },
    now: () => T0 + minutes * MINUTE,
    sleep: async (ms) => {
      slept.push(ms);
    },
    dryRun: false,
    log: (entry) => logs.push(entry),
    ...rest,
  };
  return { options, versions, sent, logs, slept };
}

/** Delivers what a run of `report` would hand over: each result with the secret version it was checked with. */
function deliver(report: Report, run: Run, extra: Partial<CheckedKey> = {}) {
  const checked = report.results.map((result) => ({ result, secretVersionId: run.versions.get(result.name) ?? null, ...extra }));
  return deliverAlerts({ report, checked }, run.options);
}

async function stored(key: string) {
  const item = await dynamoStore.read(key);
  return item && { status: item.state.status, codes: item.state.codes, revision: item.revision, claimUntilMs: item.claimUntilMs };
}

const commands = () => tap.calls.map((c) => c.command);
const isCommit = (call: TappedCall) => call.command === 'UpdateItemCommand' && call.input.ConditionExpression === '#revision = :revision';
const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} });

describe('deliverAlerts', () => {
  it('claims, publishes, then commits the new state and drops the lease', async () => {
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), run);
    expect(summary).toEqual({ published: 1, skipped: [], failures: [] });
    expect(run.sent.map((a) => a.subject)).toEqual(['[CRITICAL] k1: AUTH_INVALID_KEY']);
    expect(await stored('k1')).toEqual({ status: 'critical', codes: ['AUTH_INVALID_KEY'], revision: 2, claimUntilMs: null });
    expect(commands()).toEqual(['GetItemCommand', 'UpdateItemCommand', 'UpdateItemCommand', 'GetItemCommand']);
    expect(run.logs).toContainEqual(
      expect.objectContaining({
        message: 'alert decided',
        name: 'k1',
        kind: 'new',
        status: 'critical',
        codes: ['AUTH_INVALID_KEY'],
        previous: { status: 'ok', codes: [] },
      }),
    );
  });

  it('writes nothing for a key whose state would not change', async () => {
    await deliver(reportAt(0, resultOf('k1', 'AUTH_INVALID_KEY')), runAt(0));
    tap.calls.length = 0;
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), run);
    expect(summary.published).toBe(0);
    expect(commands()).toEqual(['GetItemCommand']);
  });

  it('saves a state without a message when only the unknown count or the secret version changed', async () => {
    const run = runAt(0, { versions: new Map([['k1', 'v1']]) });
    await deliver(reportAt(0, resultOf('k1', 'RATE_LIMITED')), run);
    expect(run.sent).toEqual([]);
    expect(commands()).toEqual(['GetItemCommand', 'UpdateItemCommand']);
    expect((await dynamoStore.read('k1'))?.state).toMatchObject({ status: 'ok', unknownRuns: 1, secretVersionId: 'v1' });
  });

  it('releases the claim with the old state when SNS refuses the publish, and sends the same message next run, once', async () => {
    const failing = runAt(5, {
      publish: () => Promise.reject(new AlertPublishError('k1', 'ThrottledException: Rate exceeded')),
    });
    const k2 = resultOf('k2', 'IP_NOT_ALLOWED');
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), failing);
    expect(summary.failures).toEqual([
      { key: 'k1', stage: 'publish', error: 'AlertPublishError: Cannot publish the alert for key "k1": ThrottledException: Rate exceeded' },
    ]);
    await expect(dynamoStore.read('k1')).resolves.toMatchObject({ state: { status: 'ok', codes: [] }, revision: 2, pending: null });
    expect(failing.logs).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'alert not published; it is sent again next run', name: 'k1', stage: 'publish' }),
    );

    const retry = runAt(10);
    await deliver(reportAt(10, resultOf('k1', 'AUTH_INVALID_KEY'), k2), retry);
    expect(retry.sent.map((a) => a.subject)).toEqual(['[CRITICAL] k1: AUTH_INVALID_KEY', '[CRITICAL] k2: IP_NOT_ALLOWED']);
    const after = runAt(15);
    await deliver(reportAt(15, resultOf('k1', 'AUTH_INVALID_KEY'), k2), after);
    expect(after.sent).toEqual([]);
  });

  it('keeps counting unknown runs through a failed publish', async () => {
    const down = resultOf('k1', 'EXCHANGE_UNAVAILABLE');
    for (const minutes of [0, 5]) await deliver(reportAt(minutes, down), runAt(minutes));
    const failing = runAt(10, { publish: () => Promise.reject(new AlertPublishError('k1', 'boom')) });
    expect((await deliver(reportAt(10, down), failing)).failures).toHaveLength(1);
    expect((await dynamoStore.read('k1'))?.state.unknownRuns).toBe(3);
    const retry = runAt(15);
    await deliver(reportAt(15, down), retry);
    expect(retry.sent.map((a) => a.subject)).toEqual(['[UNKNOWN] k1: EXCHANGE_UNAVAILABLE']);
  });

  it('reads the state on a dry run but writes nothing and publishes nothing', async () => {
    const run = runAt(5, { dryRun: true, versions: new Map([['k1', 'v9']]) });
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY'), resultOf('k2', 'RATE_LIMITED')), run);
    expect(summary).toEqual({ published: 0, skipped: [], failures: [] });
    expect(run.sent).toEqual([]);
    expect(commands()).toEqual(['GetItemCommand', 'GetItemCommand']);
    expect(run.logs).toContainEqual(expect.objectContaining({ message: 'alert decided', name: 'k1', kind: 'new', dryRun: true }));
  });

  it('leaves a key the run deadline left unchecked as it was: no read, no unknown run counted, no message', async () => {
    await deliver(reportAt(0, resultOf('k1', 'AUTH_INVALID_KEY')), runAt(0));
    const before = await dynamoStore.read('k1');
    tap.calls.length = 0;
    const run = runAt(5);
    const report = reportAt(5, resultOf('k1', 'EXCHANGE_UNAVAILABLE'));
    const summary = await deliver(report, run, { deadlineReached: true });
    expect(summary).toEqual({ published: 0, skipped: [], failures: [] });
    expect(commands()).toEqual([]);
    await expect(dynamoStore.read('k1')).resolves.toEqual(before);
    expect(run.logs).toEqual([
      { level: 'WARN', message: 'alert state left as it was: the key was not checked before the run deadline', name: 'k1' },
    ]);
  });

  it('leaves a key alone while another run holds its lease, and retries it once the lease expired', async () => {
    await dynamoStore.claim('k1', 0, T0, T0 + LEASE_MS, {
      next: { ...INITIAL, status: 'critical', codes: ['KEY_EXPIRED'] },
      from: INITIAL,
      by: 'another-run',
    });
    const during = runAt(1);
    const summary = await deliver(reportAt(1, resultOf('k1', 'KEY_EXPIRED')), during);
    expect(summary).toEqual({ published: 0, skipped: ['k1'], failures: [] });
    expect(during.sent).toEqual([]);

    const after = runAt(LEASE_MS / MINUTE + 1);
    await deliver(reportAt(3, resultOf('k1', 'KEY_EXPIRED')), after);
    expect(after.sent.map((a) => a.subject)).toEqual(['[CRITICAL] k1: KEY_EXPIRED']);
    expect(await stored('k1')).toEqual({ status: 'critical', codes: ['KEY_EXPIRED'], revision: 3, claimUntilMs: null });
  });

  it('sends once when two overlapping runs read the same state', async () => {
    const waiting: Array<() => void> = [];
    const bothRead: AlertStateStore = {
      read: async (key) => {
        const state = await dynamoStore.read(key);
        // The first read of each run waits for the other's; later reads (the loser checking its claim) pass.
        if (waiting.length < 2)
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length === 2) for (const release of waiting) release();
          });
        return state;
      },
      claim: (...args) => dynamoStore.claim(...args),
      save: (...args) => dynamoStore.save(...args),
      commit: (...args) => dynamoStore.commit(...args),
    };
    const [one, two] = [runAt(5, { store: bothRead }), runAt(5, { store: bothRead })];
    const report = reportAt(5, resultOf('k1', 'AUTH_INVALID_SIGNATURE'));
    const summaries = await Promise.all([deliver(report, one), deliver(report, two)]);
    expect(waiting).toHaveLength(2);
    expect(one.sent.length + two.sent.length).toBe(1);
    expect([...one.logs, ...two.logs]).toContainEqual(
      expect.objectContaining({ message: 'alert skipped: another run is handling this key', why: 'claimed or changed since it was read' }),
    );
    expect(summaries.map((s) => s.skipped)).toEqual(expect.arrayContaining([['k1'], []]));
    expect(await stored('k1')).toMatchObject({ status: 'critical', revision: 2 });
  });

  it('tries every key when the state of one cannot be read, logging the key and the stage', async () => {
    tap.fault = (call) =>
      call.command === 'GetItemCommand' && (call.input.Key as { key: { S: string } }).key.S === 'k1'
        ? { error: Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }), when: 'before' }
        : undefined;
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'KEY_EXPIRED'), resultOf('k2', 'KEY_EXPIRED')), run);
    const error = `AlertStateError: Cannot read the alert state of key "k1": ResourceNotFoundException: Requested resource not found (table ${table})`;
    expect(summary.failures).toEqual([{ key: 'k1', stage: 'read', error }]);
    expect(run.logs).toContainEqual({
      level: 'ERROR',
      message: 'alert state not read; no alert decided for this key',
      name: 'k1',
      stage: 'read',
      error,
    });
    expect(run.sent.map((a) => a.key)).toEqual(['k2']);
  });

  it('reports a message that went out but whose claim another run took before the commit', async () => {
    const lost: AlertStateStore = {
      read: (key) => dynamoStore.read(key),
      claim: (...args) => dynamoStore.claim(...args),
      save: (...args) => dynamoStore.save(...args),
      commit: async () => false,
    };
    const run = runAt(5, { store: lost });
    const summary = await deliver(reportAt(5, resultOf('k1', 'KEY_EXPIRED')), run);
    expect(summary.published).toBe(1);
    expect(summary.failures).toEqual([
      { key: 'k1', stage: 'commit', error: 'Error: the claim was lost to another run before the state was saved' },
    ]);
  });

  it('stores the secret version and says so when it changed', async () => {
    await deliver(reportAt(0, resultOf('k1')), runAt(0, { versions: new Map([['k1', 'v1']]) }));
    const run = runAt(5, { versions: new Map([['k1', 'v2']]) });
    await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_SIGNATURE')), run);
    expect(run.sent[0]?.email).toContain('a rotation installed this key');
    expect(run.logs).toContainEqual(expect.objectContaining({ message: 'alert decided', kind: 'new', rotated: true }));
    expect((await dynamoStore.read('k1'))?.state.secretVersionId).toBe('v2');
  });
});

const INITIAL = { status: 'ok', codes: [], since: null, lastNotifiedAt: null, unknownRuns: 0, secretVersionId: null } as const;

describe('deliverAlerts when the table fails after the message went out', () => {
  it('tries the commit again with growing waits and records the message once it lands', async () => {
    let failures = 2;
    tap.fault = (call) => (isCommit(call) && failures-- > 0 ? { error: throttled(), when: 'before' } : undefined);
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), run);
    expect(summary).toEqual({ published: 1, skipped: [], failures: [] });
    expect(run.slept).toEqual([200, 400]);
    expect(run.logs.filter((l) => l.message === 'alert state not committed; trying again').map((l) => [l.attempt, l.waitMs])).toEqual([
      [1, 200],
      [2, 400],
    ]);
    expect(await stored('k1')).toEqual({ status: 'critical', codes: ['AUTH_INVALID_KEY'], revision: 2, claimUntilMs: null });
  });

  it('takes a commit whose answer was lost for done when the retry finds its own write', async () => {
    let lostOnce = true;
    tap.fault = (call) => {
      if (!isCommit(call) || !lostOnce) return undefined;
      lostOnce = false;
      return { error: Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }), when: 'after' };
    };
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), run);
    expect(summary).toEqual({ published: 1, skipped: [], failures: [] });
    expect(run.slept).toEqual([200]);
    expect(tap.calls.filter(isCommit)).toHaveLength(2);
    await expect(dynamoStore.read('k1')).resolves.toMatchObject({ revision: 2, claimUntilMs: null, pending: null });
  });

  it('gives up after the retry window, reports the commit, and sends the message once more while the key still shows it', async () => {
    tap.fault = (call) => (isCommit(call) ? { error: throttled(), when: 'before' } : undefined);
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), run);
    expect(summary.published).toBe(1);
    expect(summary.failures).toEqual([
      { key: 'k1', stage: 'commit', error: expect.stringContaining('ProvisionedThroughputExceededException') },
    ]);
    expect(run.slept).toEqual([200, 400, 800]);
    expect(tap.calls.filter(isCommit)).toHaveLength(COMMIT_RETRY.retries + 1);
    await expect(dynamoStore.read('k1')).resolves.toMatchObject({ state: { status: 'ok' }, pending: { next: { status: 'critical' } } });

    tap.fault = undefined;
    const next = runAt(10);
    await deliver(reportAt(10, resultOf('k1', 'AUTH_INVALID_KEY')), next);
    expect(next.sent.map((a) => a.subject)).toEqual(['[CRITICAL] k1: AUTH_INVALID_KEY']);
    await expect(dynamoStore.read('k1')).resolves.toMatchObject({ state: { status: 'critical' }, pending: null });
  });

  it('announces RESOLVED after a message it could not record once the key is fixed, instead of staying silent', async () => {
    tap.fault = (call) => (isCommit(call) ? { error: throttled(), when: 'before' } : undefined);
    await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), runAt(5));
    tap.fault = undefined;
    const fixed = runAt(10);
    await deliver(reportAt(10, resultOf('k1')), fixed);
    expect(fixed.sent.map((a) => a.subject)).toEqual(['[RESOLVED] k1: AUTH_INVALID_KEY']);
    await expect(dynamoStore.read('k1')).resolves.toMatchObject({ state: { status: 'ok', codes: [] }, pending: null });
  });

  it('keeps a publish that got no answer pending, so the next change starts from it', async () => {
    const timedOut = runAt(5, {
      publish: () => Promise.reject(new AlertPublishError('k1', 'AbortError: Request aborted', { maybeAccepted: true })),
    });
    await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), timedOut);
    await expect(dynamoStore.read('k1')).resolves.toMatchObject({
      state: { status: 'ok' },
      pending: { next: { status: 'critical', codes: ['AUTH_INVALID_KEY'] }, from: { status: 'ok', codes: [] } },
      claimUntilMs: null,
    });
    const changed = runAt(10);
    await deliver(reportAt(10, resultOf('k1', 'IP_NOT_ALLOWED')), changed);
    expect(changed.sent.map((a) => a.subject)).toEqual(['[CRITICAL, changed] k1: IP_NOT_ALLOWED']);
    expect(changed.logs).toContainEqual(
      expect.objectContaining({ message: 'alert decided', kind: 'changed', previous: { status: 'critical', codes: ['AUTH_INVALID_KEY'] } }),
    );
  });

  it('counts unknown runs on the recorded state while an announcement is pending, and keeps it pending', async () => {
    await dynamoStore.claim('k1', 0, T0, T0 + 1, {
      next: { ...INITIAL, status: 'critical', codes: ['KEY_EXPIRED'], since: 'x', lastNotifiedAt: 'x' },
      from: INITIAL,
      by: 'another-run',
    });
    const run = runAt(5);
    await deliver(reportAt(5, resultOf('k1', 'EXCHANGE_UNAVAILABLE')), run);
    expect(run.sent).toEqual([]);
    const after: StoredAlertState | null = await dynamoStore.read('k1');
    expect(after?.state).toMatchObject({ status: 'ok', unknownRuns: 1 });
    expect(after?.pending?.next).toMatchObject({ status: 'critical', codes: ['KEY_EXPIRED'] });
  });
});
