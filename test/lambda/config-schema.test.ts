import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONCURRENCY, DEFAULT_SCHEDULE, parseConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/errors';
import { EXCHANGE_IDS } from '../../lambda/exchanges/registry';
import { CONFIG_SCHEMA_PATH, renderConfigSchema } from '../../scripts/config-schema';

type Schema = Record<string, unknown>;

const SCHEMA = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as Schema;
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const README_EXAMPLE = JSON.parse(README.split('## Configuration')[1]?.split('```json')[1]?.split('```')[0] ?? 'null') as Record<
  string,
  unknown
>;
const KEY = { name: 'k1', exchange: 'coinbase-exchange', secretId: 'trading/k1' };

const TYPES: Record<string, (value: unknown) => boolean> = {
  object: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  array: Array.isArray,
  string: (value) => typeof value === 'string',
  number: (value) => typeof value === 'number',
  integer: Number.isInteger,
  boolean: (value) => typeof value === 'boolean',
};

/**
 * Where `value` breaks `schema`, by the draft-07 rules of the keywords docs/config.schema.json uses; any
 * other keyword throws, so that no rule of the schema is skipped unnoticed.
 */
function violations(schema: Schema, value: unknown, path = ''): string[] {
  const type = schema.type as string | undefined;
  if (type !== undefined && !TYPES[type]?.(value)) return [`${path || '(root)'}: type`];
  const object = value as Record<string, unknown>;
  return Object.entries(schema).flatMap(([keyword, arg]): string[] => {
    const broken = (failed: boolean) => (failed ? [`${path || '(root)'}: ${keyword}`] : []);
    switch (keyword) {
      case 'type':
      case '$schema':
      case 'title':
      case 'description':
      case 'default':
      case 'patternErrorMessage':
        return [];
      case 'enum':
        return broken(!(arg as unknown[]).includes(value));
      case 'pattern':
        return broken(!new RegExp(arg as string, 'u').test(value as string));
      case 'minLength':
        return broken((value as string).length < (arg as number));
      case 'minimum':
        return broken((value as number) < (arg as number));
      case 'maximum':
        return broken((value as number) > (arg as number));
      case 'minItems':
        return broken((value as unknown[]).length < (arg as number));
      case 'items':
        return (value as unknown[]).flatMap((item, i) => violations(arg as Schema, item, `${path}[${i}]`));
      case 'required':
        return broken((arg as string[]).some((name) => object[name] === undefined));
      case 'properties':
        return Object.entries(arg as Record<string, Schema>).flatMap(([name, child]) =>
          object[name] === undefined ? [] : violations(child, object[name], path ? `${path}.${name}` : name),
        );
      case 'additionalProperties':
        return broken(arg === false && Object.keys(object).some((name) => !Object.hasOwn(schema.properties as Schema, name)));
      case 'oneOf':
        return broken((arg as Schema[]).filter((option) => violations(option, value, path).length === 0).length !== 1);
      default:
        throw new Error(`the test's schema check does not know the keyword ${keyword}`);
    }
  });
}

/** Whether parseConfig refuses `input`. */
function parseRefuses(input: unknown): boolean {
  try {
    parseConfig(input);
    return false;
  } catch (error) {
    if (error instanceof ConfigError) return true;
    throw error;
  }
}

/** Every schema below `schema` (properties and list items) that has no description, by path. */
function undescribed(schema: Schema, path = '(root)'): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const children: [string, Schema][] = Object.entries(properties).map(([name, child]) => [`${path}.${name}`, child]);
  if (schema.items) children.push([`${path}[]`, schema.items as Schema]);
  return [...(schema.description ? [] : [path]), ...children.flatMap(([at, child]) => undescribed(child, at))];
}

const withKey = (fields: Record<string, unknown>, root: Record<string, unknown> = {}) => ({ ...root, keys: [{ ...KEY, ...fields }] });

describe('docs/config.schema.json', () => {
  it('is what `npm run config-schema` generates from the config definition', () => {
    expect(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')).toBe(renderConfigSchema());
  });

  it('has a title, a description on every field, the exchange ids as an enum and the defaults', () => {
    const properties = SCHEMA.properties as Record<string, Schema>;
    const key = ((properties.keys as Schema).items as Schema).properties as Record<string, Schema>;
    expect(SCHEMA.title).toBe('key-health config');
    expect(undescribed(SCHEMA)).toEqual([]);
    expect(key.exchange?.enum).toEqual(EXCHANGE_IDS);
    expect(properties.schedule?.default).toBe(DEFAULT_SCHEDULE);
    expect(properties.concurrency?.default).toBe(DEFAULT_CONCURRENCY);
    expect(properties.$schema?.type).toBe('string');
  });

  it.each([
    ['the README example', README_EXAMPLE],
    ['the README example with "$schema"', { $schema: './docs/config.schema.json', ...README_EXAMPLE }],
    ['local credentials from a variable', { keys: [{ name: 'k', exchange: 'okx', credentials: { env: 'OKX_SECRET' } }] }],
    ['local credentials from a file', { keys: [{ name: 'k', exchange: 'okx', credentials: { file: 'k.json' } }] }],
    ['a cron schedule', withKey({}, { schedule: 'cron(0 8 ? * MON-FRI *)' })],
    ['a one-hour rate', withKey({}, { schedule: 'rate(1 hour)' })],
    ['a sandbox key', withKey({ sandbox: true })],
    ['a loopback baseUrl', withKey({ baseUrl: 'http://127.0.0.1:4010' })],
  ])('accepts %s, as parseConfig does', (_, input) => {
    expect(parseRefuses(input)).toBe(false);
    expect(violations(SCHEMA, input)).toEqual([]);
  });

  it.each([
    ['no keys', {}, '(root): required'],
    ['an empty key list', { keys: [] }, 'keys: minItems'],
    ['an unknown top-level field', withKey({}, { shedule: 'rate(1 hour)' }), '(root): additionalProperties'],
    ['a "$schema" that is not a string', withKey({}, { $schema: 5 }), '$schema: type'],
    ['a rate whose unit disagrees in number', withKey({}, { schedule: 'rate(5 minute)' }), 'schedule: pattern'],
    ['a cron without "?"', withKey({}, { schedule: 'cron(0 12 * * * *)' }), 'schedule: pattern'],
    ['a phone number without "+"', withKey({}, { alerts: { phones: ['5555550100'] } }), 'alerts.phones[0]: pattern'],
    ['an unknown severity', withKey({}, { alerts: { smsMinSeverity: 'ok' } }), 'alerts.smsMinSeverity: enum'],
    ['a fractional concurrency', withKey({}, { concurrency: 2.5 }), 'concurrency: type'],
    ['a too short default timeout', withKey({}, { defaults: { timeoutMs: 99 } }), 'defaults.timeoutMs: minimum'],
    ['an unknown exchange', withKey({ exchange: 'coinbse' }), 'keys[0].exchange: enum'],
    ['a key name with a space', withKey({ name: 'has space' }), 'keys[0].name: pattern'],
    ['a blank secretId', withKey({ secretId: ' ' }), 'keys[0].secretId: pattern'],
    ['a key without secretId or credentials', withKey({ secretId: undefined }), 'keys[0]: oneOf'],
    ['a key with secretId and credentials', withKey({ credentials: { env: 'K' } }), 'keys[0]: oneOf'],
    ['credentials without file or env', withKey({ secretId: undefined, credentials: {} }), 'keys[0].credentials: oneOf'],
    [
      'credentials with file and env',
      withKey({ secretId: undefined, credentials: { file: 'k.json', env: 'K' } }),
      'keys[0].credentials: oneOf',
    ],
    [
      'an environment variable name with "-"',
      withKey({ secretId: undefined, credentials: { env: 'MY-KEY' } }),
      'keys[0].credentials.env: pattern',
    ],
    ['a misspelt key field', withKey({ expct: { trade: true } }), 'keys[0]: additionalProperties'],
    ['a string for a boolean', withKey({ expect: { futures: 'yes' } }), 'keys[0].expect.futures: type'],
    ['a rotation of 0 days', withKey({ rotation: { maxAgeDays: 0 } }), 'keys[0].rotation.maxAgeDays: minimum'],
  ])('refuses %s, as parseConfig does', (_, input, violation) => {
    expect(parseRefuses(input)).toBe(true);
    expect(violations(SCHEMA, input)).toEqual([violation]);
  });
});
