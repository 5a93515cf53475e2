#!/usr/bin/env -S npx tsx
import { App } from 'aws-cdk-lib';
import { parseConfig } from '../lambda/config';
import { ConfigError } from '../lambda/errors';
import { KeyHealthStack } from '../lib/key-health-stack';

/** The context key holding the config document (DESIGN.md §4). */
export const CONFIG_CONTEXT_KEY = 'keyHealth';
/** The context key naming customer managed KMS keys of the secrets, comma-separated (or a list in cdk.json). */
export const KMS_KEYS_CONTEXT_KEY = 'keyHealthKmsKeyArn';
/** The context key that turns on the static egress address (`-c keyHealthStaticEgress=true`). */
export const STATIC_EGRESS_CONTEXT_KEY = 'keyHealthStaticEgress';
/** The stack's name in `cdk deploy`. */
export const STACK_NAME = 'KeyHealth';

const CONFIG_SOURCE = 'cdk.json context keyHealth';
const OVERRIDE_PREFIX = `${CONFIG_CONTEXT_KEY}.`;

/**
 * Reads the config from context: `keyHealth` is an object in cdk.json or JSON text from
 * `-c keyHealth='{…}'`; then every `-c keyHealth.<path>=<value>` replaces one field (value parsed as
 * JSON when it is JSON, else taken as text: `-c keyHealth.schedule='rate(10 minutes)'`,
 * `-c keyHealth.alerts.emails='["ops@example.com"]'`, `-c keyHealth.keys.0.secretId=prod/okx`).
 */
export function readConfigContext(app: App): unknown {
  const context = app.node.getAllContext() as Record<string, unknown>;
  const base = context[CONFIG_CONTEXT_KEY];
  if (base === undefined)
    throw new ConfigError(
      [`(root): no config; set "${CONFIG_CONTEXT_KEY}" in cdk.json context or pass -c ${CONFIG_CONTEXT_KEY}='{…}'`],
      CONFIG_SOURCE,
    );
  let doc: unknown = typeof base === 'string' ? parseJsonContext(base) : structuredClone(base);
  for (const key of Object.keys(context)
    .filter((k) => k.startsWith(OVERRIDE_PREFIX))
    .sort()) {
    const raw = context[key];
    doc = withField(doc, key.slice(OVERRIDE_PREFIX.length).split('.'), typeof raw === 'string' ? parseLoose(raw) : raw, key);
  }
  return doc;
}

/** The KMS key ARNs from `keyHealthKmsKeyArn`, or none. */
export function readKmsKeyArns(app: App): string[] {
  const raw: unknown = app.node.tryGetContext(KMS_KEYS_CONTEXT_KEY);
  if (raw === undefined || raw === '') return [];
  const list = typeof raw === 'string' ? raw.split(',') : raw;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string'))
    throw new ConfigError([`${KMS_KEYS_CONTEXT_KEY}: must be a KMS key ARN, several separated by commas, or a list of them`], 'context');
  return list.map((arn) => arn.trim()).filter((arn) => arn !== '');
}

/** Whether `keyHealthStaticEgress` asks for static egress: `true` or `false` (text from `-c`, or a boolean in cdk.json); unset is false. */
export function readStaticEgress(app: App): boolean {
  const raw: unknown = app.node.tryGetContext(STATIC_EGRESS_CONTEXT_KEY);
  if (raw === undefined || raw === false || raw === 'false') return false;
  if (raw === true || raw === 'true') return true;
  throw new ConfigError(
    [`${STATIC_EGRESS_CONTEXT_KEY}: must be true or false (-c ${STATIC_EGRESS_CONTEXT_KEY}=true), got ${JSON.stringify(raw)}`],
    'context',
  );
}

/** Validates the context config like the CLI does and adds the stack; throws {@link ConfigError} naming every problem by JSON path. */
export function buildKeyHealthApp(app: App): KeyHealthStack {
  const config = parseConfig(readConfigContext(app), { requireSecretId: true, source: CONFIG_SOURCE });
  return new KeyHealthStack(app, STACK_NAME, {
    description: 'key-health: scheduled checks of exchange API keys with SNS alerts',
    config,
    secretsKeyArns: readKmsKeyArns(app),
    staticEgress: readStaticEgress(app),
  });
}

function parseJsonContext(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(
      [`(root): -c ${CONFIG_CONTEXT_KEY}=… is not valid JSON (quote it for the shell: -c ${CONFIG_CONTEXT_KEY}='{…}')`],
      CONFIG_SOURCE,
    );
  }
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function withField(doc: unknown, path: readonly string[], value: unknown, contextKey: string): unknown {
  const [head, ...rest] = path;
  if (head === undefined || head === '') throw new ConfigError([`-c ${contextKey}: names no field`], CONFIG_SOURCE);
  const container = doc ?? {};
  if (typeof container !== 'object')
    throw new ConfigError([`-c ${contextKey}: cannot set "${head}" inside a ${typeof container}`], CONFIG_SOURCE);
  const next = (current: unknown) => (rest.length === 0 ? value : withField(current, rest, value, contextKey));
  if (Array.isArray(container)) {
    const index = Number(head);
    if (!Number.isInteger(index) || index < 0 || index > container.length)
      throw new ConfigError([`-c ${contextKey}: "${head}" is not an index of a list of ${container.length}`], CONFIG_SOURCE);
    const copy = [...container];
    copy[index] = next(copy[index]);
    return copy;
  }
  const record = container as Record<string, unknown>;
  return { ...record, [head]: next(record[head]) };
}

if (require.main === module) {
  const app = new App();
  try {
    buildKeyHealthApp(app);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  app.synth();
}
