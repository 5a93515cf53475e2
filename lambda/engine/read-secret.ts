import type { KeyConfig } from '../config';
import { SecretUnreadableError } from '../errors';
import { type Finding, makeFinding } from '../findings';
import type { LoadedSecret, SecretSource } from './secrets';

/** A secret read and parsed into its JSON fields, or the finding that says why it cannot be. */
export type SecretRead =
  | { ok: true; loaded: LoadedSecret; fields: Record<string, unknown>; createdAtField: Date | null }
  | { ok: false; finding: Finding };

const NOT_A_JSON_OBJECT =
  'Store the secret as one JSON object with the fields of its exchange, e.g. {"apiKey": "…", "apiSecret": "…"} (README, "Secret formats"); a file or variable holding only the key text does not work.';

/** Loads a key's secret and parses it as a JSON object; never echoes the text. */
export async function readSecret(key: KeyConfig, source: SecretSource): Promise<SecretRead> {
  let loaded: LoadedSecret;
  try {
    loaded = await source.load(key);
  } catch (error) {
    if (error instanceof SecretUnreadableError) {
      const code = error.finding ?? 'SECRET_UNREADABLE';
      return { ok: false, finding: makeFinding(code, `${error.message}.`, error.remediation) };
    }
    const name = error instanceof Error ? error.name : 'unknown error';
    return { ok: false, finding: makeFinding('SECRET_UNREADABLE', `Cannot read the secret: ${name}.`) };
  }
  let fields: unknown;
  try {
    fields = JSON.parse(loaded.text);
  } catch {
    // The parser's own message quotes the text, so it is never shown.
    return {
      ok: false,
      finding: makeFinding(
        'SECRET_INVALID',
        'The secret is not valid JSON; it must be a JSON object with the fields of its exchange.',
        NOT_A_JSON_OBJECT,
      ),
    };
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    return {
      ok: false,
      finding: makeFinding('SECRET_INVALID', 'The secret must be a JSON object with the fields of its exchange.', NOT_A_JSON_OBJECT),
    };
  const record = fields as Record<string, unknown>;
  let createdAtField: Date | null = null;
  if (record.createdAt !== undefined) {
    const parsed = typeof record.createdAt === 'string' ? new Date(record.createdAt) : null;
    if (!parsed || Number.isNaN(parsed.getTime()))
      return {
        ok: false,
        finding: makeFinding(
          'SECRET_INVALID',
          'The secret field "createdAt" must be an ISO date such as "2026-11-01" or "2026-11-01T09:00:00Z".',
        ),
      };
    createdAtField = parsed;
  }
  return { ok: true, loaded, fields: record, createdAtField };
}

/** The secret's string values (what must never be shown), except the `createdAt` date. */
export function listStringValues(record: Record<string, unknown>): string[] {
  return Object.entries(record).flatMap(([field, value]) => (field !== 'createdAt' && typeof value === 'string' ? [value] : []));
}
