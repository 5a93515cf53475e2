import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { computeHmac } from './signing';
import type { CredentialsResult, ExchangeAdapter, ExchangeRequest, ProbeReading, SignedParts } from './types';

/** Credentials of a Deribit-generated API key: the Client ID and the Client Secret, both as Deribit shows them. */
export interface DeribitCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

const ID = 'deribit';
const FIELDS = ['apiKey', 'apiSecret'] as const;
const TIME_PATH = '/api/v2/public/get_time';
const AUTH_PATH = '/api/v2/public/auth';
const SUMMARY_PATH = '/api/v2/private/get_account_summary';
/**
 * [V] docs.deribit.com/articles/authentication: the signed timestamp "is valid for 60 seconds since
 * generation; after that, any request with an old timestamp will be rejected".
 */
const TIMESTAMP_VALID_MS = 60_000;
/**
 * Bytes of the random nonce. [V] the docs call the nonce a "single-use, user-generated initialization
 * vector" that "should be unique per request" (their examples use 8 random characters); ccxt 4.5.84 sends
 * the millisecond timestamp instead [C], which two reads signed in the same millisecond (our probes run in
 * parallel, and a bot on the same key may use ccxt) would share.
 */
const NONCE_BYTES = 8;
/** A Client ID goes into the `Authorization` header's comma-separated `key=value` list. */
const HEADER_UNSAFE = /[\s,=]/;

/**
 * The client-signature of `public/auth`: hex HMAC-SHA256, keyed with the Client Secret as text, of
 * `timestamp + "\n" + nonce + "\n" + data` [V docs.deribit.com/articles/authentication; C ccxt pro deribit.authenticate].
 */
export function signClientSignature(clientSecret: string, timestamp: string, nonce: string, data: string): string {
  return computeHmac('sha256', clientSecret, `${timestamp}\n${nonce}\n${data}`, 'hex');
}

/**
 * The `deri-hmac-sha256` header of one REST request: hex HMAC-SHA256 (Client Secret as text) of
 * `timestamp + "\n" + nonce + "\n" + METHOD + "\n" + path?query + "\n" + body + "\n"` [V docs "Deribit
 * Signature Credentials (HTTP REST)"; C ccxt 4.5.84 deribit.sign], with ccxt's field order `id, ts, sig, nonce`.
 */
function buildDeribitAuthorization(
  credentials: DeribitCredentials,
  request: ExchangeRequest,
  timestamp: string,
  nonce: string,
): { header: string; signature: string } {
  const uri = request.query ? `${request.path}?${request.query}` : request.path;
  const signature = computeHmac(
    'sha256',
    credentials.clientSecret,
    `${timestamp}\n${nonce}\n${request.method}\n${uri}\n${request.body ?? ''}\n`,
    'hex',
  );
  return { header: `deri-hmac-sha256 id=${credentials.clientId},ts=${timestamp},sig=${signature},nonce=${nonce}`, signature };
}

/**
 * Deribit API v2 (futures and options): private reads carry the `deri-hmac-sha256` header, and the
 * key's scope is read from a `public/auth` client-signature grant, the only answer that states it.
 */
export const deribit: ExchangeAdapter<DeribitCredentials> = {
  id: ID,
  displayName: 'Deribit',
  guide: {
    api: 'Deribit API v2 (futures and options), signed with the `deri-hmac-sha256` header',
    secret:
      'A Deribit-generated API key, as the API page of the account shows it: `apiKey` is the **Client ID**, `apiSecret` the **Client Secret**. Self-generated (asymmetric Ed25519/RSA) keys are not supported. test.deribit.com is a separate environment with its own accounts and keys: check a test key with `sandbox: true`.',
    secretExample: { apiKey: 'fo7W…', apiSecret: 'W0H6…' },
    clock:
      '±60 s (Deribit: a signed timestamp is valid for 60 s; whether one ahead of its clock is refused sooner is undocumented, so the same 60 s is assumed)',
    notes:
      'The key’s scope is read from `public/auth` (grant `client_signature`, no scope asked for): `wallet:read_write` counts as transfer, `trade:read_write` (or block-trade / block-RFQ `read_write`) as trade. Deribit may grant a token less than the key’s configured maximum scope; the key’s own settings (maximum scope, IP allow-list) are shown only by `private/list_api_keys`, which needs 2FA and `account:read_write`, so the IP allow-list is not reported. Deribit API keys do not expire. `invalid_credentials` (13004) does not say whether the Client ID or the Client Secret is wrong.',
  },
  origin: 'https://www.deribit.com',
  // [V] docs.deribit.com: test.deribit.com authenticates its own keys ("test credentials do not work in
  // production environment and vice versa"); ccxt's sandbox URL is the same host [C].
  sandboxOrigin: 'https://test.deribit.com',
  // `public/auth` issues a connection-scoped token and changes nothing on the account (no order, setting,
  // transfer or session slot: only `session:name` scopes take one of the 16 sessions); the token is
  // discarded unread. It is on the list because its `scope` is the only place Deribit states what a key may do.
  allowList: [`GET ${TIME_PATH}`, `GET ${AUTH_PATH}`, `GET ${SUMMARY_PATH}`],
  // Behind: the documented 60 s. Ahead: [U] the docs only say old timestamps are rejected; searched
  // docs.deribit.com, deribit/deribit-api-clients and GitHub issues for a future-timestamp rule or body and
  // found none. A server that bounds only the age accepts any future stamp; assuming the same 60 s is the
  // stricter reading, and CLOCK_DRIFT then warns at 30 s either way.
  // [V] docs.deribit.com "Connection management best practices": at most 32 simultaneous connections per IP,
  // each HTTP request holding one for its duration, the 33rd refused with 429. A key's two signed reads run
  // in parallel: 14 keys at once is 28 connections, with room for the time read and a retry.
  pace: {
    keysInFlight: 14,
    why: 'Deribit allows 32 simultaneous connections per IP address and a key takes two; key-health checks at most 14 Deribit keys at once.',
  },
  clockWindow: { aheadMs: TIMESTAMP_VALID_MS, behindMs: TIMESTAMP_VALID_MS },
  time: {
    request: { method: 'GET', path: TIME_PATH },
    // [V] docs public/get_time: `{"jsonrpc":"2.0","id":7365,"result":1550147385946}`, epoch ms.
    read(body) {
      const result = (body as { result?: unknown } | null)?.result;
      if (typeof result !== 'number' || !Number.isFinite(result)) throw new Error('field "result" is not a number');
      return result;
    },
  },

  parseCredentials(secret) {
    const fields = readSecretFields(secret, FIELDS, ID);
    if (!fields.ok) return fields;
    const { apiKey, apiSecret } = fields.values;
    if (HEADER_UNSAFE.test(apiKey))
      return invalid('field "apiKey" must be the Client ID exactly as Deribit shows it (no spaces, commas or "=")');
    if (apiSecret.includes('-----BEGIN'))
      return invalid(
        'field "apiSecret" holds a PEM key: self-generated (asymmetric) Deribit keys are not supported; store a Deribit-generated key’s Client Secret',
      );
    // [V] Deribit's secrets are single tokens (W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS, B6RsF9rrLY5e…-UC7whyPJ34BMA-kKYpes);
    // whitespace would be signed as part of the key and fail as a bad signature.
    if (/\s/.test(apiSecret)) return invalid('field "apiSecret" contains whitespace; paste the Client Secret exactly as Deribit shows it');
    return { ok: true, credentials: { clientId: apiKey, clientSecret: apiSecret } };
  },

  secretValues: (credentials) => [credentials.clientSecret],

  sign(request, credentials, { nowMs, random }): SignedParts {
    const timestamp = String(Math.floor(nowMs));
    const nonce = random(NONCE_BYTES).toString('hex');
    if (request.path === AUTH_PATH) {
      // [V] public/auth parameters for grant_type client_signature: client_id, timestamp (ms), signature,
      // nonce, data (optional, signed as ""). Order and the empty `data` as ccxt pro sends them [C]; no
      // `scope`, so nothing narrower than what the server grants the key is asked for.
      const signature = signClientSignature(credentials.clientSecret, timestamp, nonce, '');
      const params = new URLSearchParams({
        grant_type: 'client_signature',
        client_id: credentials.clientId,
        timestamp,
        signature,
        nonce,
        data: '',
      });
      return { headers: {}, query: params.toString(), sensitive: [signature] };
    }
    const { header, signature } = buildDeribitAuthorization(credentials, request, timestamp, nonce);
    return { headers: { Authorization: header }, sensitive: [signature, header] };
  },

  // The account summary first: it is signed as every private read is, so its answer leads when both fail alike.
  probes: (scope) => [
    {
      label: 'account summary',
      // Deribit is a derivatives exchange: its one account is the futures account, so this read stands
      // for both and is sent whatever `expect.futures` says.
      purpose: 'futures',
      tells: 'the key works and may view the (derivatives) account',
      // [V] "Scope: account:read". `extended=true` adds account facts (id, username, 2FA, fees), none about the key.
      request: { method: 'GET', path: SUMMARY_PATH, query: 'currency=BTC' },
      read(body) {
        const result = readResult(body);
        for (const field of ['balance', 'equity'] as const)
          if (typeof result[field] !== 'number' || !Number.isFinite(result[field]))
            throw new Error(`field "result.${field}" is not a number`);
        if (typeof result.currency !== 'string') throw new Error('field "result.currency" is not a string');
        return { permissions: { view: true, futures: true }, notes: describeEnvironment(body, scope.sandbox) };
      },
      deniedMeans: { view: false, futures: false },
    },
    {
      label: 'key scope',
      purpose: 'introspection',
      tells: 'view, trade, transfer (the scope Deribit grants the key)',
      request: { method: 'GET', path: AUTH_PATH, query: 'grant_type=client_signature' },
      read: readScope,
    },
  ],

  // [V] every JSON-RPC error is `{"jsonrpc":"2.0","error":{"code":13009,"message":"unauthorized",…},…}`;
  // ccxt matches `error.code` exactly [C]. The HTTP status varies (400 and 401 are both reported), so the
  // rules read the code alone. An `error` without a code still marks the answer as an error.
  readError(body) {
    const error = (body as { error?: unknown } | null)?.error;
    if (error === undefined || error === null) return undefined;
    const code = (error as { code?: unknown }).code;
    return typeof code === 'number' || typeof code === 'string' ? String(code) : 'error';
  },
  // Codes and messages from Deribit's RPC error list [V docs v2.1.1] and ccxt's exact table [C].
  errors: [
    {
      error: '13004',
      code: 'AUTH_INVALID_KEY',
      note: 'Deribit answers `invalid_credentials` without saying whether the Client ID or the Client Secret is wrong; the key may also be disabled or deleted, or belong to the other environment (www vs test.deribit.com).',
    },
    // [V] 13009 "Wrong or expired authorization token or bad signature"; 10000 "invalid or absent signature".
    // [U] the answer to a timestamp outside the 60 s is undocumented; the engine re-signs with Deribit's
    // time when our clock is outside the window, which tells the two apart.
    {
      error: ['13009', '10000'],
      code: 'AUTH_INVALID_SIGNATURE',
      note: 'Deribit says the signature is bad: the Client Secret is not this Client ID’s, or the signed timestamp was outside its 60-second window.',
    },
    // [V] 13021 forbidden "Not enough permissions"; [C] 9999 api_not_enabled "User didn't enable API for the Account".
    { error: ['13021', '9999'], code: 'PERMISSION_MISSING', note: 'The key’s scope does not allow this read (it needs account:read).' },
    // [V] 11098 account_locked; [C] 13002 account_blocked "Account is blocked by admin".
    { error: ['11098', '13002'], code: 'KEY_EXPIRED', note: 'Deribit says the account is locked or blocked.' },
    // [V] 12005 country_is_banned "The country is banned (possibly via IP check)".
    { error: '12005', code: 'LOCATION_BLOCKED' },
    // [V] 10028 too_many_requests; 10066 too_many_concurrent_requests (public requests, as public/auth is).
    { error: ['10028', '10066'], code: 'RATE_LIMITED' },
    // [V] retry, settlement_in_progress, system_maintenance, internal_server_error,
    // method_switched_off_by_admin, temporarily_unavailable, unavailable, timed_out.
    { error: ['10040', '10041', '11051', '11094', '13025', '13028', '13503', '13888'], code: 'EXCHANGE_UNAVAILABLE' },
  ],
};

/** The scope words that allow trading: orders, block trades, block RFQs [V docs.deribit.com/articles/access-scope]. */
const TRADE_SCOPES = ['trade:read_write', 'block_trade:read_write', 'block_rfq:read_write'];

/**
 * Reads the `scope` that `public/auth` granted: `account:read[_write]` shows view, `wallet:read_write`
 * ("withdraw, generate deposit addresses") is transfer, `trade:read_write` (create and modify orders) and
 * block-trade / block-RFQ `read_write` are trade [V access-scope]. A client_signature login without a
 * `scope` parameter answers with the key's functional scopes, e.g. "account:read block_trade:read
 * connection mainaccount trade:read_write wallet:read" [E roq-trading/roq-deribit notes, a 2020 login log].
 */
function readScope(body: unknown): ProbeReading {
  const result = readResult(body);
  if (typeof result.access_token !== 'string' || result.access_token === '') throw new Error('field "result.access_token" is not a string');
  if (typeof result.scope !== 'string') throw new Error('field "result.scope" is not a string');
  const words = new Set(result.scope.split(/\s+/).filter((word) => word !== ''));
  const trading = TRADE_SCOPES.filter((word) => words.has(word));
  const notes = [
    // [V] access-scope: "some scopes could be narrowed by the server … The user shouldn't assume that
    // requested values are blindly accepted and should verify assigned scopes."
    `Deribit granted this check the scope "${result.scope}". Deribit may grant less than the key’s configured maximum, so a right missing here can still be set on the key; only private/list_api_keys (2FA and account:read_write) shows the maximum and the IP allow-list.`,
  ];
  if (trading.some((word) => word !== 'trade:read_write')) notes.push(`The key may trade through ${trading.join(', ')}.`);
  // [V] docs: API keys are created, edited and removed with account:read_write; create_api_key asks for 2FA
  // only where the account has it enabled (articles/security-keys).
  if (words.has('account:read_write'))
    notes.push(
      'The key has account:read_write: it may change account settings and create subaccounts, and manage API keys where the account has no 2FA.',
    );
  // [V] "mainaccount: set automatically by the server when the connecting user's credentials belong to the main account".
  if (!words.has('mainaccount')) notes.push('The key belongs to a subaccount.');
  // No exchangeExpiresAt: [V] Deribit's api_key object (list_api_keys, create_api_key) has no expiry field.
  return {
    permissions: {
      // Only a yes: a token granted less than the key may lack account:read, and the account summary decides.
      ...((words.has('account:read') || words.has('account:read_write')) && { view: true }),
      trade: trading.length > 0,
      transfer: words.has('wallet:read_write'),
    },
    notes,
  };
}

/** The JSON-RPC `result` object of an answer; throws naming the field when it is missing. */
function readResult(body: unknown): Record<string, unknown> {
  const result = (body as { result?: unknown } | null)?.result;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw new Error('field "result" is not an object');
  return result as Record<string, unknown>;
}

/** [V] Every answer says `testnet: true` on test.deribit.com; a test key checked as a production key deserves a word. */
function describeEnvironment(body: unknown, sandbox: boolean): string[] {
  const testnet = (body as { testnet?: unknown } | null)?.testnet;
  if (testnet === true && !sandbox)
    return ['Deribit answered from its test environment (testnet: true): this is a test.deribit.com key; set sandbox: true for it.'];
  return [];
}

function invalid(problem: string): CredentialsResult<DeribitCredentials> {
  return { ok: false, finding: makeSecretInvalidFinding(problem, FIELDS, ID) };
}
