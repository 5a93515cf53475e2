import { type Config, selectKeys } from './config';
import { ConfigError, InvalidEventError } from './errors';

/** What one invocation is asked to do. */
export interface RunRequest {
  /** The key names to check, or `undefined` for every configured key. */
  readonly keys: readonly string[] | undefined;
  /** Check and report, but send no alert. */
  readonly dryRun: boolean;
}

/** Left for publishing alerts and logging after the checks, before the Lambda times out. */
export const SAFETY_MARGIN_MS = 10_000;

/** The shortest run the engine is given, however little time the invocation has. */
export const MIN_RUN_MS = 1_000;

const MANUAL_FIELDS = ['keys', 'dryRun'];
const MANUAL_FORM = 'a manual run is {"keys": ["name", ...], "dryRun": true} (both optional)';

/**
 * Reads the invocation event: EventBridge's scheduled event (or an empty one) checks every key and
 * alerts; `{"keys": [...], "dryRun": true}` checks the named keys. Unknown fields are refused, so a
 * misspelt `dryRun` never sends real alerts.
 */
export function parseInvocation(event: unknown, config: Config): RunRequest {
  if (event === undefined || event === null) return { keys: undefined, dryRun: false };
  if (typeof event !== 'object' || Array.isArray(event))
    throw new InvalidEventError(`Invalid event: expected an object, got ${Array.isArray(event) ? 'a list' : typeof event}; ${MANUAL_FORM}`);
  const fields = event as Record<string, unknown>;
  if (fields.source === 'aws.events' || fields['detail-type'] === 'Scheduled Event') return { keys: undefined, dryRun: false };

  const problems: string[] = [];
  const unknown = Object.keys(fields).filter((field) => !MANUAL_FIELDS.includes(field));
  if (unknown.length > 0) problems.push(`unknown field(s) ${unknown.map((f) => JSON.stringify(f)).join(', ')}`);
  const dryRun = fields.dryRun ?? false;
  if (typeof dryRun !== 'boolean') problems.push(`"dryRun" must be true or false, got ${JSON.stringify(dryRun)}`);
  const keys = parseKeys(fields.keys, config, problems);
  if (problems.length > 0) throw new InvalidEventError(`Invalid event: ${problems.join('; ')}; ${MANUAL_FORM}`);
  return { keys, dryRun: dryRun === true };
}

function parseKeys(raw: unknown, config: Config, problems: string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((name) => typeof name === 'string')) {
    problems.push('"keys" must be a non-empty list of key names (leave it out to check every key)');
    return undefined;
  }
  try {
    selectKeys(config.keys, raw);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  return [...new Set(raw as string[])];
}

/** The engine's deadline: the invocation's remaining time minus {@link SAFETY_MARGIN_MS}, but at least {@link MIN_RUN_MS}. */
export function computeRunDeadline(nowMs: number, remainingMs: number): number {
  return nowMs + Math.max(remainingMs - SAFETY_MARGIN_MS, MIN_RUN_MS);
}
