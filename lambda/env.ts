import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type Config, parseConfig } from './config';
import { ConfigError, EnvError, messageOf } from './errors';
import { locateJsonError } from './json-error';

/** What the Lambda reads from its environment (docs/contracts.md, "Lambda environment"). */
export interface LambdaEnv {
  readonly config: Config;
  readonly alertTopicArn: string;
  /** The DynamoDB table of alert state per key. */
  readonly stateTableName: string;
  /** The region the function runs in (AWS_REGION, set by Lambda), for the commands and links in alerts. */
  readonly region?: string;
  /** The CloudWatch dashboard alerts link to (DASHBOARD_NAME, set by the stack). */
  readonly dashboardName?: string;
}

/** Environment variables by name, as `process.env` holds them. */
export type EnvVars = Readonly<Record<string, string | undefined>>;

// Standard topics only: a FIFO topic would need a message group id on every publish.
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2,}(-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Options for {@link readLambdaEnv}. */
export interface ReadLambdaEnvOptions {
  /**
   * The directory KEY_HEALTH_CONFIG_FILE is relative to.
   * @default the handler's directory (in the deployed bundle, LAMBDA_TASK_ROOT)
   */
  readonly configDir?: string;
}

/**
 * Reads and validates every variable, then throws one {@link EnvError} naming each missing or malformed
 * one. The config is either KEY_HEALTH_CONFIG (the JSON) or KEY_HEALTH_CONFIG_FILE (a file in the
 * function's bundle, for configs too large for Lambda's 4 KB environment); exactly one must be set.
 */
export function readLambdaEnv(env: EnvVars, options: ReadLambdaEnvOptions = {}): LambdaEnv {
  const problems: string[] = [];
  const config = readConfig(env, options.configDir ?? __dirname, problems);
  const alertTopicArn = readVar(env, 'ALERT_TOPIC_ARN', parseTopicArn, problems);
  const stateTableName = readVar(env, 'STATE_TABLE_NAME', parseTableName, problems);
  const region = readVar(env, 'AWS_REGION', parseRegion, problems, { optional: true });
  const dashboardName = readVar(env, 'DASHBOARD_NAME', parseDashboardName, problems, { optional: true });
  if (problems.length > 0 || config === undefined || alertTopicArn === undefined || stateTableName === undefined)
    throw new EnvError(problems);
  return { config, alertTopicArn, stateTableName, ...(region && { region }), ...(dashboardName && { dashboardName }) };
}

/**
 * Reads one variable through `parse`, recording `NAME: is not set` or `NAME: <why it is malformed>`
 * in `problems`; an empty value counts as not set.
 */
export function readVar<T>(
  env: EnvVars,
  name: string,
  parse: (raw: string) => T,
  problems: string[],
  options: { optional?: boolean } = {},
): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (!options.optional) problems.push(`${name}: is not set`);
    return undefined;
  }
  try {
    return parse(raw);
  } catch (error) {
    if (error instanceof ConfigError) for (const problem of error.problems) problems.push(`${name}: ${problem}`);
    else problems.push(`${name}: ${messageOf(error)}`);
    return undefined;
  }
}

const isSet = (raw: string | undefined): boolean => raw !== undefined && raw.trim() !== '';

function readConfig(env: EnvVars, configDir: string, problems: string[]): Config | undefined {
  const inline = isSet(env.KEY_HEALTH_CONFIG);
  const file = isSet(env.KEY_HEALTH_CONFIG_FILE);
  if (inline && file) {
    problems.push(
      'KEY_HEALTH_CONFIG, KEY_HEALTH_CONFIG_FILE: both are set; set exactly one (the config as JSON, or the name of its file in the bundle)',
    );
    return undefined;
  }
  if (!inline && !file) {
    problems.push('KEY_HEALTH_CONFIG: is not set, nor is KEY_HEALTH_CONFIG_FILE; set exactly one of them');
    return undefined;
  }
  return inline
    ? readVar(env, 'KEY_HEALTH_CONFIG', (raw) => parseConfigJson(raw, 'KEY_HEALTH_CONFIG'), problems)
    : readVar(env, 'KEY_HEALTH_CONFIG_FILE', (raw) => readConfigFile(raw.trim(), configDir), problems);
}

function readConfigFile(name: string, configDir: string): Config {
  if (isAbsolute(name) || name.split(/[\\/]/).includes('..'))
    throw new Error(`must name a file inside the function's bundle, without ".." or a leading "/", got ${JSON.stringify(name)}`);
  let text: string;
  try {
    text = readFileSync(join(configDir, name), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${name} in ${configDir} (${code ?? messageOf(error)})`);
  }
  try {
    return parseConfigJson(text, `KEY_HEALTH_CONFIG_FILE ${name}`);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.problems.map((problem) => `${name}: ${problem}`));
    throw new Error(`${name}: ${messageOf(error)}`);
  }
}

function parseConfigJson(raw: string, source: string): Config {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    // The parser's message quotes the text around the error; only the position and reason are kept.
    throw new Error(`is not valid JSON (${locateJsonError(raw) ?? 'at an unknown position'})`);
  }
  return parseConfig(json, { requireSecretId: true, source });
}

function parseTopicArn(raw: string): string {
  const arn = raw.trim();
  if (arn.endsWith('.fifo')) throw new Error(`is a FIFO topic (${arn}); key-health publishes to a standard topic`);
  if (!TOPIC_ARN.test(arn))
    throw new Error(`must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:key-health-alerts, got ${JSON.stringify(raw)}`);
  return arn;
}

function parseRegion(raw: string): string {
  const region = raw.trim();
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) throw new Error(`must be an AWS region like us-east-1, got ${JSON.stringify(raw)}`);
  return region;
}

function parseDashboardName(raw: string): string {
  const name = raw.trim();
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) throw new Error(`must be a CloudWatch dashboard name, got ${JSON.stringify(raw)}`);
  return name;
}

function parseTableName(raw: string): string {
  const name = raw.trim();
  if (!TABLE_NAME.test(name))
    throw new Error(`must be a DynamoDB table name (3-255 letters, digits, "_", "-" or "."), got ${JSON.stringify(raw)}`);
  return name;
}
