import { type Config, DEFAULT_ROTATION, DEFAULT_TIMEOUT_MS, type KeyConfig } from '../lambda/config';
import { ConfigError } from '../lambda/errors';

/**
 * Lambda allows 4 KB for all environment variables together (names and values); the rest of this
 * budget is left for ALERT_TOPIC_ARN, STATE_TABLE_NAME and the runtime's own variables.
 */
export const MAX_CONFIG_ENV_BYTES = 3072;

/** The largest config shipped as a file in the function's bundle: 1,000 keys or more (80–250 bytes each). */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024;

/** The name of the config file next to the bundled handler, when the config does not fit in the environment. */
export const CONFIG_FILE_NAME = 'key-health-config.json';

/**
 * Characters of base64 per shell command: Linux refuses a single argument over 128 KiB
 * (MAX_ARG_STRLEN), and local bundling passes each command as one `bash -c` argument.
 * A multiple of 4, so that every chunk decodes on its own.
 */
const BASE64_CHUNK_CHARS = 64 * 1024;

/**
 * The KEY_HEALTH_CONFIG value: the validated config without the alert recipients (they live in the
 * topic's subscriptions, not in the function), with per-key fields that equal parseConfig's built-in
 * defaults left out to save environment space. `parseConfig` turns it back into the same config.
 */
export function serializeLambdaConfig(config: Config): string {
  const { emails: _emails, phones: _phones, ...alerts } = config.alerts;
  return JSON.stringify({ schedule: config.schedule, alerts, concurrency: config.concurrency, keys: config.keys.map(compactKey) });
}

/** How the function gets its config: in its environment, or as a file in its bundle named by the environment. */
export type LambdaConfigDelivery =
  | { readonly kind: 'environment'; readonly environment: { readonly KEY_HEALTH_CONFIG: string }; readonly bytes: number }
  | {
      readonly kind: 'file';
      readonly environment: { readonly KEY_HEALTH_CONFIG_FILE: string };
      /** The file's content, {@link serializeLambdaConfig}'s output. */
      readonly content: string;
      readonly bytes: number;
    };

/**
 * Puts the serialized config in KEY_HEALTH_CONFIG when it fits {@link MAX_CONFIG_ENV_BYTES}, else in
 * the file {@link CONFIG_FILE_NAME} named by KEY_HEALTH_CONFIG_FILE; throws a ConfigError over
 * {@link MAX_CONFIG_FILE_BYTES}.
 */
export function planLambdaConfigDelivery(config: Config): LambdaConfigDelivery {
  const json = serializeLambdaConfig(config);
  const bytes = Buffer.byteLength(json);
  if (bytes <= MAX_CONFIG_ENV_BYTES) return { kind: 'environment', environment: { KEY_HEALTH_CONFIG: json }, bytes };
  if (bytes > MAX_CONFIG_FILE_BYTES)
    throw new ConfigError([
      `keys: the config takes ${bytes} bytes in the function's bundle (${CONFIG_FILE_NAME}), over the limit of ${MAX_CONFIG_FILE_BYTES}; check fewer keys per stack`,
    ]);
  return { kind: 'file', environment: { KEY_HEALTH_CONFIG_FILE: CONFIG_FILE_NAME }, content: json, bytes };
}

/**
 * Shell commands that write `content` to `file`: node decodes base64 arguments (letters, digits,
 * "+", "/" and "=", nothing a shell expands), in chunks that stay under Linux's argument limit.
 */
export function writeFileCommands(file: string, content: string): string[] {
  const base64 = Buffer.from(content, 'utf8').toString('base64');
  const chunks: string[] = [];
  for (let at = 0; at < base64.length; at += BASE64_CHUNK_CHARS) chunks.push(base64.slice(at, at + BASE64_CHUNK_CHARS));
  const script = `require('fs')[process.argv[3]==='append'?'appendFileSync':'writeFileSync'](process.argv[1],Buffer.from(process.argv[2],'base64'))`;
  return chunks.map((chunk, i) => `node -e "${script}" ${shellQuote(file)} ${chunk} ${i === 0 ? 'write' : 'append'}`);
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function compactKey(key: KeyConfig): Record<string, unknown> {
  const { expect, rotation, timeoutMs, sandbox, ...rest } = key;
  const defaultExpect = expect.futures && !expect.transfer && expect.trade === undefined && expect.ipRestricted === undefined;
  const defaultRotation = rotation.maxAgeDays === DEFAULT_ROTATION.maxAgeDays && rotation.warnDays === DEFAULT_ROTATION.warnDays;
  return {
    ...rest,
    ...(!defaultExpect && { expect }),
    ...(!defaultRotation && { rotation }),
    ...(timeoutMs !== DEFAULT_TIMEOUT_MS && { timeoutMs }),
    ...(sandbox && { sandbox }),
  };
}
