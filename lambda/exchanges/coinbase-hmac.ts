import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { computeHmac, decodeBase64 } from './signing';
import type { CredentialsResult, SignedParts } from './types';

/** Credentials of a Coinbase Exchange or INTX key: the secret is base64 and signs after decoding. */
export interface CoinbaseHmacCredentials {
  readonly apiKey: string;
  readonly secretBytes: Buffer;
  readonly passphrase: string;
}

const FIELDS = ['apiKey', 'apiSecret', 'passphrase'] as const;

/** Reads `apiKey`, base64 `apiSecret` and `passphrase`; names a bad field, never its value. */
export function parseCoinbaseHmacCredentials(
  secret: Readonly<Record<string, unknown>>,
  exchange: string,
  displayName: string,
): CredentialsResult<CoinbaseHmacCredentials> {
  const fields = readSecretFields(secret, FIELDS, exchange);
  if (!fields.ok) return fields;
  const secretBytes = decodeBase64(fields.values.apiSecret);
  if (!secretBytes)
    return {
      ok: false,
      finding: makeSecretInvalidFinding(`field "apiSecret" is not base64 (${displayName} secrets are base64 text)`, FIELDS, exchange),
    };
  return { ok: true, credentials: { apiKey: fields.values.apiKey, secretBytes, passphrase: fields.values.passphrase } };
}

/** The values of these credentials that must never be shown. */
export function listCoinbaseHmacSecrets(credentials: CoinbaseHmacCredentials): string[] {
  return [credentials.passphrase, credentials.secretBytes.toString('base64')];
}

/**
 * The four `CB-ACCESS-*` headers: base64 HMAC-SHA256, keyed with the base64-decoded secret, of
 * `timestamp + signedRest` (what follows the timestamp differs per API).
 */
export function signCoinbaseHmac(credentials: CoinbaseHmacCredentials, timestamp: string, signedRest: string): SignedParts {
  const signature = computeHmac('sha256', credentials.secretBytes, `${timestamp}${signedRest}`, 'base64');
  return {
    headers: {
      'CB-ACCESS-KEY': credentials.apiKey,
      'CB-ACCESS-SIGN': signature,
      'CB-ACCESS-TIMESTAMP': timestamp,
      'CB-ACCESS-PASSPHRASE': credentials.passphrase,
    },
    sensitive: [signature],
  };
}
