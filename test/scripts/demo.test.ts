import { EXCHANGE_IDS } from '../../lambda/exchanges/registry';
import { FINDING_CODES } from '../../lambda/findings';
import type { Report } from '../../lambda/report';
import { demoScenarios, runDemo } from '../../scripts/demo';
import { loadSimulatedExchange } from '../support/simulator/simulated-exchange';

describe('npm run demo', () => {
  it('diagnoses every demo key with the code it was built to show, and leaks no secret', async () => {
    const scenarios = demoScenarios();
    const logged: string[] = [];
    const { exitCode, output } = await runDemo({ json: true, write: (text) => logged.push(text), scenarios });
    const report = JSON.parse(output) as Report;
    expect(report.results.map((r) => r.name)).toEqual(scenarios.map((s) => s.name));
    for (const scenario of scenarios) {
      const result = report.results.find((r) => r.name === scenario.name);
      expect([scenario.name, result?.findings.map((f) => f.code).sort()]).toEqual([scenario.name, [...scenario.codes].sort()]);
    }
    expect(report.status).toBe('critical');
    expect(exitCode).toBe(2);
    const printed = output + logged.join('');
    const secretValues = scenarios
      .flatMap((s) => [s.secret.apiSecret, s.secret.passphrase])
      .filter((v): v is string => typeof v === 'string');
    for (const value of secretValues) {
      expect(printed).not.toContain(value);
      // A secret cut short or with its PEM armour stripped is still a leak.
      expect(printed).not.toContain(
        value
          .replace(/-----[A-Z ]+-----/g, '')
          .trim()
          .slice(0, 20),
      );
    }
    expect(printed).not.toContain('PRIVATE KEY');
  });

  it('shows a healthy and a broken key for every supported exchange', () => {
    const scenarios = demoScenarios();
    for (const exchange of EXCHANGE_IDS) {
      const mine = scenarios.filter((s) => s.exchange === exchange);
      // A healthy key shows only what every working key of its exchange carries that day (none for most).
      const standing = [...(loadSimulatedExchange(exchange).standingCodes?.(Date.now()) ?? [])].sort();
      expect([exchange, mine.some((s) => JSON.stringify([...s.codes].sort()) === JSON.stringify(standing))]).toEqual([exchange, true]);
      expect([exchange, mine.some((s) => s.codes.some((code) => FINDING_CODES[code].severity === 'critical'))]).toEqual([exchange, true]);
    }
    expect(new Set(scenarios.map((s) => s.name)).size).toBe(scenarios.length);
  });

  it('prints a readable table by default', async () => {
    const { output } = await runDemo({ json: false, write: () => undefined });
    expect(output).toMatch(/^KEY\s+EXCHANGE\s+STATUS\s+CLOCK\s+LATENCY\s+FINDINGS/);
    expect(output).toContain('fix: ');
    expect(output).toMatch(/Overall: CRITICAL/);
  });
});
