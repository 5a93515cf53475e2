import { KEY_METRICS, type KeyMetricName, METRIC_DIMENSIONS, METRICS_NAMESPACE } from '../../lambda/metrics';
import { computeDashboardPeriod } from '../../lib/checker-dashboard';
import { exampleWith, logicalId, type SynthResult, single, synth } from './stack-fixture';

/** One line of a widget's `metrics`: `[namespace, name, dim, value, …, {options}]` or `[{expression…}]`. */
type MetricLine = unknown[];

interface Widget {
  type: string;
  properties: {
    title?: string;
    view?: string;
    markdown?: string;
    alarms?: string[];
    metrics?: MetricLine[];
    table?: { summaryColumns: string[] };
    annotations?: { horizontal: unknown[] };
    period?: number;
  };
}

/** A metric line read back: its namespace, name, dimensions and options. */
interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  options: { label?: string; stat?: string; period?: number; id?: string };
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

function metricRefs(widget: Widget | undefined): MetricRef[] {
  return (widget?.properties.metrics ?? []).flatMap((line) => {
    if (typeof line[0] !== 'string') return [];
    const last = line[line.length - 1];
    const options = (typeof last === 'object' ? last : {}) as MetricRef['options'];
    const pairs = line.slice(2, typeof last === 'object' ? -1 : undefined) as string[];
    const dimensions = Object.fromEntries(pairs.flatMap((_, i) => (i % 2 === 0 ? [[pairs[i], pairs[i + 1]]] : [])));
    return [{ namespace: line[0] as string, name: line[1] as string, dimensions, options }];
  });
}

function widgetTitled(widgets: Widget[], title: RegExp): Widget {
  const found = widgets.filter((w) => title.test(w.properties.title ?? ''));
  if (found.length !== 1) throw new Error(`expected one widget titled ${title}, found ${found.length}`);
  return found[0] as Widget;
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

  it('graphs every metric of every key in the KeyHealth namespace with exactly the Key and Exchange dimensions', () => {
    const keyMetrics = widgets.flatMap(metricRefs).filter((m) => m.namespace === METRICS_NAMESPACE);
    const seen = new Set(keyMetrics.map((m) => `${m.name} ${m.dimensions.Key} ${m.dimensions.Exchange}`));
    const expected = KEYS.flatMap((key) => Object.keys(KEY_METRICS).map((name) => `${name} ${key.name} ${key.exchange}`));
    expect([...seen].sort()).toEqual(expected.sort());
    expect(new Set(keyMetrics.map((m) => Object.keys(m.dimensions).sort().join(',')))).toEqual(
      new Set([[...METRIC_DIMENSIONS].sort().join(',')]),
    );
  });

  it('reads one run per point: the key metrics use the schedule as period', () => {
    const periods = widgets
      .flatMap(metricRefs)
      .filter((m) => m.namespace === METRICS_NAMESPACE)
      .map((m) => m.options.period);
    expect(new Set(periods)).toEqual(new Set([3600]));
  });

  it('tables the worst status level per key, coloured from warning and red at critical', () => {
    const table = widgetTitled(widgets, /^Status level per key$/);
    expect(table.properties.view).toBe('table');
    expect(metricRefs(table).map((m) => [m.name, m.dimensions.Key, m.options.stat, m.options.label])).toEqual([
      ['StatusLevel', 'coinbase-futures', 'Maximum', 'coinbase-futures'],
      ['StatusLevel', 'cb-spot', 'Maximum', 'cb-spot'],
    ]);
    expect(table.properties.table?.summaryColumns).toEqual(['MAX']);
    expect(table.properties.annotations?.horizontal).toEqual([
      [{ value: 0.5, color: '#ff7f0e' }, { value: 2.5 }],
      { value: 2.5, color: '#d62728', fill: 'above' },
    ]);
  });

  it('counts the healthy keys as the sum of each key’s Healthy metric', () => {
    const single = widgetTitled(widgets, /^Healthy keys$/);
    expect(single.properties.metrics?.[0]).toEqual([{ expression: 'SUM([healthy0,healthy1])', label: 'healthy of 2', period: 3600 }]);
    expect(metricRefs(single).map((m) => [m.options.id, m.name, m.dimensions.Key, m.options.stat])).toEqual([
      ['healthy0', 'Healthy', 'coinbase-futures', 'Minimum'],
      ['healthy1', 'Healthy', 'cb-spot', 'Minimum'],
    ]);
  });

  it.each([
    [/^Clock offset/, ['ClockOffsetMs']],
    [/^Latency/, ['LatencyMs']],
    [/^Days to rotation/, ['DaysToRotation', 'DaysToExpiry']],
  ] as Array<[RegExp, KeyMetricName[]]>)('draws %s over time with one line per key', (title, names) => {
    const graph = widgetTitled(widgets, title);
    expect(graph.properties.view).toBe('timeSeries');
    expect(metricRefs(graph).map((m) => `${m.name} ${m.dimensions.Key}`)).toEqual(
      KEYS.flatMap((key) => names.map((name) => `${name} ${key.name}`)),
    );
  });

  it('shows the checker’s invocations, errors, throttles and duration against its timeout', () => {
    const fn = `<${logicalId(result.stack.checker.function)}>`;
    const lambdaMetrics = widgets.flatMap(metricRefs).filter((m) => m.namespace === 'AWS/Lambda');
    expect(lambdaMetrics.map((m) => `${m.name} ${m.options.stat ?? 'Average'} ${m.dimensions.FunctionName}`)).toEqual([
      `Invocations Sum ${fn}`,
      `Errors Sum ${fn}`,
      `Throttles Sum ${fn}`,
      `Duration Average ${fn}`,
      `Duration Maximum ${fn}`,
    ]);
    expect(widgetTitled(widgets, /^Checker duration/).properties.annotations?.horizontal).toContainEqual(
      expect.objectContaining({ value: 120000, label: 'timeout' }),
    );
  });

  it('shows the state of the monitor’s own alarms', () => {
    const { errors, missedRuns } = result.stack.alarms;
    expect(widgetTitled(widgets, /^The monitor itself$/).properties.alarms).toEqual([
      `<${logicalId(errors)}.Arn>`,
      `<${logicalId(missedRuns)}.Arn>`,
    ]);
  });
});
