import { type Config, DEFAULT_ROTATION, DEFAULT_TIMEOUT_MS, type KeyConfig } from '../lambda/config';

/**
 * Lambda allows 4 KB for all environment variables together (names and values); the rest of this
 * budget is left for ALERT_TOPIC_ARN, STATE_TABLE_NAME and the runtime's own variables.
 */
export const MAX_CONFIG_ENV_BYTES = 3072;

/**
 * The KEY_HEALTH_CONFIG value: the validated config without the alert recipients (they live in the
 * topic's subscriptions, not in the function), with per-key fields that equal parseConfig's built-in
 * defaults left out to save environment space. `parseConfig` turns it back into the same config.
 */
export function serializeLambdaConfig(config: Config): string {
  const { emails: _emails, phones: _phones, ...alerts } = config.alerts;
  return JSON.stringify({ schedule: config.schedule, alerts, concurrency: config.concurrency, keys: config.keys.map(compactKey) });
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
