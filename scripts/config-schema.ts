/**
 * `npm run config-schema`: writes docs/config.schema.json from the definition parseConfig validates with,
 * so editors check a config (`"$schema": "…/config.schema.json"`) by the same rules as key-health.
 * test/lambda/config-schema.test.ts fails when the committed file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema } from '../lambda/config';

/** Where the published schema lives. */
export const CONFIG_SCHEMA_PATH = join(__dirname, '..', 'docs', 'config.schema.json');

/** The exact text of docs/config.schema.json for the current definition. */
export function renderConfigSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  const text = renderConfigSchema();
  let before = '';
  try {
    before = readFileSync(CONFIG_SCHEMA_PATH, 'utf8');
  } catch {
    // First run: the file does not exist yet.
  }
  if (text === before) process.stdout.write('docs/config.schema.json is up to date.\n');
  else {
    writeFileSync(CONFIG_SCHEMA_PATH, text);
    process.stdout.write('docs/config.schema.json rewritten.\n');
  }
}
