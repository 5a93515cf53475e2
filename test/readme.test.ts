import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTroubleshootingTable } from '../lambda/cli/format-table';
import { FINDING_CODES } from '../lambda/findings';

const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('carries the troubleshooting table generated from the one remediation table', () => {
    const block = README.split('<!-- troubleshooting:start -->')[1]?.split('<!-- troubleshooting:end -->')[0]?.trim();
    expect(block).toBe(formatTroubleshootingTable());
  });

  it('documents every finding code', () => {
    for (const code of Object.keys(FINDING_CODES)) expect(README).toContain(`\`${code}\``);
  });

  it('names the two quick-start commands that CI and newcomers run', () => {
    expect(README).toContain('npm run demo');
    expect(README).toContain('npm test');
    expect(readFileSync(join(__dirname, '..', '.ci', 'run'), 'utf8')).toContain('npm test');
  });
});
