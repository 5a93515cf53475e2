import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildCostTable,
  type CostTable,
  computeReadmeCost,
  countRunsPerMonth,
  estimateRunMs,
  formatUsd,
  MEASURED_RUN_MS,
  readReadmeCostSection,
  type Scenario,
  TEN_KEY_BUDGET_USD,
  type TemplateJson,
} from '../../scripts/cost';

type Resources = TemplateJson['Resources'];

/** The scenario with `keys` keys, its template changed by `change` (on a copy). */
function withTemplate(table: CostTable, keys: number, change: (resources: Resources) => void): Scenario {
  const scenario = table.scenarios.find((s) => s.config.keys.length === keys);
  if (!scenario) throw new Error(`no scenario with ${keys} keys`);
  const template = structuredClone(scenario.template);
  change(template.Resources);
  return { ...scenario, template };
}

/** The one resource of a type in a template's resources. */
function only(resources: Resources, type: string): { Properties?: Record<string, unknown> } {
  const found = Object.values(resources).filter((r) => r.Type === type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as { Properties?: Record<string, unknown> };
}

/** The scheduled function's resource. */
function checker(resources: Resources): { Properties?: Record<string, unknown> } {
  const rule = only(resources, 'AWS::Events::Rule');
  const [target] = (rule.Properties?.Targets ?? []) as Array<{ Arn: { 'Fn::GetAtt': [string] } }>;
  if (!target) throw new Error('the rule has no target');
  return resources[target.Arn['Fn::GetAtt'][0]] as { Properties?: Record<string, unknown> };
}

const lineCost = (table: CostTable, item: RegExp) => {
  const line = table.lines.find((l) => item.test(l.item));
  if (!line) throw new Error(`no line ${item}`);
  return Number(line.usd[0]);
};

describe('npm run cost', () => {
  let computed: { section: string; table: CostTable };

  beforeAll(async () => {
    computed = await computeReadmeCost();
  }, 120_000);

  it('is what the README’s cost block says (npm run cost -- --write rewrites the block)', () => {
    expect(readReadmeCostSection()).toBe(computed.section);
    expect(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).toContain('"cost": "tsx scripts/cost.ts"');
  });

  it('keeps ten keys at the default schedule within $2 a month, the secrets’ own storage aside', () => {
    const ten = computed.table.scenarios.findIndex((s) => s.config.keys.length === 10);
    expect(computed.table.scenarios[ten]?.config.schedule).toBe('rate(5 minutes)');
    expect(computed.table.totals[ten]).toBeLessThanOrEqual(TEN_KEY_BUDGET_USD);
    expect(computed.table.totals[ten]).toBeGreaterThan(0.5);
  });

  it('counts from the handler one GetSecretValue a key a run and one DescribeSecret a key an hour, and one state read', () => {
    for (const scenario of computed.table.scenarios) {
      const keys = scenario.config.keys.length;
      expect(scenario.usage.secretsManagerCalls).toEqual({ GetSecretValue: keys, DescribeSecret: keys / 12 });
      expect(scenario.usage.dynamoReadUnits).toBe(keys);
      expect(scenario.usage.logBytes / keys).toBeGreaterThan(300);
    }
  });

  it('prices what the template holds: a customer managed KMS key adds $1 a month', () => {
    const withKey = withTemplate(computed.table, 10, (resources) => {
      resources.TopicKey = { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } };
    });
    const priced = buildCostTable([withKey], [withKey.template]);
    expect((priced.totals[0] ?? 0) - (computed.table.totals[1] ?? 0)).toBeCloseTo(1, 6);
    expect(priced.lines.map((l) => l.item)).toContain('KMS keys (1)');
  });

  it('fails the budget when the function is told to declare every per-key metric ($1.80 a key)', () => {
    const allMetrics = withTemplate(computed.table, 10, (resources) => {
      const environment = checker(resources).Properties?.Environment as { Variables: Record<string, string> };
      environment.Variables.KEY_HEALTH_METRICS = 'all';
    });
    const priced = buildCostTable([allMetrics], [allMetrics.template]);
    expect(lineCost(priced, /^CloudWatch custom metrics/)).toBeCloseTo(18, 6);
    expect(priced.totals[0]).toBeGreaterThan(TEN_KEY_BUDGET_USD);
  });

  it('counts the runs from the rule’s schedule: a run a minute costs five times the calls', () => {
    const everyMinute = withTemplate(computed.table, 10, (resources) => {
      (only(resources, 'AWS::Events::Rule').Properties as Record<string, unknown>).ScheduleExpression = 'rate(1 minute)';
    });
    const priced = buildCostTable([everyMinute], [everyMinute.template]);
    const base = buildCostTable([withTemplate(computed.table, 10, () => undefined)], [everyMinute.template]);
    expect(lineCost(priced, /^Secrets Manager API/) / lineCost(base, /^Secrets Manager API/)).toBeCloseTo(5, 6);
  });

  it('counts the alarms and the dashboard’s Logs Insights widgets in the template', () => {
    const items = computed.table.lines.map((l) => l.item);
    expect(items).toContain('CloudWatch alarms (2)');
    expect(items.some((item) => item.startsWith("Logs Insights: the dashboard's 6 log widgets"))).toBe(true);
    const moreAlarms = withTemplate(computed.table, 1, (resources) => {
      resources.ExtraAlarm = { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors' } };
    });
    expect(lineCost(buildCostTable([moreAlarms], [moreAlarms.template]), /^CloudWatch alarms/)).toBeCloseTo(0.3, 6);
  });

  it('adds the NAT gateway and the public address of static egress, about $36.50 a month whatever the keys', () => {
    expect(computed.table.egressTotals.map((total) => Math.round(total))).toEqual([37, 37]);
    expect(computed.table.egress.find((l) => l.item.startsWith('NAT gateway ('))?.usd).toEqual(
      [32.85, 32.85].map((v) => expect.closeTo(v, 6)),
    );
  });
});

describe('countRunsPerMonth', () => {
  it.each([
    ['rate(5 minutes)', 8640],
    ['rate(1 minute)', 43200],
    ['rate(1 hour)', 720],
    ['rate(2 days)', 15],
  ])('counts %s as %i runs in 30 days', (schedule, runs) => {
    expect(countRunsPerMonth(schedule)).toBe(runs);
  });

  it('refuses a cron schedule, whose runs its text does not give', () => {
    expect(() => countRunsPerMonth('cron(0 8 * * ? *)')).toThrow('give a rate(...) schedule');
  });
});

describe('estimateRunMs', () => {
  it('uses the measured durations, between them a straight line, and beyond them its extension', () => {
    const [[oneKeys, oneMs], [tenKeys, tenMs]] = Object.entries(MEASURED_RUN_MS).map(([k, ms]) => [Number(k), ms]) as [
      [number, number],
      [number, number],
    ];
    expect(estimateRunMs(oneKeys)).toBe(oneMs);
    expect(estimateRunMs(tenKeys)).toBe(tenMs);
    expect(estimateRunMs((oneKeys + tenKeys) / 2)).toBeCloseTo((oneMs + tenMs) / 2, 6);
    expect(estimateRunMs(100)).toBeCloseTo(oneMs + ((tenMs - oneMs) * (100 - oneKeys)) / (tenKeys - oneKeys), 6);
  });
});

describe('formatUsd', () => {
  it.each([
    [0, '$0.00'],
    [0.004, '< $0.01'],
    [0.005, '$0.01'],
    [1.234, '$1.23'],
    ['per alert', 'per alert'],
  ])('writes %p as %s', (value, text) => {
    expect(formatUsd(value)).toBe(text);
  });
});
