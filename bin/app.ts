#!/usr/bin/env -S npx tsx
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Annotations, App } from 'aws-cdk-lib';
import { type Config, parseConfig } from '../lambda/config';
import { ConfigError, messageOf } from '../lambda/errors';
import { locateJsonError } from '../lambda/json-error';
import { KeyHealthStack } from '../lib/key-health-stack';

/** The context key naming the config file (`-c keyHealthConfigFile=my-keys.json`), the way to deploy a whole file. */
export const CONFIG_FILE_CONTEXT_KEY = 'keyHealthConfigFile';
/** The context key holding the config document itself (an object in cdk.json, or one line of JSON with `-c`). */
export const CONFIG_CONTEXT_KEY = 'keyHealth';
/** The context key naming customer managed KMS keys of the secrets, comma-separated (or a list in cdk.json). */
export const KMS_KEYS_CONTEXT_KEY = 'keyHealthKmsKeyArn';
/** The context key that turns on the static egress address (`-c keyHealthStaticEgress=true`). */
export const STATIC_EGRESS_CONTEXT_KEY = 'keyHealthStaticEgress';
/** The stack's name in `cdk deploy`. */
export const STACK_NAME = 'KeyHealth';

const CONTEXT_SOURCE = 'cdk.json context keyHealth';
const OVERRIDE_PREFIX = `${CONFIG_CONTEXT_KEY}.`;

/** Where the config came from, for messages. */
function configSource(app: App): string {
  const file = app.node.tryGetContext(CONFIG_FILE_CONTEXT_KEY);
  return typeof file === 'string' && file !== '' ? `config file ${file}` : CONTEXT_SOURCE;
}

/**
 * Reads the config: the file named by `-c keyHealthConfigFile=FILE` (relative to the folder `cdk`
 * runs in), else `keyHealth` as an object in cdk.json or one line of JSON from `-c keyHealth='{…}'`;
 * then every `-c keyHealth.<path>=<value>` replaces one field (value parsed as JSON when it is JSON,
 * else taken as text: `-c keyHealth.schedule='rate(10 minutes)'`, `-c keyHealth.keys.0.secretId=prod/okx`).
 */
export function readConfigContext(app: App): unknown {
  const context = app.node.getAllContext() as Record<string, unknown>;
  const file = context[CONFIG_FILE_CONTEXT_KEY];
  const base = context[CONFIG_CONTEXT_KEY];
  if (file !== undefined && base !== undefined)
    throw new ConfigError(
      [`(root): both -c ${CONFIG_FILE_CONTEXT_KEY} and "${CONFIG_CONTEXT_KEY}" are set; give the config one way`],
      CONTEXT_SOURCE,
    );
  if (file === undefined && base === undefined)
    throw new ConfigError(
      [
        `(root): no config; deploy your config file with -c ${CONFIG_FILE_CONTEXT_KEY}=my-keys.json (examples/my-keys.json is a start), or set "${CONFIG_CONTEXT_KEY}" in cdk.json context`,
      ],
      CONTEXT_SOURCE,
    );
  let doc: unknown = file !== undefined ? readConfigFile(file) : typeof base === 'string' ? parseJsonContext(base) : structuredClone(base);
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

/**
 * Validates the config like the CLI does and adds the stack; throws {@link ConfigError} naming every
 * problem by JSON path. Example contacts (example.com addresses, 555-01xx numbers) are never
 * subscribed: each one is left out with a warning that `cdk synth` and `cdk deploy` print.
 */
export function buildKeyHealthApp(app: App): KeyHealthStack {
  const parsed = parseConfig(readConfigContext(app), { requireSecretId: true, source: configSource(app) });
  const { config, dropped } = dropExampleContacts(parsed);
  const stack = new KeyHealthStack(app, STACK_NAME, {
    description: 'key-health: scheduled checks of exchange API keys with SNS alerts',
    config,
    secretsKeyArns: readKmsKeyArns(app),
    staticEgress: readStaticEgress(app),
  });
  for (const warning of dropped) Annotations.of(stack).addWarningV2('key-health:example-contact', warning);
  if (config.alerts.emails.length === 0 && config.alerts.phones.length === 0)
    Annotations.of(stack).addWarningV2(
      'key-health:no-recipients',
      'alerts.emails and alerts.phones are empty: alerts reach the SNS topic and nobody else. Add your address to the config.',
    );
  return stack;
}

// RFC 2606 / RFC 6761 names that never receive mail, and the North American numbers reserved for fiction (555-0100 to 555-0199).
const EXAMPLE_EMAIL = /@(?:[^@]+\.)?(?:example\.(?:com|net|org)|[^@.]+\.(?:example|invalid|test|localhost))$/i;
const EXAMPLE_PHONE = /^\+1\d{3}55501\d{2}$/;

/** The config without example addresses and numbers, and one warning for each left out. */
export function dropExampleContacts(config: Config): { config: Config; dropped: string[] } {
  const dropped: string[] = [];
  const keep = (list: readonly string[], field: string, example: RegExp, why: string) =>
    list.filter((value, i) => {
      if (!example.test(value)) return true;
      dropped.push(`alerts.${field}[${i}]: ${JSON.stringify(value)} ${why}; it is not subscribed. Put your own in the config.`);
      return false;
    });
  const emails = keep(config.alerts.emails, 'emails', EXAMPLE_EMAIL, 'is an example address that never receives mail');
  const phones = keep(config.alerts.phones, 'phones', EXAMPLE_PHONE, 'is a number reserved for examples');
  return { config: { ...config, alerts: { ...config.alerts, emails, phones } }, dropped };
}

function readConfigFile(file: unknown): unknown {
  const source = `config file ${String(file)}`;
  if (typeof file !== 'string' || file.trim() === '')
    throw new ConfigError(
      [`-c ${CONFIG_FILE_CONTEXT_KEY}: must name a JSON file, e.g. -c ${CONFIG_FILE_CONTEXT_KEY}=my-keys.json`],
      source,
    );
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? messageOf(error));
    throw new ConfigError([`(root): cannot read ${resolve(file)}: ${why}`], source);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError([`(root): not valid JSON at ${locateJsonError(text) ?? 'an unknown position'}`], source);
  }
}

function parseJsonContext(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The CDK CLI hands over only the first line of a multi-line -c value: a pretty-printed file arrives cut.
    const hint = text.trimStart().startsWith('{')
      ? ` The CDK CLI passes only the first line of a -c value, so a pretty-printed file arrives cut short: deploy a file with -c ${CONFIG_FILE_CONTEXT_KEY}=my-keys.json instead.`
      : '';
    throw new ConfigError(
      [`(root): -c ${CONFIG_CONTEXT_KEY}=… is not valid JSON (at ${locateJsonError(text) ?? 'an unknown position'}).${hint}`],
      CONTEXT_SOURCE,
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
  if (head === undefined || head === '') throw new ConfigError([`-c ${contextKey}: names no field`], CONTEXT_SOURCE);
  const container = doc ?? {};
  if (typeof container !== 'object')
    throw new ConfigError([`-c ${contextKey}: cannot set "${head}" inside a ${typeof container}`], CONTEXT_SOURCE);
  const next = (current: unknown) => (rest.length === 0 ? value : withField(current, rest, value, contextKey));
  if (Array.isArray(container)) {
    const index = Number(head);
    if (!Number.isInteger(index) || index < 0 || index > container.length)
      throw new ConfigError([`-c ${contextKey}: "${head}" is not an index of a list of ${container.length}`], CONTEXT_SOURCE);
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
