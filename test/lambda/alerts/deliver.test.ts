import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { rateFindings } from '../../../lambda/findings';
import 'aws-sdk-client-mock-jest';
import { type AlertStateStore, type DeliveryOptions, deliverAlerts, LEASE_MS } from '../../../lambda/alerts/deliver';
import type { Alert } from '../../../lambda/alerts/format';
import { DynamoAlertStateStore } from '../../../lambda/aws/state-store';
import { type FindingCode, makeFinding } from '../../../lambda/findings';
import { buildReport, type KeyResult, type Report, UNKNOWN_CLOCK, UNKNOWN_PERMISSIONS } from '../../../lambda/report';
import { MemoryTable } from '../../support/memory-dynamodb';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const MINUTE = 60_000;

function resultOf(name: string, ...codes: FindingCode[]): KeyResult {
  const findings = codes.map((code) => makeFinding(code, `${code} happened`));
  return {
    name,
    exchange: 'coinbase-exchange',
    status: rateFindings(findings),
    findings,
    clock: { ...UNKNOWN_CLOCK },
    permissions: { ...UNKNOWN_PERMISSIONS },
    expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt: null },
    latencyMs: null,
    notes: [],
  };
}

const reportAt = (minutes: number, ...results: KeyResult[]): Report => buildReport(new Date(T0 + minutes * MINUTE), results);

const ddb = mockClient(DynamoDBClient);
const table = new MemoryTable('key');
const dynamoStore = new DynamoAlertStateStore(new DynamoDBClient({ region: 'us-east-1' }), 'AlertState');

interface Run {
  readonly options: DeliveryOptions;
  /** The secret version each key was checked with in this run. */
  readonly versions: ReadonlyMap<string, string>;
  readonly sent: Alert[];
  readonly logs: Array<Record<string, unknown>>;
}

function runAt(minutes: number, overrides: Partial<DeliveryOptions> & { versions?: ReadonlyMap<string, string> } = {}): Run {
  const { versions = new Map<string, string>(), ...rest } = overrides;
  const sent: Alert[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const options: DeliveryOptions = {
    store: dynamoStore,
    publish: async (alert) => {
      sent.push(alert);
      return `msg-${sent.length}`;
    },
    settings: { repeatAfterHours: 24, unknownAfterRuns: 3 },
    now: () => T0 + minutes * MINUTE,
    dryRun: false,
    log: (entry) => logs.push(entry),
    ...rest,
  };
  return { options, versions, sent, logs };
}

/** Delivers what a run of `report` would hand over: each result with the secret version it was checked with. */
function deliver(report: Report, run: Run) {
  const checked = report.results.map((result) => ({ result, secretVersionId: run.versions.get(result.name) ?? null }));
  return deliverAlerts({ report, checked }, run.options);
}

function stored(key: string) {
  const item = table.items.get(key);
  return (
    item && { status: item.status?.S, codes: item.codes?.L?.map((v) => v.S), revision: item.revision?.N, claimUntil: item.claimUntil?.N }
  );
}

beforeEach(() => {
  ddb.reset();
  table.items.clear();
  ddb.on(GetItemCommand).callsFake((input) => table.getItem(input));
  ddb.on(UpdateItemCommand).callsFake((input) => table.updateItem(input));
});

describe('deliverAlerts', () => {
  it('claims, publishes, then commits the new state and drops the lease', async () => {
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), run);
    expect(summary).toEqual({ published: 1, skipped: [], failures: [] });
    expect(run.sent.map((a) => a.subject)).toEqual(['[CRITICAL] k1: AUTH_INVALID_KEY']);
    expect(stored('k1')).toEqual({ status: 'critical', codes: ['AUTH_INVALID_KEY'], revision: '2', claimUntil: undefined });
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(run.logs).toContainEqual(
      expect.objectContaining({ message: 'alert decided', name: 'k1', kind: 'new', codes: ['AUTH_INVALID_KEY'] }),
    );
  });

  it('writes nothing for a key whose state would not change', async () => {
    await deliver(reportAt(0, resultOf('k1', 'AUTH_INVALID_KEY')), runAt(0));
    ddb.resetHistory();
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), run);
    expect(summary.published).toBe(0);
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('saves a state without a message when only the unknown count or the secret version changed', async () => {
    const run = runAt(0, { versions: new Map([['k1', 'v1']]) });
    await deliver(reportAt(0, resultOf('k1', 'RATE_LIMITED')), run);
    expect(run.sent).toEqual([]);
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(table.items.get('k1')).toMatchObject({ status: { S: 'ok' }, unknownRuns: { N: '1' }, secretVersionId: { S: 'v1' } });
  });

  it('releases the claim with the old state when the publish fails, and sends the same message next run, once', async () => {
    const failing = runAt(5, {
      publish: () => Promise.reject(new Error('ThrottledException: Rate exceeded')),
    });
    const k2 = resultOf('k2', 'IP_NOT_ALLOWED');
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY')), failing);
    expect(summary.failures).toEqual([{ key: 'k1', stage: 'publish', error: 'Error: ThrottledException: Rate exceeded' }]);
    expect(stored('k1')).toEqual({ status: 'ok', codes: [], revision: '2', claimUntil: undefined });
    expect(failing.logs).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'alert not published; it is sent again next run' }),
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
    const failing = runAt(10, { publish: () => Promise.reject(new Error('boom')) });
    expect((await deliver(reportAt(10, down), failing)).failures).toHaveLength(1);
    expect(table.items.get('k1')?.unknownRuns).toEqual({ N: '3' });
    const retry = runAt(15);
    await deliver(reportAt(15, down), retry);
    expect(retry.sent.map((a) => a.subject)).toEqual(['[UNKNOWN] k1: EXCHANGE_UNAVAILABLE']);
  });

  it('reads the state on a dry run but writes nothing and publishes nothing', async () => {
    const run = runAt(5, { dryRun: true, versions: new Map([['k1', 'v9']]) });
    const summary = await deliver(reportAt(5, resultOf('k1', 'AUTH_INVALID_KEY'), resultOf('k2', 'RATE_LIMITED')), run);
    expect(summary).toEqual({ published: 0, skipped: [], failures: [] });
    expect(run.sent).toEqual([]);
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 2);
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
    expect(run.logs).toContainEqual(expect.objectContaining({ message: 'alert decided', name: 'k1', kind: 'new', dryRun: true }));
  });

  it('leaves a key alone while another run holds its lease, and retries it once the lease expired', async () => {
    await dynamoStore.claim('k1', 0, T0, T0 + LEASE_MS);
    const during = runAt(1);
    const summary = await deliver(reportAt(1, resultOf('k1', 'KEY_EXPIRED')), during);
    expect(summary).toEqual({ published: 0, skipped: ['k1'], failures: [] });
    expect(during.sent).toEqual([]);

    const after = runAt(LEASE_MS / MINUTE + 1);
    await deliver(reportAt(3, resultOf('k1', 'KEY_EXPIRED')), after);
    expect(after.sent.map((a) => a.subject)).toEqual(['[CRITICAL] k1: KEY_EXPIRED']);
    expect(stored('k1')).toMatchObject({ status: 'critical', revision: '3', claimUntil: undefined });
  });

  it('sends once when two overlapping runs read the same state', async () => {
    const waiting: Array<() => void> = [];
    const bothRead: AlertStateStore = {
      read: async (key) => {
        const state = await dynamoStore.read(key);
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
    expect(stored('k1')).toMatchObject({ status: 'critical', revision: '2' });
  });

  it('tries every key when the state of one cannot be read', async () => {
    ddb.on(GetItemCommand).callsFake((input) => {
      if (input.Key.key.S === 'k1') throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
      return table.getItem(input);
    });
    const run = runAt(5);
    const summary = await deliver(reportAt(5, resultOf('k1', 'KEY_EXPIRED'), resultOf('k2', 'KEY_EXPIRED')), run);
    expect(summary.failures).toEqual([
      {
        key: 'k1',
        stage: 'read',
        error:
          'AlertStateError: Cannot read the alert state of key "k1": ResourceNotFoundException: Requested resource not found (table AlertState)',
      },
    ]);
    expect(run.sent.map((a) => a.key)).toEqual(['k2']);
  });

  it('reports a message that went out but whose state could not be committed', async () => {
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
    expect(table.items.get('k1')?.secretVersionId).toEqual({ S: 'v2' });
  });
});
