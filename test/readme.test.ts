import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FINDING_CODES } from '../lambda/findings';
import { applySections, renderSections } from '../scripts/readme';

const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it.each(Object.entries(renderSections()))('carries the %s section generated from the code (npm run readme)', (name, text) => {
    const block = README.split(`<!-- ${name}:start -->`)[1]?.split(`<!-- ${name}:end -->`)[0]?.trim();
    expect(block).toBe(text);
  });

  it('is left unchanged by regenerating it', () => {
    expect(applySections(README, renderSections())).toBe(README);
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
