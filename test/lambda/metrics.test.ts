import { EnvError } from '../../lambda/errors';
import type { Status } from '../../lambda/findings';
import { makeFinding, rankStatus } from '../../lambda/findings';
import {
  DEFAULT_KEY_METRIC_SET,
  formatMetricLines,
  type KEY_METRIC_SETS,
  KEY_METRICS,
  listDeclaredMetrics,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  readKeyMetricSet,
} from '../../lambda/metrics';
import type { KeyResult, Report } from '../../lambda/report';

const NOW = Date.parse('2026-11-27T10:00:00.000Z');
const DAY = 86_400_000;
const OPTIONS = { namespace: METRICS_NAMESPACE, nowMs: NOW, metrics: 'all' } as const;

function result(overrides: Partial<KeyResult> = {}): KeyResult {
  return {
    name: 'coinbase-futures',
    exchange: 'coinbase-advanced',
    status: 'ok',
    findings: [],
    clock: { offsetMs: -12, rttMs: 48, toleranceMs: 30_000, source: 'time-endpoint' },
    permissions: { view: true, trade: true, transfer: false, futures: true, ipRestricted: true },
    expiry: { keyAgeDays: 12, nextRotationAt: new Date(NOW + 78 * DAY).toISOString(), exchangeExpiresAt: null },
    latencyMs: 51,
    notes: [],
    ...overrides,
  };
}

function report(...results: KeyResult[]): Report {
  return { checkedAt: new Date(NOW).toISOString(), status: 'ok', results };
}

function lineOf(r: KeyResult): Record<string, unknown> {
  const [line] = formatMetricLines(report(r), OPTIONS);
  return JSON.parse(line ?? 'null') as Record<string, unknown>;
}

/** The metric names a line declares. */
function declared(line: Record<string, unknown>): string[] {
  const aws = line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
  return aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));
}

// The embedded metric format specification (CloudWatch User Guide, "Specification: Embedded metric
// format") and its JSON schema, as checks that name what is wrong.
const UNITS =
  /^(Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|Megabits|Gigabits|Terabits|Percent|Count|Bytes\/Second|Kilobytes\/Second|Megabytes\/Second|Gigabytes\/Second|Terabytes\/Second|Bits\/Second|Kilobits\/Second|Megabits\/Second|Gigabits\/Second|Terabits\/Second|Count\/Second|None)$/;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 255;

function emfProblems(text: string): string[] {
  const problems: string[] = [];
  if (text.includes('\n')) problems.push('the document spans more than one line');
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return [...problems, 'not valid JSON'];
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return [...problems, 'the root is not an object'];
  const members = root as Record<string, unknown>;
  const aws = members._aws as Record<string, unknown> | undefined;
  if (typeof aws !== 'object' || aws === null) return [...problems, '_aws is missing or not an object'];
  if (!Number.isInteger(aws.Timestamp) || (aws.Timestamp as number) < 0) problems.push('_aws.Timestamp is not epoch milliseconds');
  if (!Array.isArray(aws.CloudWatchMetrics)) return [...problems, '_aws.CloudWatchMetrics is not an array'];
  aws.CloudWatchMetrics.forEach((directive: Record<string, unknown>, i) => {
    const at = `CloudWatchMetrics[${i}]`;
    if (!isName(directive.Namespace)) problems.push(`${at}.Namespace is not a 1-255 character string`);
    const dimensions = directive.Dimensions;
    if (!Array.isArray(dimensions) || dimensions.length < 1) problems.push(`${at}.Dimensions is not a non-empty array`);
    else
      for (const set of dimensions) {
        if (!Array.isArray(set) || set.length > 30) problems.push(`${at}: a DimensionSet is not an array of at most 30 keys`);
        else
          for (const key of set) {
            if (!isName(key)) problems.push(`${at}: dimension key ${JSON.stringify(key)} is not a 1-255 character string`);
            else if (typeof members[key] !== 'string' || members[key] === '')
              problems.push(`dimension target ${key} is not a non-empty string`);
          }
      }
    const metrics = directive.Metrics;
    if (!Array.isArray(metrics) || metrics.length > 100) problems.push(`${at}.Metrics is not an array of at most 100 definitions`);
    else
      for (const metric of metrics as Record<string, unknown>[]) {
        if (!isName(metric.Name)) {
          problems.push(`${at}: a metric Name is not a 1-255 character string`);
          continue;
        }
        if (metric.Unit !== undefined && (typeof metric.Unit !== 'string' || !UNITS.test(metric.Unit)))
          problems.push(`metric ${metric.Name} has unit ${String(metric.Unit)}, not a CloudWatch unit`);
        const value = members[metric.Name];
        const values = Array.isArray(value) ? value : [value];
        if (values.length > 100 || !values.every((v) => typeof v === 'number' && Number.isFinite(v)))
          problems.push(`metric target ${metric.Name} is ${JSON.stringify(value)}, not a number or array of at most 100 numbers`);
      }
  });
  return problems;
}

describe('emfProblems (the spec check the tests rely on)', () => {
  it.each([
    [
      'a null metric value',
      { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [[]], Metrics: [{ Name: 'M' }] }] }, M: null },
    ],
    ['a missing dimension target', { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['Key']], Metrics: [] }] } }],
    [
      'a unit CloudWatch does not know',
      { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [[]], Metrics: [{ Name: 'M', Unit: 'Days' }] }] }, M: 1 },
    ],
    ['a fractional timestamp', { _aws: { Timestamp: 1.5, CloudWatchMetrics: [] } }],
    ['no dimension set', { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [], Metrics: [] }] } }],
  ])('rejects %s', (_, document) => {
    expect(emfProblems(JSON.stringify(document))).not.toEqual([]);
  });
});

describe('formatMetricLines with every metric declared', () => {
  it('writes one EMF line per key with every metric, dimensioned by Key and Exchange', () => {
    const line = lineOf(
      result({
        expiry: {
          keyAgeDays: 12,
          nextRotationAt: new Date(NOW + 78 * DAY).toISOString(),
          exchangeExpiresAt: new Date(NOW + 10.5 * DAY).toISOString(),
        },
      }),
    );
    expect(line).toEqual({
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          {
            Namespace: 'KeyHealth',
            Dimensions: [['Key', 'Exchange']],
            Metrics: [
              { Name: 'Healthy', Unit: 'Count' },
              { Name: 'StatusLevel', Unit: 'None' },
              { Name: 'ClockOffsetMs', Unit: 'Milliseconds' },
              { Name: 'LatencyMs', Unit: 'Milliseconds' },
              { Name: 'DaysToRotation', Unit: 'None' },
              { Name: 'DaysToExpiry', Unit: 'None' },
            ],
          },
        ],
      },
      Key: 'coinbase-futures',
      Exchange: 'coinbase-advanced',
      Healthy: 1,
      StatusLevel: 0,
      ClockOffsetMs: -12,
      LatencyMs: 51,
      DaysToRotation: 78,
      DaysToExpiry: 10.5,
      Status: 'ok',
      Codes: '',
    });
  });

  it('keeps the order of the report and writes nothing for an empty one', () => {
    const lines = formatMetricLines(report(result({ name: 'a' }), result({ name: 'b', exchange: 'coinbase-exchange' })), OPTIONS);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((l) => [l.Key, l.Exchange])).toEqual([
      ['a', 'coinbase-advanced'],
      ['b', 'coinbase-exchange'],
    ]);
    expect(formatMetricLines(report(), OPTIONS)).toEqual([]);
  });

  it('uses the namespace and timestamp it is given', () => {
    const [line] = formatMetricLines(report(result()), { namespace: 'KeyHealthTest', nowMs: 1_700_000_000_123, metrics: 'all' });
    expect(JSON.parse(line ?? '')._aws).toMatchObject({
      Timestamp: 1_700_000_000_123,
      CloudWatchMetrics: [{ Namespace: 'KeyHealthTest' }],
    });
  });

  it.each<[Status, number | undefined, number]>([
    ['ok', 1, 0],
    ['warning', 1, 1],
    ['unknown', undefined, 2],
    ['critical', 0, 3],
  ])('reports status %s as Healthy %p and StatusLevel %d', (status, healthy, level) => {
    const line = lineOf(result({ status }));
    expect(line.Healthy).toBe(healthy);
    expect(line.StatusLevel).toBe(level);
    expect(rankStatus(status)).toBe(level);
    expect(declared(line).includes('Healthy')).toBe(healthy !== undefined);
  });

  it('leaves out every metric whose value is unknown, in the directive and on the root', () => {
    const line = lineOf(
      result({
        status: 'unknown',
        clock: { offsetMs: null, rttMs: null, toleranceMs: null, source: null },
        latencyMs: null,
        expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt: null },
      }),
    );
    expect(declared(line)).toEqual(['StatusLevel']);
    for (const name of ['Healthy', 'ClockOffsetMs', 'LatencyMs', 'DaysToRotation', 'DaysToExpiry']) expect(line).not.toHaveProperty(name);
    expect(JSON.stringify(line)).not.toContain('null');
  });

  it.each([
    ['a date that does not parse', 'DaysToRotation', { nextRotationAt: 'soon' }],
    ['a latency that is not a number', 'LatencyMs', { latencyMs: Number.NaN }],
    ['an infinite clock offset', 'ClockOffsetMs', { offsetMs: Number.POSITIVE_INFINITY }],
  ])('leaves out %s (%s) instead of writing null', (_, name, bad) => {
    const base = result();
    const line = lineOf({
      ...base,
      ...('latencyMs' in bad && { latencyMs: bad.latencyMs }),
      ...('offsetMs' in bad && { clock: { ...base.clock, offsetMs: bad.offsetMs } }),
      ...('nextRotationAt' in bad && { expiry: { ...base.expiry, nextRotationAt: bad.nextRotationAt } }),
    });
    expect(emfProblems(JSON.stringify(line))).toEqual([]);
    expect(declared(line)).toEqual(['Healthy', 'StatusLevel', 'ClockOffsetMs', 'LatencyMs', 'DaysToRotation'].filter((n) => n !== name));
    expect(line).not.toHaveProperty(name);
  });

  it.each([
    ['exactly now', 0, 0],
    ['12 hours ahead', DAY / 2, 0.5],
    ['just under a day ahead', DAY - 1, 1],
    ['90 days ahead', 90 * DAY, 90],
    ['1 day past (overdue)', -DAY, -1],
    ['6 hours past', -DAY / 4, -0.25],
  ])('counts DaysToRotation and DaysToExpiry %s as %d', (_, offsetMs, days) => {
    const when = new Date(NOW + offsetMs).toISOString();
    const line = lineOf(result({ expiry: { keyAgeDays: 1, nextRotationAt: when, exchangeExpiresAt: when } }));
    expect(line.DaysToRotation).toBe(days);
    expect(line.DaysToExpiry).toBe(days);
  });

  it('names the status and each finding code once, in one string, but never a finding message', () => {
    const secretish = 'apiSecret=c3VwZXItc2VjcmV0';
    const line = lineOf(
      result({
        status: 'critical',
        findings: [
          makeFinding('AUTH_INVALID_SIGNATURE', `rejected ${secretish}`),
          makeFinding('CLOCK_DRIFT', 'x'),
          makeFinding('CLOCK_DRIFT', 'y'),
        ],
      }),
    );
    expect(line).toMatchObject({ Status: 'critical', Codes: 'AUTH_INVALID_SIGNATURE CLOCK_DRIFT' });
    expect(JSON.stringify(line)).not.toContain(secretish);
  });

  it.each([
    ['a healthy key', result()],
    [
      'a key with nothing measured',
      result({ status: 'unknown', latencyMs: null, clock: { offsetMs: null, rttMs: null, toleranceMs: null, source: null } }),
    ],
    [
      'a key past its rotation and expiry',
      result({
        status: 'critical',
        expiry: { keyAgeDays: 400, nextRotationAt: '2025-01-01T00:00:00.000Z', exchangeExpiresAt: '2026-01-01T00:00:00.000Z' },
      }),
    ],
    ['a key with a long name', result({ name: `k${'x'.repeat(63)}` })],
  ])('writes lines that meet the EMF specification for %s', (_, r) => {
    const [line] = formatMetricLines(report(r), OPTIONS);
    expect(emfProblems(line ?? '')).toEqual([]);
  });

  it('declares only metric names and units that the dashboard constants describe', () => {
    const line = lineOf(
      result({ expiry: { keyAgeDays: 1, nextRotationAt: new Date(NOW).toISOString(), exchangeExpiresAt: new Date(NOW).toISOString() } }),
    );
    const aws = line._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    expect(aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[...METRIC_DIMENSIONS]]);
    expect(Object.fromEntries(aws.CloudWatchMetrics[0]?.Metrics.map((m) => [m.Name, m.Unit]) ?? [])).toEqual(KEY_METRICS);
  });
});

describe('formatMetricLines by metric set', () => {
  const FULL = result({
    expiry: { keyAgeDays: 1, nextRotationAt: new Date(NOW + DAY).toISOString(), exchangeExpiresAt: new Date(NOW + 2 * DAY).toISOString() },
  });
  const lineWith = (metrics?: (typeof KEY_METRIC_SETS)[number]) =>
    JSON.parse(
      formatMetricLines(report(FULL), { namespace: METRICS_NAMESPACE, nowMs: NOW, ...(metrics && { metrics }) })[0] ?? '',
    ) as Record<string, unknown>;

  it('declares no metric by default: a plain JSON line with the same figures, which CloudWatch does not bill as metrics', () => {
    expect(DEFAULT_KEY_METRIC_SET).toBe('none');
    const plain = lineWith();
    expect(plain).not.toHaveProperty('_aws');
    const { _aws, ...figures } = lineWith('all');
    expect(plain).toEqual(figures);
    expect(Object.keys(plain)).toEqual(['Key', 'Exchange', ...Object.keys(KEY_METRICS), 'Status', 'Codes']);
  });

  it('declares only StatusLevel for the status set, and still writes every figure', () => {
    const line = lineWith('status');
    expect(declared(line)).toEqual(['StatusLevel']);
    expect(emfProblems(JSON.stringify(line))).toEqual([]);
    expect(line).toMatchObject({ Healthy: 1, ClockOffsetMs: -12, LatencyMs: 51, DaysToRotation: 1, DaysToExpiry: 2 });
  });

  it.each([
    ['none', []],
    ['status', ['StatusLevel']],
    ['all', Object.keys(KEY_METRICS)],
  ] as const)('lists for the %s set the metrics it declares', (set, names) => {
    expect(listDeclaredMetrics(set)).toEqual(names);
  });
});

describe('readKeyMetricSet', () => {
  it.each([
    [{}, 'none'],
    [{ KEY_HEALTH_METRICS: '' }, 'none'],
    [{ KEY_HEALTH_METRICS: 'status' }, 'status'],
    [{ KEY_HEALTH_METRICS: ' all ' }, 'all'],
  ])('reads %j as %s', (env, set) => {
    expect(readKeyMetricSet(env)).toBe(set);
  });

  it('refuses an unknown set, naming the variable and the accepted values', () => {
    const failure = (() => {
      try {
        return readKeyMetricSet({ KEY_HEALTH_METRICS: 'everything' });
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(EnvError);
    expect((failure as EnvError).problems).toEqual(['KEY_HEALTH_METRICS: must be one of none, status, all, got "everything"']);
  });
});
