import { createHash } from 'node:crypto';
import type { CredentialsResult, ExchangeAdapter } from '../exchanges/types';

/** Parsed credentials by adapter and a SHA-256 of the secret text; bounded, oldest dropped first. */
export type CredentialCache = Map<string, CredentialsResult<unknown>>;

/** How many parsed credentials a {@link CredentialCache} keeps. */
export const CREDENTIAL_CACHE_SIZE = 500;

/**
 * Parsing a private key costs a fraction of a millisecond per key per run; a warm container keeps
 * the result. The cache is keyed by a hash of the secret, so a rotated secret is parsed afresh.
 */
export function parseCredentialsCached<C>(
  adapter: ExchangeAdapter<C>,
  text: string,
  fields: Record<string, unknown>,
  cache: CredentialCache | undefined,
): CredentialsResult<C> {
  if (!cache) return adapter.parseCredentials(fields);
  const id = `${adapter.id}:${createHash('sha256').update(text).digest('hex')}`;
  const hit = cache.get(id) as CredentialsResult<C> | undefined;
  if (hit) return hit;
  const parsed = adapter.parseCredentials(fields);
  cache.set(id, parsed);
  if (cache.size > CREDENTIAL_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return parsed;
}
