import { Duration } from 'aws-cdk-lib';
import { formatMetricLines, KEY_METRICS, METRICS_NAMESPACE } from '../../lambda/metrics';
import { buildKeyQueries, computeDashboardPeriod } from '../../lib/checker-dashboard';
import { exampleWith, logicalId, type SynthResult, single, synth } from './stack-fixture';

/** One line of a metric widget's `metrics`: `[namespace, name, dim, value, …, {options}]`. */
type MetricLine = unknown[];

interface Widget {
  type: string;
  width: number;
  height: number;
  properties: {
    title?: string;
    view?: string;
    markdown?: string;
    alarms?: string[];
    metrics?: MetricLine[];
    query?: string;
    region?: string;
    annotations?: { horizontal: unknown[] };
  };
}

const KEYS = [
  { name: 'coinbase-futures', exchange: 'coinbase-advanced', secretId: 'trading/coinbase-futures' },
  { name: 'cb-spot', exchange: 'coinbase-exchange', secretId: 'trading/cb-spot' },
];

function dashboardWidgets(result: SynthResult): Widget[] {
  const dashboard = single(result.json, 'AWS::CloudWatch::Dashboard');
  // The fixture flattens the body's Fn::Join with `<Ref>` placeholders, which leaves valid JSON.
  return (JSON.parse(dashboard.Properties.DashboardBody as string) as { widgets: Widget[] }).widgets;
}

function widgetTitled(widgets: Widget[], title: string): Widget {
  const found = widgets.filter((w) => w.properties.title === title);
  if (found.length !== 1) throw new Error(`expected one widget titled ${title}, found ${found.length}`);
  return found[0] as Widget;
}

/** The field names a query reads from the key lines (the words in aggregate calls and filters). */
function fieldsRead(query: string): string[] {
  return [...query.matchAll(/\b(?:latest|max|min|avg|ispresent)\(([A-Za-z]+)\)/g)].map((m) => m[1] as string);
}

describe('dashboardPeriod', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(1 hour)', 3600],
    ['rate(1 day)', 86400],
    ['rate(3 days)', 86400],
    ['cron(0/10 * * * ? *)', 3600],
  ])('shows %s in periods of %i s', (schedule, seconds) => {
    expect(computeDashboardPeriod(schedule).toSeconds()).toBe(seconds);
  });
});

describe('buildKeyQueries', () => {
  const queries = buildKeyQueries(Duration.minutes(5));

  it('reads only fields the handler writes on its key lines', () => {
    const line = JSON.parse(
      formatMetricLines(
        {
          checkedAt: '2026-11-27T10:00:00.000Z',
          status: 'ok',
          results: [
            {
              name: 'k',
              exchange: 'coinbase-advanced',
              status: 'ok',
              findings: [],
              clock: { offsetMs: 1, rttMs: 2, toleranceMs: 3, source: 'time-endpoint' },
              permissions: { view: true, trade: true, transfer: false, futures: true, ipRestricted: null },
              expiry: { keyAgeDays: 1, nextRotationAt: '2026-12-27T10:00:00.000Z', exchangeExpiresAt: '2027-01-27T10:00:00.000Z' },
              latencyMs: 4,
              notes: [],
            },
          ],
        },
        { namespace: METRICS_NAMESPACE, nowMs: Date.parse('2026-11-27T10:00:00.000Z') },
      )[0] ?? '',
    ) as Record<string, unknown>;
    const read = new Set(Object.values(queries).flatMap((lines) => fieldsRead(lines.join(' '))));
    // Healthy is left to the opt-in metrics: the pie counts keys by their status instead.
    expect([...read].sort()).toEqual([...Object.keys(KEY_METRICS).filter((name) => name !== 'Healthy'), 'Codes', 'Status'].sort());
    for (const field of read) expect(line).toHaveProperty(field);
    for (const lines of Object.values(queries)) expect(lines.join(' ')).toMatch(/\bby Key\b/);
  });

  it('bins the graphs by the period, one line per key', () => {
    expect(queries['Latency (ms)']).toEqual(['filter ispresent(LatencyMs)', 'stats max(LatencyMs) by Key, bin(300s)']);
    expect(buildKeyQueries(Duration.hours(1))['Days to rotation']).toEqual([
      'filter ispresent(DaysToRotation)',
      'stats min(DaysToRotation) by Key, bin(3600s)',
    ]);
  });

  it('tables each key with its latest status and codes, worst first, and counts keys by their latest status', () => {
    expect(queries.Keys?.[0]).toBe('filter ispresent(StatusLevel)');
    expect(queries.Keys?.[1]).toMatch(/^stats latest\(Status\) as status, latest\(Codes\) as codes, latest\(StatusLevel\) as level,/);
    expect(queries.Keys?.[1]).toMatch(/by Key, Exchange$/);
    expect(queries.Keys?.[2]).toBe('sort level desc');
    expect(queries['Keys by status (latest check)']).toEqual([
      'filter ispresent(StatusLevel)',
      'stats latest(Status) as status by Key',
      'stats count(*) as keys by status',
    ]);
  });
});

describe('CheckerDashboard', () => {
  let result: SynthResult;
  let widgets: Widget[];

  beforeAll(() => {
    result = synth({ keyHealth: exampleWith({ schedule: 'rate(1 hour)', keys: KEYS }) });
    widgets = dashboardWidgets(result);
  });

  it('explains the status levels as the handler writes them', () => {
    expect(widgets[0]?.properties.markdown).toContain('**0** ok · **1** warning · **2** unknown · **3** critical');
  });

  it('is one dashboard, named after the stack so that alerts can link to it', () => {
    const dashboard = single(result.json, 'AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties.DashboardName).toBe('KeyHealth-key-health');
    expect(dashboard.id).toBe(logicalId(result.stack.dashboard.dashboard));
  });

  it('reads every per-key figure from the checker’s log group with Logs Insights, none from custom metrics', () => {
    const logs = `<${logicalId(result.stack.checker.logGroup)}>`;
    const logWidgets = widgets.filter((w) => w.type === 'log');
    expect(logWidgets.map((w) => w.properties.title)).toEqual(Object.keys(buildKeyQueries(Duration.hours(1))));
    for (const widget of logWidgets) {
      const expected = buildKeyQueries(Duration.hours(1))[widget.properties.title ?? ''] ?? [];
      expect(widget.properties.query).toBe(`SOURCE '${logs}' | ${expected.join('\n| ')}`);
    }
    const namespaces = widgets.flatMap((w) => (w.properties.metrics ?? []).map((line) => line[0]));
    expect(namespaces.filter((n) => typeof n === 'string' && n !== 'AWS/Lambda')).toEqual([]);
  });

  it('shows the key table across the dashboard with a row for each key, and the figures over time as lines', () => {
    const table = widgetTitled(widgets, 'Keys');
    expect([table.properties.view, table.width, table.height]).toEqual(['table', 24, 6]);
    expect(widgetTitled(widgets, 'Keys by status (latest check)').properties.view).toBe('pie');
    for (const title of [
      'Clock offset (ms, ours minus the exchange’s)',
      'Latency (ms)',
      'Days to rotation',
      'Days to exchange-side expiry',
    ])
      expect(widgetTitled(widgets, title).properties.view).toBe('timeSeries');
    const many = dashboardWidgets(
      synth({
        keyHealth: exampleWith({
          keys: Array.from({ length: 20 }, (_, i) => ({ name: `k${i}`, exchange: 'coinbase-exchange', secretId: `trading/k${i}` })),
        }),
      }),
    );
    expect(widgetTitled(many, 'Keys').height).toBe(23);
  });

  it('shows the checker’s invocations, errors, throttles and duration against its timeout', () => {
    const fn = `<${logicalId(result.stack.checker.function)}>`;
    const lambdaMetrics = widgets.flatMap((w) => (w.properties.metrics ?? []).filter((line) => line[0] === 'AWS/Lambda'));
    expect(lambdaMetrics.map((line) => `${line[1]} ${(line[4] as { stat?: string }).stat ?? 'Average'} ${line[3]}`)).toEqual([
      `Invocations Sum ${fn}`,
      `Errors Sum ${fn}`,
      `Throttles Sum ${fn}`,
      `Duration Average ${fn}`,
      `Duration Maximum ${fn}`,
    ]);
    expect(widgetTitled(widgets, 'Checker duration (ms)').properties.annotations?.horizontal).toContainEqual(
      expect.objectContaining({ value: 120000, label: 'timeout' }),
    );
  });

  it('shows the state of the monitor’s own alarms', () => {
    const { errors, missedRuns } = result.stack.alarms;
    expect(widgetTitled(widgets, 'The monitor itself').properties.alarms).toEqual([
      `<${logicalId(errors)}.Arn>`,
      `<${logicalId(missedRuns)}.Arn>`,
    ]);
  });
});
