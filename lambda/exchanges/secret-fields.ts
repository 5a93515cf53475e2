import { type Finding, makeFinding } from '../findings';

/** The named string fields of a secret, or a SECRET_INVALID finding naming the first bad field (never its value). */
export function readSecretFields<F extends string>(
  secret: Readonly<Record<string, unknown>>,
  fields: readonly F[],
  exchange: string,
): { ok: true; values: Record<F, string> } | { ok: false; finding: Finding } {
  const values = {} as Record<F, string>;
  for (const field of fields) {
    const value = secret[field];
    if (value === undefined || value === null)
      return { ok: false, finding: makeSecretInvalidFinding(`has no "${field}" field`, fields, exchange) };
    if (typeof value !== 'string' || value.trim() === '')
      return { ok: false, finding: makeSecretInvalidFinding(`field "${field}" must be a non-empty string`, fields, exchange) };
    values[field] = value;
  }
  return { ok: true, values };
}

/** A SECRET_INVALID finding that says what an `exchange` secret must hold. */
export function makeSecretInvalidFinding(problem: string, fields: readonly string[], exchange: string): Finding {
  return makeFinding('SECRET_INVALID', `The secret ${problem}; a ${exchange} secret is a JSON object with ${fields.join(', ')}.`);
}
