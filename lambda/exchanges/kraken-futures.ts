import { createHash } from 'node:crypto';
import { describeDuration } from '../duration';
import { type Finding, makeFinding } from '../findings';
import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { computeHmac, decodeBase64 } from './signing';
import type { ExchangeAdapter, ProbeReading } from './types';

/** Credentials of a Kraken Futures (Derivatives) API key: the public key and the base64-decoded private key. */
export interface KrakenFuturesCredentials {
  readonly apiKey: string;
  readonly secretBytes: Buffer;
}

const FIELDS = ['apiKey', 'apiSecret'] as const;

/** The host prefix of every Derivatives REST path; [V] the Futures REST guide signs `endpointPath` without it (`/api/v3/orderbook`). */
const SIGNED_PATH_PREFIX = '/derivatives';

const ACCOUNTS_PATH = '/derivatives/api/v3/accounts';

/**
 * The day Kraken switches the Derivatives REST API off: [V] docs.kraken.com/exchange/api-reference/futures-rest
 * "The Derivatives REST API is deprecated and will be decommissioned on 1 March 2027". The page names a day,
 * not an hour; [U] we take its start in UTC, the zone of every Kraken Futures timestamp.
 */
export const KRAKEN_FUTURES_DECOMMISSION_MS = Date.UTC(2027, 2, 1);

const MIGRATION =
  'Kraken asks Derivatives REST users to move to the Unified WebSocket (or Unified FIX), which needs a Kraken API key, not a Derivatives API key: create one and move the bots before then.';

/**
 * `Authent` for `message` (`postData + Nonce + endpointPath`): base64(HMAC-SHA512(base64-decoded secret,
 * SHA-256(message))), as the Futures REST guide's five steps say; the Futures WebSocket signed challenge is the
 * same pipeline over the challenge alone ([V] docs.kraken.com/api/docs/guides/futures-websockets).
 */
export function computeAuthent(secretBytes: Buffer, message: string): string {
  return computeHmac('sha512', secretBytes, createHash('sha256').update(message, 'utf8').digest(), 'base64');
}

/**
 * Reads a `/derivatives/api/v3/*` success body's envelope: [V] krakenfx/api-specs futures-rest/trading/public.yml
 * `SuccessResponse` = `result: "success"` plus `serverTime` (ISO 8601 UTC, e.g. `2020-08-27T17:03:33.196Z`).
 */
function readEnvelope(body: unknown): { record: Record<string, unknown>; serverTimeMs: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('the answer is not a JSON object');
  const record = body as Record<string, unknown>;
  if (record.result !== 'success') throw new Error('field "result" is not "success"');
  const serverTimeMs = typeof record.serverTime === 'string' ? Date.parse(record.serverTime) : Number.NaN;
  if (!Number.isFinite(serverTimeMs)) throw new Error('field "serverTime" is not an ISO 8601 time');
  return { record, serverTimeMs };
}

/**
 * [V] krakenfx/api-specs `Account`: an object of accounts by name (`cash`, `flex`, `fi_xbtusd`…), each an
 * object whose `type` is `cashAccount`, `marginAccount` or `multiCollateralMarginAccount`. The spec marks
 * `cash` and `flex` required, but the accounts a key sees vary (ccxt#18967 shows `cash` and `fi_xbtusd`), so
 * only the shape is enforced; an unknown `type` string is accepted as Kraken adds account kinds.
 */
function readAccounts(record: Record<string, unknown>): void {
  const accounts = record.accounts;
  if (typeof accounts !== 'object' || accounts === null || Array.isArray(accounts)) throw new Error('field "accounts" is not an object');
  for (const [name, account] of Object.entries(accounts)) {
    if (typeof account !== 'object' || account === null || Array.isArray(account))
      throw new Error(`field "accounts.${name}" is not an object`);
    if (typeof (account as { type?: unknown }).type !== 'string') throw new Error(`field "accounts.${name}.type" is not a string`);
  }
}

/**
 * The dated finding every working Derivatives key carries: KEY_EXPIRING until the decommission day, whatever
 * `warnDays` says (the whole platform goes, not one key), and KEY_EXPIRED from that day on.
 */
export function describeDecommission(nowMs: number): Finding {
  const untilMs = KRAKEN_FUTURES_DECOMMISSION_MS - nowMs;
  if (untilMs <= 0)
    return makeFinding(
      'KEY_EXPIRED',
      `Kraken decommissioned the Derivatives REST API on 1 March 2027: this Derivatives API key has no REST API left to use. ${MIGRATION}`,
    );
  return makeFinding(
    'KEY_EXPIRING',
    `Kraken decommissions the Derivatives REST API on 1 March 2027, in ${describeDuration(untilMs)}: this Derivatives API key stops working then. ${MIGRATION}`,
  );
}

const AUTHENTICATION_NOTE =
  'Kraken Futures answers "authenticationError" alike for an unknown or deleted key, a secret that is not the key\'s, and a Kraken spot key: Derivatives API keys are separate from Kraken spot keys (Kraken Pro: Settings > API > "Futures trading API"), so a spot key fails here exactly like a wrong one. Check that both apiKey and apiSecret are the Derivatives pair, as shown when the key was created.';

/**
 * Kraken Futures (Derivatives REST, `futures.kraken.com/derivatives/api/v3`): headers `APIKey` and `Authent` =
 * base64(HMAC-SHA512(base64-decoded secret, SHA-256(postData + Nonce + endpointPath))) with the `/derivatives`
 * prefix left out of `endpointPath` [V Futures REST guide]. The optional `Nonce` is not sent, as ccxt does not
 * send it [C]: the nonce is tracked per key ("A new pair of api keys will automatically reset the nonce" [V]), so a
 * monitor's nonces would interleave with the bots' and a higher one of ours could turn their next requests into
 * `nonceBelowThreshold` [U]; without it the signature carries no time, so the clock cannot fail the key.
 * Kraken documents a key-check read, `GET /api/auth/v1/api-keys/v3/check` (General and Withdrawal access levels)
 * [V krakenfx/api-specs futures-rest/auth/api-public.yml], but not which path it signs, and ccxt has no oracle for
 * it, so it is not used: the accounts read proves the key and is the futures read.
 */
export const krakenFutures: ExchangeAdapter<KrakenFuturesCredentials> = {
  id: 'kraken-futures',
  displayName: 'Kraken Futures',
  guide: {
    api: 'Kraken Futures (Derivatives REST API v3, decommissioned by Kraken on 1 March 2027)',
    secret:
      'A Kraken Futures (Derivatives) API key, not a Kraken spot key: `apiKey` is the public key and `apiSecret` the private key, both exactly as shown once when the key was created (the private key is base64 text).',
    secretExample: { apiKey: 'rRra59qK…', apiSecret: 'rttp4Azw…base64…' },
    clock: 'none: no `Nonce` is sent, so `Authent` carries no time (the offset is reported, never judged)',
    time: '`serverTime` in every answer',
    notes:
      'The accounts read proves the key (General API at least "Read only") and stands in for the futures read; it does not tell whether the key may trade (General API "Full access") or withdraw (Withdrawal API), nor its IP restriction. A Kraken spot key fails like an unknown key (`authenticationError`). Kraken decommissions the Derivatives REST API on 1 March 2027: until then every working key carries a dated `KEY_EXPIRING` with the migration Kraken asks for (Unified WebSocket with a Kraken API key), from that day `KEY_EXPIRED`. No sandbox: the demo host demo-futures.kraken.com was retired in 2026.',
  },
  origin: 'https://futures.kraken.com',
  // [V] support.kraken.com/articles/360024809011 described demo-futures.kraken.com as a separate demo with its
  // own keys, but [E] sieblyio/kraken-api v1.1.7 (16 Oct 2026): "Kraken retired the Futures demo (testnet)
  // environment on 14 July 2026 … demo-futures.kraken.com now 301-redirects and has no replacement".
  sandboxOrigin: null,
  allowList: [`GET ${ACCOUNTS_PATH}`],
  clockWindow: null,
  // [V] Kraken support "Calls and Returns": every answer carries `"serverTime":"2016-02-25T09:45:53.818Z"`;
  // there is no time endpoint, so the probe's reading states it.
  time: null,

  parseCredentials(secret) {
    const fields = readSecretFields(secret, FIELDS, 'kraken-futures');
    if (!fields.ok) return fields;
    const secretBytes = decodeBase64(fields.values.apiSecret);
    if (!secretBytes)
      return {
        ok: false,
        finding: makeSecretInvalidFinding(
          'field "apiSecret" is not base64 (the Kraken Futures private key is base64 text)',
          FIELDS,
          'kraken-futures',
        ),
      };
    return { ok: true, credentials: { apiKey: fields.values.apiKey, secretBytes } };
  },

  secretValues: (credentials) => [credentials.secretBytes.toString('base64')],

  sign(request, credentials) {
    // [V] Futures REST guide, since 20 Feb 2024: hash "the full, url-encoded URI component as it appears in the
    // request", so postData is the query (GET) or body (POST) exactly as sent; ccxt signs `postData + '/api/v3/…'` [C].
    const postData = request.method === 'GET' ? (request.query ?? '') : (request.body ?? '');
    const endpointPath = request.path.startsWith(`${SIGNED_PATH_PREFIX}/`) ? request.path.slice(SIGNED_PATH_PREFIX.length) : request.path;
    const authent = computeAuthent(credentials.secretBytes, `${postData}${endpointPath}`);
    return { headers: { APIKey: credentials.apiKey, Authent: authent }, sensitive: [authent] };
  },

  probes: () => [
    {
      label: 'accounts',
      purpose: 'futures',
      tells: 'the key works and may view the futures accounts',
      request: { method: 'GET', path: ACCOUNTS_PATH },
      read(body, { nowMs }): ProbeReading {
        const { record, serverTimeMs } = readEnvelope(body);
        readAccounts(record);
        return { permissions: { view: true, futures: true }, serverTimeMs, findings: [describeDecommission(nowMs)] };
      },
      // Kraken Futures is futures only: an inactive account can read neither the account nor the futures.
      deniedMeans: { view: false, futures: false },
    },
  ],

  // [V] krakenfx/api-specs `ErrorResponse`: `{"result":"error","error":"<Error>","serverTime":"…"}`, optionally
  // with `errors: [<Error>]`; ccxt also reads `errors[0].message` (`{"errors":[{"code":92,"message":"INSUFFICIENT_MARGIN"}]}`) [C].
  readError(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const record = body as { result?: unknown; error?: unknown; errors?: unknown };
    if (record.result === 'success') return undefined;
    if (typeof record.error === 'string') return record.error;
    const [first] = Array.isArray(record.errors) ? (record.errors as unknown[]) : [];
    if (typeof first === 'string') return first;
    const message = typeof first === 'object' && first !== null ? (first as { message?: unknown }).message : undefined;
    if (typeof message === 'string') return message;
    return record.result === 'error' ? 'error' : undefined;
  },

  // Errors come with HTTP 200 ([E] python-kraken-sdk#303: its Futures client parses JSON only on 200 and raised
  // on this body), so the `error` field decides. Not mapped, and so UNEXPECTED_RESPONSE: `nonceBelowThreshold`
  // and `nonceDuplicate` (we send no Nonce) and the transfer and order errors a read cannot cause.
  errors: [
    // [V] api-specs Error enum "The request could not be authenticated"; [E] python-kraken-sdk#303 for a spot key.
    // [U] the answer for a key outside its IP allow-list or with General API "No access" is not documented.
    { error: 'authenticationError', code: 'AUTH_INVALID_KEY', note: AUTHENTICATION_NOTE },
    // [V] "The API limit for the calling IP address has been exceeded"; ccxt maps it to RateLimitExceeded [C].
    { error: 'apiLimitExceeded', code: 'RATE_LIMITED' },
    // [V] "The Futures account the request refers to is inactive"; ccxt's comment: an account without trade or
    // order history [C]. [U] which accounts the accounts read calls inactive.
    {
      error: 'accountInactive',
      code: 'PERMISSION_MISSING',
      note: 'Kraken Futures says the Futures account of this key is inactive: activate derivatives trading on the account, or check that the key belongs to the account meant.',
    },
    // [V] "Unavailable: The endpoint being called is unavailable", "Server Error: There was an error processing
    // the request"; ccxt maps `Unavailable` and `unavailable` to ExchangeNotAvailable [C].
    { error: ['Unavailable', 'unavailable', 'Server Error'], code: 'EXCHANGE_UNAVAILABLE' },
  ],
};
