/**
 * `npm run readme`: rewrites the README's generated sections from the code, so the exchange list,
 * secret formats, "What is checked" table and troubleshooting table never drift from what the
 * adapters and the finding table say. test/readme.test.ts fails when the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTERS, EXCHANGE_IDS, PLANNED_EXCHANGE_IDS } from '../lambda/exchanges/registry';
import type { ExchangeAdapter, Probe } from '../lambda/exchanges/types';
import { FINDING_CODES } from '../lambda/findings';

const README_PATH = join(__dirname, '..', 'README.md');

const adapters = (): ExchangeAdapter<unknown>[] => EXCHANGE_IDS.map((id) => ADAPTERS[id] as ExchangeAdapter<unknown>);

/** The one-paragraph list of supported (and planned) exchanges. */
export function renderExchangeList(): string {
  const supported = adapters().map((a) => `**${a.displayName}** (\`${a.id}\`)`);
  const planned = PLANNED_EXCHANGE_IDS.length
    ? ` Planned: ${PLANNED_EXCHANGE_IDS.map((id) => `\`${id}\``).join(', ')} (the config refuses them with "planned but not supported yet").`
    : '';
  return `Supported: ${joinWords(supported)}.${planned}`;
}

/** Per exchange: what the secret holds, an example, and its `create-secret` line. */
export function renderSecretFormats(): string {
  return adapters()
    .map((adapter) => {
      const example = JSON.stringify(adapter.guide.secretExample);
      const compact = JSON.stringify(Object.fromEntries(Object.keys(adapter.guide.secretExample).map((field) => [field, '…'])));
      return [
        `**\`${adapter.id}\`** — ${adapter.guide.api}. ${adapter.guide.secret}`,
        '',
        '```json',
        example,
        '```',
        '',
        '```sh',
        `aws secretsmanager create-secret --name trading/${adapter.id} --secret-string file://${adapter.id}.json   # ${compact}`,
        '```',
      ].join('\n');
    })
    .join('\n\n');
}

/** The "What is checked" table: per exchange, the clock source, the reads and the clock window. */
export function renderChecksTable(): string {
  const rows = adapters().map((adapter) => {
    const probes = adapter.probes({ futures: true, sandbox: false });
    const time = adapter.time ? `\`GET ${adapter.time.request.path}\`` : (adapter.guide.time ?? 'the HTTP `Date` header (1 s resolution)');
    const cell = (selected: Probe[]) => (selected.length ? selected.map(describeProbe).join('<br>') : 'none');
    const introspection = cell(probes.filter((p) => p.purpose === 'introspection'));
    const reads = cell(probes.filter((p) => p.purpose !== 'introspection'));
    return `| \`${adapter.id}\` | ${time} | ${introspection} | ${reads} | ${adapter.guide.clock} |`;
  });
  const notes = adapters()
    .filter((a) => a.guide.notes)
    .map((a) => `- **${a.displayName}:** ${a.guide.notes}`);
  return [
    '| exchange | server time | key introspection | futures / accounts read | clock window we assume |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...notes,
  ].join('\n');
}

/** The troubleshooting table (code, severity, meaning, remedy) as Markdown, from the one remediation table. */
export function renderTroubleshootingTable(): string {
  const rows = Object.entries(FINDING_CODES).map(
    ([code, info]) => `| \`${code}\` | ${info.severity} | ${info.meaning} | ${info.remediation.replace(/\|/g, '\\|')} |`,
  );
  return ['| code | severity | meaning | what to do |', '|---|---|---|---|', ...rows].join('\n');
}

/** The exchanges whose adapter paces its keys, and how, from each adapter's `pace`. */
export function renderPaceTable(): string {
  const rows = adapters()
    .filter((a) => a.pace)
    .map((a) => {
      const pace = a.pace as NonNullable<ExchangeAdapter['pace']>;
      const limits = [
        ...(pace.keysInFlight ? [`${pace.keysInFlight} keys at once`] : []),
        ...(pace.keysPerWindow ? [`${pace.keysPerWindow.keys} keys per ${formatWindow(pace.keysPerWindow.ms)}`] : []),
      ];
      return `| \`${a.id}\` | ${limits.join(', ')} | ${pace.why} |`;
    });
  return ['| exchange | pace | why |', '|---|---|---|', ...rows].join('\n');
}

function formatWindow(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`;
  return ms === 1000 ? 'second' : `${ms / 1000} s`;
}

/** Every generated section by its marker name. */
export function renderSections(): Record<string, string> {
  return {
    exchanges: renderExchangeList(),
    'secret-formats': renderSecretFormats(),
    checks: renderChecksTable(),
    troubleshooting: renderTroubleshootingTable(),
    pace: renderPaceTable(),
  };
}

/** The README with every `<!-- name:start -->…<!-- name:end -->` block replaced by its generated text. */
export function applySections(readme: string, sections: Record<string, string>): string {
  let out = readme;
  for (const [name, text] of Object.entries(sections)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} block`);
    out = `${out.slice(0, from + start.length)}\n${text}\n${out.slice(to)}`;
  }
  return out;
}

function describeProbe(probe: Probe): string {
  const query = probe.request.query ? `?${probe.request.query}` : '';
  const host = probe.request.origin ? new URL(probe.request.origin).host : '';
  return `\`${probe.request.method} ${host}${probe.request.path}${query}\` (${probe.tells})`;
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

if (require.main === module) {
  const before = readFileSync(README_PATH, 'utf8');
  const after = applySections(before, renderSections());
  if (after === before) process.stdout.write('README.md is up to date.\n');
  else {
    writeFileSync(README_PATH, after);
    process.stdout.write('README.md: generated sections rewritten.\n');
  }
}
