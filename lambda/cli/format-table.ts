import { STATUSES, type Status } from '../findings';
import type { KeyResult, Report } from '../report';

/** Options for {@link formatReport}. */
export interface FormatOptions {
  /** ANSI colours for a terminal. @default false */
  readonly color?: boolean;
}

const COLOR: Record<Status, string> = { ok: '32', warning: '33', unknown: '35', critical: '31' };

/** Renders a report as a table of keys followed by each finding with its remedy. */
export function formatReport(report: Report, options: FormatOptions = {}): string {
  const paint = (status: Status, text: string) => (options.color ? `\u001b[${COLOR[status]}m${text}\u001b[0m` : text);
  const rows = report.results.map((r) => [r.name, r.exchange, r.status.toUpperCase(), clockCell(r), latencyCell(r), codesCell(r)]);
  const header = ['KEY', 'EXCHANGE', 'STATUS', 'CLOCK', 'LATENCY', 'FINDINGS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[], status?: Status) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        return i === 2 && status ? paint(status, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map((row, i) => line(row, report.results[i]?.status))];
  for (const result of report.results) {
    if (result.findings.length === 0 && result.notes.length === 0) continue;
    out.push('', `${result.name} (${result.exchange}): ${paint(result.status, result.status.toUpperCase())}`);
    for (const finding of result.findings) {
      out.push(`  ${paint(finding.severity, finding.code)} ${finding.message}`);
      out.push(`    fix: ${finding.remediation}`);
    }
    for (const note of result.notes) out.push(`  note: ${note}`);
  }
  const counts = countStatuses(report.results);
  out.push('', `Overall: ${paint(report.status, report.status.toUpperCase())} — ${counts} (checked ${report.checkedAt})`);
  return `${out.join('\n')}\n`;
}

function clockCell(result: KeyResult): string {
  const { offsetMs, toleranceMs } = result.clock;
  if (offsetMs === null) return '-';
  const sign = offsetMs > 0 ? '+' : '';
  return toleranceMs === null ? `${sign}${offsetMs} ms` : `${sign}${offsetMs} ms of ${toleranceMs / 1000} s`;
}

function latencyCell(result: KeyResult): string {
  return result.latencyMs === null ? '-' : `${result.latencyMs} ms`;
}

function codesCell(result: KeyResult): string {
  return result.findings.length === 0 ? '-' : [...new Set(result.findings.map((f) => f.code))].join(', ');
}

function countStatuses(results: readonly KeyResult[]): string {
  return STATUSES.map((status) => [status, results.filter((r) => r.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
}
