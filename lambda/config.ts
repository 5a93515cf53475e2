import { ConfigError } from './errors';
import { EXCHANGE_IDS, type ExchangeId, hasSandbox, isExchangeId, PLANNED_EXCHANGE_IDS } from './exchanges/registry';
import { SEVERITIES, type Severity } from './findings';

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

/** Alerting settings (DESIGN.md §6). */
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

export const DEFAULT_SCHEDULE = 'rate(5 minutes)';
export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_CONCURRENCY = 100;
export const DEFAULT_ROTATION: RotationPolicy = { maxAgeDays: 90, warnDays: 14 };
const DEFAULT_ALERTS: AlertsConfig = {
  emails: [],
  phones: [],
  smsMinSeverity: 'critical',
  repeatAfterHours: 24,
  unknownAfterRuns: 3,
};

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;
// EventBridge: `rate(1 minute)` but `rate(5 minutes)` (the unit agrees in number with the value), and
// `cron(...)` has six fields of which day-of-month or day-of-week is `?` (eb-scheduled-rule-pattern).
const RATE = /^rate\(\s*([1-9][0-9]*)\s+(minute|hour|day)(s?)\s*\)$/;
const CRON = /^cron\(\s*\S+\s+\S+\s+(\S+)\s+\S+\s+(\S+)\s+\S+\s*\)$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

type Json = Record<string, unknown>;

/** Validates a config document, resolving defaults; throws {@link ConfigError} naming every problem by JSON path. */
export function parseConfig(input: unknown, options: ParseConfigOptions = {}): Config {
  const problems: string[] = [];
  const problem: Problem = Object.assign(
    (path: string, message: string) => {
      problems.push(`${path}: ${message}`);
      problem.calls += 1;
    },
    { calls: 0 },
  );
  const root = asObject(input, '(root)', problem);
  if (!root) throw new ConfigError(problems, options.source);
  checkFields(root, '', ['schedule', 'alerts', 'defaults', 'concurrency', 'keys'], problem);

  const schedule = readString(root, 'schedule', 'schedule', problem) ?? DEFAULT_SCHEDULE;
  const scheduleProblem = checkSchedule(schedule);
  if (scheduleProblem) problem('schedule', `${scheduleProblem}, got ${quote(schedule)}`);

  const alerts = parseAlerts(root.alerts, problem);
  const defaults = root.defaults === undefined ? {} : (asObject(root.defaults, 'defaults', problem) ?? {});
  checkFields(defaults, 'defaults', ['rotation', 'timeoutMs', 'expect'], problem);
  const defaultRotation = parseRotation(defaults.rotation, 'defaults.rotation', DEFAULT_ROTATION, problem);
  const defaultTimeout = readInteger(defaults, 'timeoutMs', 'defaults.timeoutMs', problem, 100, 60000) ?? DEFAULT_TIMEOUT_MS;
  const defaultExpect = parseExpect(defaults.expect, 'defaults.expect', { futures: true, transfer: false }, problem);
  const concurrency = readInteger(root, 'concurrency', 'concurrency', problem, 1, 1000) ?? DEFAULT_CONCURRENCY;

  const keys: KeyConfig[] = [];
  if (!Array.isArray(root.keys)) problem('keys', root.keys === undefined ? 'is required (a list of keys to check)' : 'must be a list');
  else if (root.keys.length === 0) problem('keys', 'must name at least one key');
  else {
    const seen = new Set<string>();
    root.keys.forEach((raw, i) => {
      const key = parseKey(raw, `keys[${i}]`, { defaultRotation, defaultTimeout, defaultExpect, options }, problem);
      if (!key) return;
      if (seen.has(key.name)) problem(`keys[${i}].name`, `duplicate key name ${quote(key.name)}`);
      seen.add(key.name);
      keys.push(key);
    });
  }
  if (problems.length > 0) throw new ConfigError(problems, options.source);
  return { schedule, alerts, concurrency, keys };
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

interface KeyDefaults {
  defaultRotation: RotationPolicy;
  defaultTimeout: number;
  defaultExpect: Expect;
  options: ParseConfigOptions;
}

function parseKey(raw: unknown, path: string, d: KeyDefaults, problem: Problem): KeyConfig | undefined {
  const obj = asObject(raw, path, problem);
  if (!obj) return undefined;
  checkFields(obj, path, ['name', 'exchange', 'secretId', 'credentials', 'expect', 'rotation', 'timeoutMs', 'baseUrl', 'sandbox'], problem);
  const before = problem.calls;
  const name = readString(obj, 'name', `${path}.name`, problem, true);
  if (name !== undefined && !KEY_NAME.test(name))
    problem(`${path}.name`, `must be 1-64 letters, digits, ".", "_" or "-" and start with a letter or digit, got ${quote(name)}`);
  const exchange = parseExchange(obj.exchange, `${path}.exchange`, problem);
  const secretId = readString(obj, 'secretId', `${path}.secretId`, problem);
  const credentials = parseCredentials(obj.credentials, `${path}.credentials`, problem);
  if (d.options.requireSecretId && secretId === undefined)
    problem(`${path}.secretId`, 'is required (the stack reads every key from Secrets Manager)');
  else if (secretId === undefined && credentials === undefined)
    problem(path, 'needs "secretId" (Secrets Manager) or "credentials" ({"file": …} or {"env": …}) for local runs');
  else if (secretId !== undefined && credentials !== undefined) problem(path, 'has both "secretId" and "credentials"; keep one');
  const expect = parseExpect(obj.expect, `${path}.expect`, d.defaultExpect, problem);
  const rotation = parseRotation(obj.rotation, `${path}.rotation`, d.defaultRotation, problem);
  const timeoutMs = readInteger(obj, 'timeoutMs', `${path}.timeoutMs`, problem, 100, 60000) ?? d.defaultTimeout;
  const baseUrl = parseBaseUrl(obj.baseUrl, `${path}.baseUrl`, problem);
  const sandbox = readBoolean(obj, 'sandbox', `${path}.sandbox`, problem) ?? false;
  if (sandbox && baseUrl !== undefined) problem(path, 'has both "sandbox" and "baseUrl"; baseUrl already picks the host');
  if (sandbox && exchange !== undefined && !hasSandbox(exchange))
    problem(`${path}.sandbox`, `${exchange} has no sandbox that checks keys; remove "sandbox" (or use "baseUrl")`);
  if (problem.calls > before || name === undefined || exchange === undefined) return undefined;
  return {
    name,
    exchange,
    ...(secretId !== undefined && { secretId }),
    ...(credentials !== undefined && { credentials }),
    expect,
    rotation,
    timeoutMs,
    ...(baseUrl !== undefined && { baseUrl }),
    sandbox,
  };
}

function parseExchange(raw: unknown, path: string, problem: Problem): ExchangeId | undefined {
  if (raw === undefined) return void problem(path, `is required, one of ${EXCHANGE_IDS.join(', ')}`);
  if (typeof raw !== 'string') return void problem(path, `must be a string, got ${typeName(raw)}`);
  if (isExchangeId(raw)) return raw;
  if (PLANNED_EXCHANGE_IDS.includes(raw))
    return void problem(path, `exchange ${quote(raw)} is planned but not supported yet; supported: ${EXCHANGE_IDS.join(', ')}`);
  // Suggestions come from the supported ids only: following one must lead to a config that works.
  const planned = suggest(raw, PLANNED_EXCHANGE_IDS).map(quote);
  const plannedNote =
    planned.length > 0 ? ` (${planned.join(', ')} ${planned.length > 1 ? 'are' : 'is'} planned but not supported yet)` : '';
  return void problem(path, `unknown exchange ${quote(raw)}${hintFor(raw, EXCHANGE_IDS, 'supported')}${plannedNote}`);
}

function parseCredentials(raw: unknown, path: string, problem: Problem): LocalCredentials | undefined {
  if (raw === undefined) return undefined;
  // A string here is often the secret itself pasted in, so its value is never quoted back.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return void problem(path, `must be {"file": …} or {"env": …}, got ${typeof raw === 'string' ? 'a string (not shown)' : typeName(raw)}`);
  const obj = raw as Json;
  checkFields(obj, path, ['file', 'env'], problem);
  const file = readString(obj, 'file', `${path}.file`, problem);
  const env = readString(obj, 'env', `${path}.env`, problem);
  if (file !== undefined && env !== undefined) return void problem(path, 'give either "file" or "env", not both');
  if (file !== undefined) return { file };
  if (env !== undefined) return { env };
  return void problem(path, 'must have "file" (path to a JSON secret) or "env" (variable holding the JSON secret)');
}

function parseExpect(raw: unknown, path: string, base: Expect, problem: Problem): Expect {
  if (raw === undefined) return { ...base };
  const obj = asObject(raw, path, problem);
  if (!obj) return { ...base };
  checkFields(obj, path, ['futures', 'trade', 'transfer', 'ipRestricted'], problem);
  const expect: Expect = {
    futures: readBoolean(obj, 'futures', `${path}.futures`, problem) ?? base.futures,
    transfer: readBoolean(obj, 'transfer', `${path}.transfer`, problem) ?? base.transfer,
  };
  const trade = readBoolean(obj, 'trade', `${path}.trade`, problem) ?? base.trade;
  const ipRestricted = readBoolean(obj, 'ipRestricted', `${path}.ipRestricted`, problem) ?? base.ipRestricted;
  if (trade !== undefined) expect.trade = trade;
  if (ipRestricted !== undefined) expect.ipRestricted = ipRestricted;
  return expect;
}

function parseRotation(raw: unknown, path: string, base: RotationPolicy, problem: Problem): RotationPolicy {
  if (raw === undefined) return { ...base };
  const obj = asObject(raw, path, problem);
  if (!obj) return { ...base };
  checkFields(obj, path, ['maxAgeDays', 'warnDays'], problem);
  const maxAgeDays = readInteger(obj, 'maxAgeDays', `${path}.maxAgeDays`, problem, 1, 3650) ?? base.maxAgeDays;
  const warnDays = readInteger(obj, 'warnDays', `${path}.warnDays`, problem, 0, 3650) ?? base.warnDays;
  if (warnDays >= maxAgeDays) problem(`${path}.warnDays`, `must be less than maxAgeDays (${maxAgeDays}), got ${warnDays}`);
  return { maxAgeDays, warnDays };
}

function parseAlerts(raw: unknown, problem: Problem): AlertsConfig {
  if (raw === undefined) return { ...DEFAULT_ALERTS };
  const obj = asObject(raw, 'alerts', problem);
  if (!obj) return { ...DEFAULT_ALERTS };
  checkFields(obj, 'alerts', ['emails', 'phones', 'smsMinSeverity', 'repeatAfterHours', 'unknownAfterRuns'], problem);
  const emails = readStringList(obj, 'emails', 'alerts.emails', EMAIL, 'an e-mail address', problem);
  const phones = readStringList(obj, 'phones', 'alerts.phones', E164, 'a phone number in E.164 form, e.g. "+15555550100"', problem);
  let smsMinSeverity = DEFAULT_ALERTS.smsMinSeverity;
  const severity = readString(obj, 'smsMinSeverity', 'alerts.smsMinSeverity', problem);
  if (severity !== undefined) {
    if ((SEVERITIES as readonly string[]).includes(severity)) smsMinSeverity = severity as Severity;
    else problem('alerts.smsMinSeverity', `must be one of ${SEVERITIES.join(', ')}, got ${quote(severity)}`);
  }
  return {
    emails,
    phones,
    smsMinSeverity,
    repeatAfterHours:
      readNumber(obj, 'repeatAfterHours', 'alerts.repeatAfterHours', problem, 0.25, 24 * 365) ?? DEFAULT_ALERTS.repeatAfterHours,
    unknownAfterRuns: readInteger(obj, 'unknownAfterRuns', 'alerts.unknownAfterRuns', problem, 1, 1000) ?? DEFAULT_ALERTS.unknownAfterRuns,
  };
}

function parseBaseUrl(raw: unknown, path: string, problem: Problem): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') return void problem(path, `must be a string, got ${typeName(raw)}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return void problem(path, `is not a URL: ${quote(raw)}`);
  }
  // A user name, password or query may hold a credential, so those are never quoted back.
  if (url.username || url.password) return void problem(path, 'must not contain a user name or password');
  if (url.search || url.hash) return void problem(path, 'must be an origin only (scheme, host, port), without a query or fragment');
  if (url.pathname !== '/')
    return void problem(
      path,
      `must be an origin only (scheme, host, port), e.g. "https://api.example.com", got path ${quote(url.pathname)}`,
    );
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname))
    return void problem(path, 'must use https (plain http is only allowed for a loopback simulator)');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return void problem(path, `must use https, got ${quote(url.protocol)}`);
  return url.origin;
}

/** Records one problem at a JSON path; `calls` counts them so a reader can tell whether its part was clean. */
type Problem = { (path: string, message: string): void; calls: number };

function asObject(raw: unknown, path: string, problem: Problem): Json | undefined {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) return raw as Json;
  problem(path, `must be an object, got ${typeName(raw)}`);
  return undefined;
}

function checkFields(obj: Json, path: string, allowed: readonly string[], problem: Problem): void {
  for (const field of Object.keys(obj)) {
    if (allowed.includes(field)) continue;
    problem(path ? `${path}.${field}` : field, `unknown field${hintFor(field, allowed, 'allowed')}`);
  }
}

function readString(obj: Json, field: string, path: string, problem: Problem, required = false): string | undefined {
  const value = obj[field];
  if (value === undefined) return required ? void problem(path, 'is required') : undefined;
  if (typeof value !== 'string' || value.trim() === '') return void problem(path, `must be a non-empty string, got ${typeName(value)}`);
  return value;
}

function readBoolean(obj: Json, field: string, path: string, problem: Problem): boolean | undefined {
  const value = obj[field];
  if (value === undefined || typeof value === 'boolean') return value;
  return void problem(path, `must be true or false, got ${typeName(value)}`);
}

function readNumber(obj: Json, field: string, path: string, problem: Problem, min: number, max: number): number | undefined {
  const value = obj[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) return void problem(path, `must be a number, got ${typeName(value)}`);
  if (value < min || value > max) return void problem(path, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readInteger(obj: Json, field: string, path: string, problem: Problem, min: number, max: number): number | undefined {
  const value = readNumber(obj, field, path, problem, min, max);
  if (value !== undefined && !Number.isInteger(value)) return void problem(path, `must be a whole number, got ${value}`);
  return value;
}

function readStringList(obj: Json, field: string, path: string, pattern: RegExp, what: string, problem: Problem): string[] {
  const value = obj[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problem(path, `must be a list, got ${typeName(value)}`);
    return [];
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string' && pattern.test(item)) out.push(item);
    else problem(`${path}[${i}]`, `must be ${what}, got ${typeof item === 'string' ? quote(item) : typeName(item)}`);
  });
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : `the string ${quote(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** `; did you mean "x"?` naming the closest candidates, or `; <label>: <all candidates>` when none is close. */
function hintFor(input: string, candidates: readonly string[], label: string): string {
  const close = suggest(input, candidates).map(quote);
  if (close.length === 0) return `; ${label}: ${candidates.join(', ')}`;
  const last = close.pop();
  return `; did you mean ${close.length > 0 ? `${close.join(', ')} or ${last}` : last}?`;
}

/**
 * Returns the candidates closest to `input` within a small edit distance (all of them on a tie),
 * comparing with the whole candidate and with its part before the first "-", so "coinbse" finds
 * every "coinbase-…" id.
 */
export function suggest(input: string, candidates: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(input.length / 3));
  const lower = input.toLowerCase();
  let best: string[] = [];
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const whole = candidate.toLowerCase();
    const distance = Math.min(editDistance(lower, whole), editDistance(lower, whole.split('-')[0] ?? whole));
    if (distance < bestDistance) [best, bestDistance] = [[candidate], distance];
    else if (distance === bestDistance) best.push(candidate);
  }
  return best;
}

/** Why `schedule` is not an EventBridge rate or cron expression, or `undefined` when it is one. */
function checkSchedule(schedule: string): string | undefined {
  const rate = RATE.exec(schedule);
  if (rate) {
    const plural = rate[1] !== '1';
    if (plural === (rate[3] === 's')) return undefined;
    return `must say "rate(1 ${rate[2]})" for one and "rate(N ${rate[2]}s)" for more`;
  }
  const cron = CRON.exec(schedule);
  if (cron) return cron[1] === '?' || cron[2] === '?' ? undefined : 'must have "?" as day-of-month or day-of-week in cron(...)';
  return 'must be "rate(N minutes|hours|days)" or "cron(...)" with six fields';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
