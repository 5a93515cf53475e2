import {
  boolean,
  type Field,
  hintFor,
  integer,
  type Json,
  list,
  type ObjectField,
  object,
  quote,
  type Refinement,
  suggest,
  text,
  toJsonSchema,
  walk,
} from './config-fields';
import { ConfigError } from './errors';
import { EXCHANGE_IDS, type ExchangeId, hasSandbox, PLANNED_EXCHANGE_IDS } from './exchanges/registry';
import { SEVERITIES, type Severity } from './findings';

export { suggest } from './config-fields';

/** What a key is expected to be allowed to do; `undefined` means no opinion. */
export interface Expect {
  futures: boolean;
  transfer: boolean;
  trade?: boolean;
  ipRestricted?: boolean;
}

/** Rotation policy of a key, in days. */
export interface RotationPolicy {
  maxAgeDays: number;
  warnDays: number;
}

/** Where the CLI finds local credentials instead of Secrets Manager. */
export type LocalCredentials = { file: string } | { env: string };

/** One key to check, with every default resolved. */
export interface KeyConfig {
  name: string;
  exchange: ExchangeId;
  secretId?: string;
  credentials?: LocalCredentials;
  expect: Expect;
  rotation: RotationPolicy;
  timeoutMs: number;
  /** Replaces the scheme, host and port of the exchange's origin; paths stay as on the real API. */
  baseUrl?: string;
  sandbox: boolean;
}

/** Alerting settings. */
export interface AlertsConfig {
  emails: string[];
  phones: string[];
  smsMinSeverity: Severity;
  repeatAfterHours: number;
  unknownAfterRuns: number;
}

/** The validated configuration shared by the stack, the Lambda and the CLI. */
export interface Config {
  schedule: string;
  alerts: AlertsConfig;
  /** How many keys are checked at the same time. */
  concurrency: number;
  keys: KeyConfig[];
}

/** Options for {@link parseConfig}. */
export interface ParseConfigOptions {
  /** The stack reads keys only from Secrets Manager, so every key needs a `secretId`. */
  requireSecretId?: boolean;
  /** Named in the error, e.g. the file path or `cdk.json context keyHealth`. */
  source?: string;
}

/** The schedule when the config names none. */
export const DEFAULT_SCHEDULE = 'rate(5 minutes)';
/** The request timeout of a key when neither it nor `defaults` sets one. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** How many keys are checked at once when the config does not say. */
export const DEFAULT_CONCURRENCY = 100;
/** The rotation policy of a key when neither it nor `defaults` sets one. */
export const DEFAULT_ROTATION: RotationPolicy = { maxAgeDays: 90, warnDays: 14 };
const DEFAULT_EXPECT: Expect = { futures: true, transfer: false };
const DEFAULT_ALERTS: AlertsConfig = {
  emails: [],
  phones: [],
  smsMinSeverity: 'critical',
  repeatAfterHours: 24,
  unknownAfterRuns: 3,
};

/** What every key inherits from `defaults`. */
interface KeyDefaults {
  rotation: RotationPolicy;
  timeoutMs: number;
  expect: Expect;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// Same meaning as ^[^\s@]+@[^\s@]+\.[^\s@]+$, but linear: that form backtracks quadratically on a long run of dots.
const EMAIL = /^[^\s@]+@[^\s@](?=[^\s@]*\.[^\s@])[^\s@]*$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// EventBridge: `rate(1 minute)` but `rate(5 minutes)` (the unit agrees in number with the value), and
// `cron(...)` has six fields of which day-of-month or day-of-week is `?` (eb-scheduled-rule-pattern).
const SCHEDULE =
  /^(rate\(\s*(1\s+(minute|hour|day)|([2-9]|[1-9][0-9]+)\s+(minutes|hours|days))\s*\)|cron\(\s*\S+\s+\S+\s+(\?\s+\S+\s+\S+|\S+\s+\S+\s+\?)\s+\S+\s*\))$/;
const ANY_RATE = /^rate\(\s*[1-9][0-9]*\s+(minute|hour|day)s?\s*\)$/;
const ANY_CRON = /^cron\(\s*(\S+\s+){5}\S+\s*\)$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const rotation = (description: string, inherited?: RotationPolicy) =>
  object(
    description,
    {
      maxAgeDays: integer(1, 3650, 'ROTATION_OVERDUE once the key is older than this many days.', inherited?.maxAgeDays),
      warnDays: integer(0, 3650, 'ROTATION_DUE within this many days of maxAgeDays; less than maxAgeDays.', inherited?.warnDays),
    },
    { default: inherited, refine: checkRotation },
  );

const expectation = (description: string, inherited?: Expect) =>
  object(
    description,
    {
      futures: boolean('The futures read must work (PERMISSION_MISSING otherwise).', inherited?.futures),
      trade: boolean('true: the key must trade; false: it must not; unset: no opinion.', inherited?.trade),
      transfer: boolean('false: a key that can move funds out is PERMISSION_EXCESSIVE.', inherited?.transfer),
      ipRestricted: boolean('true: IP_UNRESTRICTED when the exchange says the key has no IP allow-list.', inherited?.ipRestricted),
    },
    { default: inherited },
  );

const timeoutMs = (description: string, inherited?: number) => integer(100, 60000, description, inherited);

const DEFAULTS = object(
  'Settings every key inherits unless it sets its own.',
  {
    rotation: rotation('Rotation policy of every key.', DEFAULT_ROTATION),
    timeoutMs: timeoutMs('Timeout of each request attempt, in milliseconds.', DEFAULT_TIMEOUT_MS),
    expect: expectation('What every key is expected to be allowed to do.', DEFAULT_EXPECT),
  },
  { default: { rotation: DEFAULT_ROTATION, timeoutMs: DEFAULT_TIMEOUT_MS, expect: DEFAULT_EXPECT } },
);

const ALERTS = object(
  'Where alerts go (SNS) and when.',
  {
    emails: list(
      'E-mail addresses subscribed to the alerts.',
      text('An e-mail address.', { nonEmpty: false, pattern: EMAIL, what: 'an e-mail address' }),
      {
        default: DEFAULT_ALERTS.emails,
      },
    ),
    phones: list(
      'Phone numbers subscribed to SMS alerts.',
      text('A phone number.', { nonEmpty: false, pattern: E164, what: 'a phone number in E.164 form, e.g. "+15555550100"' }),
      { default: DEFAULT_ALERTS.phones },
    ),
    smsMinSeverity: text('SMS only for this severity and worse (warning < unknown < critical).', {
      enum: SEVERITIES,
      default: DEFAULT_ALERTS.smsMinSeverity,
    }),
    repeatAfterHours: {
      type: 'number',
      minimum: 0.25,
      maximum: 24 * 365,
      default: DEFAULT_ALERTS.repeatAfterHours,
      description: 'Remind every this many hours while a key stays broken.',
    },
    unknownAfterRuns: integer(
      1,
      1000,
      'Alert on "unknown" (exchange down, throttled) only after this many runs in a row.',
      DEFAULT_ALERTS.unknownAfterRuns,
    ),
  },
  { default: DEFAULT_ALERTS },
);

/** The whole document; keys inherit `inherited` (the walked `defaults`), and a key name may appear once. */
function configFields(inherited?: KeyDefaults, requireSecretId = false): ObjectField {
  const names = new Set<string>();
  return object(
    'A key-health config, the same for the CLI (--config FILE), the Lambda and cdk synth. key-health also checks what a schema ' +
      'cannot say: unique key names, warnDays below maxAgeDays, the baseUrl rules and which exchanges have a sandbox.',
    {
      schedule: text('EventBridge schedule of the Lambda: "rate(N minutes|hours|days)" or "cron(...)" with six fields.', {
        default: DEFAULT_SCHEDULE,
        pattern: SCHEDULE,
        what: '"rate(1 minute)", "rate(N minutes|hours|days)" or "cron(...)" with six fields and "?" as day-of-month or day-of-week',
        explain: (schedule) => `${scheduleProblem(schedule)}, got ${quote(schedule)}`,
      }),
      alerts: ALERTS,
      defaults: DEFAULTS,
      concurrency: integer(1, 1000, 'How many keys are checked at the same time.', DEFAULT_CONCURRENCY),
      keys: list('The keys to check.', keyFields(names, inherited, requireSecretId), {
        minItems: 1,
        required: 'is required (a list of keys to check)',
        messages: { type: 'must be a list', minItems: 'must name at least one key' },
      }),
      $schema: text('The JSON Schema of this document, for editors; key-health ignores it.', { nonEmpty: false }),
    },
  );
}

function keyFields(names: Set<string>, inherited: KeyDefaults | undefined, requireSecretId: boolean): Field {
  const sandboxes = EXCHANGE_IDS.filter(hasSandbox).join(', ');
  return object(
    'One key to check.',
    {
      name: text('Unique name of the key in reports and alerts.', {
        required: true,
        pattern: KEY_NAME,
        what: '1-64 letters, digits, ".", "_" or "-" and start with a letter or digit',
      }),
      exchange: text('The exchange the key belongs to.', {
        nonEmpty: false,
        required: `is required, one of ${EXCHANGE_IDS.join(', ')}`,
        enum: EXCHANGE_IDS,
        explain: unknownExchange,
      }),
      secretId: text(
        'Secrets Manager name or ARN of the secret holding the key (required for the stack).',
        requireSecretId ? { required: 'is required (the stack reads every key from Secrets Manager)' } : {},
      ),
      credentials: object(
        'CLI only: where the JSON secret is read instead of Secrets Manager.',
        {
          file: text('Path to a file holding the JSON secret (relative to the config file).'),
          env: text('Name of an environment variable holding the JSON secret.', {
            pattern: ENV_NAME,
            what: 'the name of an environment variable (letters, digits and "_", not starting with a digit)',
            conceal: true,
          }),
        },
        {
          what: '{"file": …} or {"env": …}',
          conceal: true,
          exactlyOne: {
            fields: ['file', 'env'],
            none: 'must have "file" (path to a JSON secret) or "env" (variable holding the JSON secret)',
            both: 'give either "file" or "env", not both',
          },
        },
      ),
      expect: expectation('What this key is expected to be allowed to do; fields left out come from defaults.expect.', inherited?.expect),
      rotation: rotation('Rotation policy of this key; fields left out come from defaults.rotation.', inherited?.rotation),
      timeoutMs: timeoutMs('Timeout of each request attempt, in milliseconds (default: defaults.timeoutMs).', inherited?.timeoutMs),
      baseUrl: text(
        'Replaces the origin (scheme, host, port), e.g. a simulator on http://127.0.0.1:PORT; paths and what is signed stay as on the real API. Plain http only to loopback.',
        { nonEmpty: false, parse: parseBaseUrl },
      ),
      sandbox: boolean(`Use the exchange's sandbox host (${sandboxes} have one); not together with baseUrl.`, false),
    },
    {
      exactlyOne: {
        fields: ['secretId', 'credentials'],
        none: 'needs "secretId" (Secrets Manager) or "credentials" ({"file": …} or {"env": …}) for local runs',
        both: 'has both "secretId" and "credentials"; keep one',
      },
      refine: (value, check) => {
        const key = value as Partial<KeyConfig>;
        if (key.sandbox && key.baseUrl !== undefined) check.fail('', 'has both "sandbox" and "baseUrl"; baseUrl already picks the host');
        if (key.sandbox && key.exchange !== undefined && !hasSandbox(key.exchange))
          check.fail('sandbox', `${key.exchange} has no sandbox that checks keys; remove "sandbox" (or use "baseUrl")`);
        if (key.name === undefined || !check.clean()) return;
        if (names.has(key.name)) check.fail('name', `duplicate key name ${quote(key.name)}`);
        names.add(key.name);
      },
    },
  );
}

/** Validates a config document, resolving defaults; throws {@link ConfigError} naming every problem by JSON path. */
export function parseConfig(input: unknown, options: ParseConfigOptions = {}): Config {
  // Keys inherit `defaults`, so it is resolved first; its problems are reported by the full walk below.
  const rawDefaults = typeof input === 'object' && input !== null && 'defaults' in input ? input.defaults : undefined;
  const inherited = walk(DEFAULTS, rawDefaults, 'defaults', []) as KeyDefaults;
  const problems: string[] = [];
  const config = walk(configFields(inherited, options.requireSecretId), input, '', problems) as Config | undefined;
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems, options.source);
  return { schedule: config.schedule, alerts: config.alerts, concurrency: config.concurrency, keys: config.keys };
}

/** The JSON Schema of the config, generated from the definition {@link parseConfig} validates with. */
export function configJsonSchema(): Json {
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', title: 'key-health config', ...toJsonSchema(configFields()) };
  return JSON.parse(JSON.stringify(schema)) as Json;
}

/**
 * The keys named in `only` (all when it is absent or empty), in config order; throws one error
 * naming every unknown name and the configured ones.
 */
export function selectKeys(keys: readonly KeyConfig[], only: readonly string[] | undefined): KeyConfig[] {
  if (!only || only.length === 0) return [...keys];
  const known = new Set(keys.map((k) => k.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new ConfigError([`unknown key name(s) ${unknown.map(quote).join(', ')}; configured: ${[...known].join(', ')}`], 'key selection');
  return keys.filter((k) => only.includes(k.name));
}

function checkRotation(value: Json, check: Refinement): void {
  const { maxAgeDays, warnDays } = value as Partial<RotationPolicy>;
  if (maxAgeDays !== undefined && warnDays !== undefined && warnDays >= maxAgeDays)
    check.fail('warnDays', `must be less than maxAgeDays (${maxAgeDays}), got ${warnDays}`);
}

function unknownExchange(raw: string): string {
  if (PLANNED_EXCHANGE_IDS.includes(raw))
    return `exchange ${quote(raw)} is planned but not supported yet; supported: ${EXCHANGE_IDS.join(', ')}`;
  // Suggestions come from the supported ids only: following one must lead to a config that works.
  const planned = suggest(raw, PLANNED_EXCHANGE_IDS).map(quote);
  const plannedNote =
    planned.length > 0 ? ` (${planned.join(', ')} ${planned.length > 1 ? 'are' : 'is'} planned but not supported yet)` : '';
  return `unknown exchange ${quote(raw)}${hintFor(raw, EXCHANGE_IDS, 'supported')}${plannedNote}`;
}

/** Why `schedule`, which does not match SCHEDULE, is refused. */
function scheduleProblem(schedule: string): string {
  const rate = ANY_RATE.exec(schedule);
  if (rate) return `must say "rate(1 ${rate[1]})" for one and "rate(N ${rate[1]}s)" for more`;
  if (ANY_CRON.test(schedule)) return 'must have "?" as day-of-month or day-of-week in cron(...)';
  return 'must be "rate(N minutes|hours|days)" or "cron(...)" with six fields';
}

function parseBaseUrl(raw: string, fail: (message: string) => undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(`is not a URL: ${quote(raw)}`);
  }
  // A user name, password or query may hold a credential, so those are never quoted back.
  if (url.username || url.password) return fail('must not contain a user name or password');
  if (url.search || url.hash) return fail('must be an origin only (scheme, host, port), without a query or fragment');
  if (url.pathname !== '/')
    return fail(`must be an origin only (scheme, host, port), e.g. "https://api.example.com", got path ${quote(url.pathname)}`);
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname))
    return fail('must use https (plain http is only allowed for a loopback simulator)');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail(`must use https, got ${quote(url.protocol)}`);
  return url.origin;
}
