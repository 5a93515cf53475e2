import { timingSafeEqual } from 'node:crypto';
import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { computeHmac } from './signing';
import type { CredentialsResult, ErrorRule, ExchangeAdapter, ExchangeAnswer, ExchangeRequest, Probe } from './types';

/** Credentials of a Bitstamp API v2 key: the key and its secret, which signs as raw text. */
export interface BitstampCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

const ID = 'bitstamp';
const FIELDS = ['apiKey', 'apiSecret'] as const;
const ACCOUNT_BALANCES_PATH = '/api/v2/account_balances/';
const MARGIN_INFO_PATH = '/api/v2/margin_info/';
/**
 * [V] The official Python sample (www.bitstamp.net/api/#section/Authentication) signs the literal
 * `www.bitstamp.net`: a `baseUrl` override changes where the request goes, never what is signed.
 */
const SIGNED_HOST = 'www.bitstamp.net';
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
/** [V] API0017: "Check that timestamp is within 150 second timeframe" (www.bitstamp.net/api/#section/Authentication). */
const WINDOW_MS = 150_000;

/**
 * A fresh X-Auth-Nonce from 16 random bytes: a lowercase v4 UUID, 36 characters, as the docs ask
 * ("lowercase, 36 char string": [V] the doc's header table, quoted in ccxt/ccxt#6456) and as the official
 * samples make it (`uuid.uuid4()`, `UUID.randomUUID()` [V]).
 */
export function makeBitstampNonce(random: Buffer): string {
  const bytes = Buffer.from(random.subarray(0, 16));
  if (bytes.length !== 16) throw new Error('a Bitstamp nonce needs 16 random bytes');
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The X-Auth-Signature message ([V] official samples, [C] ccxt 4.5.84 `bitstamp.sign`):
 * `'BITSTAMP ' + key + METHOD + host + path + query + contentType + nonce + timestamp + 'v2' + body`.
 * An empty body signs no Content-Type ([V] "if the request body is empty, the Content-Type header has
 * to be removed both from the headers and from the signature"). [E] bitstonks/bitstamp-go
 * `doSignedRequest` signs the query with its `?`; no probe of ours sends one.
 */
export function bitstampSigningMessage(apiKey: string, request: ExchangeRequest, nonce: string, timestamp: string): string {
  const body = request.body ?? '';
  const contentType = body === '' ? '' : FORM_CONTENT_TYPE;
  const query = request.query ? `?${request.query}` : '';
  return `BITSTAMP ${apiKey}${request.method}${SIGNED_HOST}${request.path}${query}${contentType}${nonce}${timestamp}v2${body}`;
}

/**
 * Why a successful answer is not Bitstamp's (`undefined` when it is): Bitstamp signs it with
 * `X-Server-Auth-Signature` = hex HMAC-SHA256(secret, nonce + timestamp + the answer's Content-Type + body),
 * [V] the official Python and Java samples. Those samples verify only HTTP 200 answers and nothing
 * documents a signature on error answers [U], so an answer that is not 2xx, or a 2xx that carries a
 * Bitstamp error, is left to the error table ([E] bitstonks/bitstamp-go checks 200, 201 and 204 alike).
 */
export function checkBitstampAnswer(apiSecret: string, nonce: string, timestamp: string, answer: ExchangeAnswer): string | undefined {
  if (answer.status < 200 || answer.status >= 300 || carriesError(answer.body)) return undefined;
  const given = answer.headers['x-server-auth-signature'];
  if (!given) return 'it has no X-Server-Auth-Signature header.';
  const expected = Buffer.from(
    computeHmac('sha256', apiSecret, `${nonce}${timestamp}${answer.headers['content-type'] ?? ''}${answer.body}`, 'hex'),
    'hex',
  );
  const received = /^[0-9a-f]{64}$/i.test(given.trim()) ? Buffer.from(given.trim(), 'hex') : Buffer.alloc(0);
  if (received.length !== expected.length || !timingSafeEqual(received, expected))
    return 'its X-Server-Auth-Signature header does not match its Content-Type and body.';
  return undefined;
}

/**
 * Bitstamp's own error in a parsed answer: the v2 `code` (`API0005`, `API5506`), else the
 * `response_code` of the response-code table (`400.002`), else the text of an `error` field or of
 * the `reason` of a `"status": "error"` answer (older shapes ccxt still matches exactly [C]).
 */
function readBitstampError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { code, response_code: responseCode, error, status, reason } = body as Record<string, unknown>;
  if (typeof code === 'string' && code !== '') return code;
  if (typeof responseCode === 'string' && responseCode !== '') return responseCode;
  if (error !== undefined && error !== null) return typeof error === 'string' ? error : 'error';
  if (status === 'error') return typeof reason === 'string' ? reason : (firstGeneralReason(reason) ?? 'error');
  return undefined;
}

/** The first `__all__` message of a `reason` object (`{"__all__": ["Minimum order size is 5.0 EUR."]}` [C]). */
function firstGeneralReason(reason: unknown): string | undefined {
  const all = (reason as { __all__?: unknown } | null)?.__all__;
  return Array.isArray(all) && typeof all[0] === 'string' ? all[0] : undefined;
}

function carriesError(body: string): boolean {
  try {
    return readBitstampError(JSON.parse(body)) !== undefined;
  } catch {
    return false;
  }
}

const ACCOUNT_BALANCES: Probe = {
  label: 'account balances',
  purpose: 'account',
  tells: 'the key works and may read balances',
  request: { method: 'POST', path: ACCOUNT_BALANCES_PATH },
  // [C] ccxt `fetchBalance`, [E] bitstonks/bitstamp-go `V2AccountBalancesResponse`: a list of
  // `{"currency": "usdt", "total": "7.00000", "available": "7.00000", "reserved": "0.00000"}`.
  read(body) {
    if (!Array.isArray(body)) throw new Error('expected a list of balances');
    for (const entry of body) {
      if (typeof entry !== 'object' || entry === null) throw new Error('a balance entry is not an object');
      if (typeof (entry as { currency?: unknown }).currency !== 'string') throw new Error('field "currency" of a balance is not a string');
    }
    return { permissions: { view: true } };
  },
  deniedMeans: { view: false },
};

const MARGIN_INFO: Probe = {
  label: 'derivatives margin info',
  purpose: 'futures',
  tells: 'the derivatives (perpetuals) account',
  request: { method: 'GET', path: MARGIN_INFO_PATH },
  // [V] the official spec documents only "Returned margin information"; the fields are [E]
  // bitstonks/bitstamp-go `V2DerivativesMarginInfoResponse` and JKorf/Bitstamp.Net's GetMarginInfo
  // fixture: `{"account_margin": "20000.00", "account_margin_currency": "USD", "assets": [...], ...}`.
  read(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('expected a margin info object');
    const { account_margin: margin, assets } = body as Record<string, unknown>;
    if (typeof margin !== 'string' && typeof margin !== 'number') throw new Error('field "account_margin" is not a number');
    if (!Array.isArray(assets)) throw new Error('field "assets" is not a list');
    return { permissions: { futures: true } };
  },
  deniedMeans: { futures: false },
};

/** The request-form errors of the official table: a header missing or malformed says nothing about the key. */
const REQUEST_FORM_CODES = ['API0010', 'API0012', 'API0013', 'API0014', 'API0015', 'API0016', 'API0018', 'API0019', 'API0020', 'API0021'];

// [V] www.bitstamp.net/api/#section/Authentication "Possible authentication errors" (code and reason),
// answered as `{"status": "error", "reason": "Invalid signature", "code": "API0005"}` with HTTP 403 [E]
// (askmike/gekko#1509, knowm/XChange#1891, gazbert/bxbot#64). The reason texts are ccxt's exact table [C],
// for answers that carry no code (`{"error": "No permission found"}`).
const ERRORS: readonly ErrorRule[] = [
  { error: ['API0001', 'API key not found'], code: 'AUTH_INVALID_KEY' },
  {
    error: ['API0011', 'Wrong API key format'],
    code: 'AUTH_INVALID_KEY',
    note: 'Bitstamp does not recognise the stored API key as a key: store it exactly as Bitstamp showed it.',
  },
  {
    error: ['API0008', 'Authentication failed'],
    code: 'AUTH_INVALID_KEY',
    note: 'Bitstamp found no customer for this API key ("Can\'t find customer with selected API key").',
  },
  { error: ['API0005', 'Invalid signature'], code: 'AUTH_INVALID_SIGNATURE' },
  { error: ['API0002', 'IP address not allowed'], code: 'IP_NOT_ALLOWED' },
  {
    error: ['API0003', 'No permission found'],
    code: 'PERMISSION_MISSING',
    note: 'The key lacks the Bitstamp permission for this read (each endpoint is a separate permission of the key).',
  },
  {
    error: ['API0006', 'Your account is frozen'],
    code: 'KEY_EXPIRED',
    note: 'Bitstamp froze the account: no key of it works until Bitstamp support unfreezes it.',
  },
  {
    error: ['API0009', 'Please update your profile with your FATCA information, before using API.'],
    code: 'PERMISSION_MISSING',
    note: 'Bitstamp refuses API use until the account profile has its FATCA information; the key itself may be fine.',
  },
  { error: 'API0017', code: 'CLOCK_SKEW_REJECTED' },
  {
    error: ['API0004', 'Invalid nonce'],
    code: 'UNEXPECTED_RESPONSE',
    note: 'Bitstamp refused the nonce as used in the last 300 seconds; every request here carries a fresh random one, so the request was replayed or altered on the way.',
  },
  {
    // [C] "Missing key, signature and nonce parameters": Bitstamp saw no authentication at all.
    error: [...REQUEST_FORM_CODES, 'Missing key, signature and nonce parameters'],
    code: 'UNEXPECTED_RESPONSE',
    note: 'Bitstamp refused the form of the request (an authentication header missing or malformed, or a Content-Type it does not take), which says nothing about the key; a proxy between this host and Bitstamp may have changed the request.',
  },
  {
    // [V] margin_info: "400 API5506 Trade account does not support derivatives."
    error: 'API5506',
    code: 'PERMISSION_MISSING',
    note: 'The Bitstamp account has no derivatives (perpetuals) trading: enable it on Bitstamp, or set expect.futures to false for a spot-only key.',
  },
  // [V] response codes: 400.002 "Request rejected due to exceeded rate limit.", 400.067 client and 400.068 market rate limit.
  { error: ['400.002', '400.067', '400.068'], code: 'RATE_LIMITED' },
  // [C] ccxt's exact table: OnMaintenance.
  { error: "Bitstamp.net is under scheduled maintenance. We'll be back soon.", code: 'EXCHANGE_UNAVAILABLE' },
];

/**
 * Bitstamp HTTP API v2: `X-Auth*` headers with a hex HMAC-SHA256 of the request under the raw
 * secret, a fresh UUID nonce and a millisecond timestamp within 150 s; Bitstamp signs its successful
 * answers back. There is no time endpoint and no key introspection: the account balances prove the
 * key and its read permission, the derivatives margin info the perpetuals account.
 */
export const bitstamp: ExchangeAdapter<BitstampCredentials> = {
  id: ID,
  displayName: 'Bitstamp',
  guide: {
    api: 'Bitstamp HTTP API v2 (spot and derivatives)',
    secret:
      'A Bitstamp API key (Settings → API access): `apiKey` is the key and `apiSecret` the secret, both exactly as Bitstamp shows them when the key is created (the secret is shown once). Not the `BITSTAMP ` prefix of the `X-Auth` header, and no customer ID: API v2 does not use it. The key needs the permission to read account balances; a futures check also reads the derivatives margin info.',
    secretExample: { apiKey: 'aBcD…', apiSecret: 'xYz9…' },
    clock: '±150 s (Bitstamp refuses a timestamp further off with API0017)',
    notes:
      'Bitstamp has no key-introspection endpoint: whether the key may trade or withdraw, its IP allow-list and any expiry are not reported (an IP outside the allow-list shows as `IP_NOT_ALLOWED`). Bitstamp signs its successful answers (`X-Server-Auth-Signature`); an answer that does not verify is reported as `UNEXPECTED_RESPONSE`, never believed. An account without derivatives answers the margin-info read with API5506 (`PERMISSION_MISSING`); set `expect.futures` to false for a spot-only key. There is no sandbox that checks keys.',
  },
  origin: 'https://www.bitstamp.net',
  // [V] The spec lists https://sandbox.bitstamp.net as "Test server", but no source says how keys are
  // made for it or that it authenticates production keys (community notes only show its public
  // endpoints answering, [E]), and ccxt marks bitstamp `sandbox: false` [C]. A host that cannot be
  // shown to check keys would only report them healthy, so `sandbox: true` is refused instead.
  sandboxOrigin: null,
  allowList: [`POST ${ACCOUNT_BALANCES_PATH}`, `GET ${MARGIN_INFO_PATH}`],
  clockWindow: { aheadMs: WINDOW_MS, behindMs: WINDOW_MS },
  // [V] the spec has no time endpoint and ccxt 4.5.84 has no bitstamp `fetchTime` [C]: the clock comes
  // from the `Date` header of the signed answers.
  time: null,

  parseCredentials(secret) {
    const fields = readSecretFields(secret, FIELDS, ID);
    if (!fields.ok) return fields;
    // Surrounding whitespace is a paste artefact; Bitstamp keys and secrets have none inside.
    const apiKey = fields.values.apiKey.trim();
    const apiSecret = fields.values.apiSecret.trim();
    if (/^BITSTAMP\s/i.test(apiKey))
      return invalid('field "apiKey" must be the key alone, without the "BITSTAMP " prefix of the X-Auth header');
    if (/\s/.test(apiKey)) return invalid('field "apiKey" must not contain spaces or line breaks');
    if (/\s/.test(apiSecret)) return invalid('field "apiSecret" must not contain spaces or line breaks');
    return { ok: true, credentials: { apiKey, apiSecret } };
  },

  secretValues: (c) => [c.apiSecret],

  sign(request, credentials, { nowMs, random }) {
    const nonce = makeBitstampNonce(random(16));
    const timestamp = String(Math.floor(nowMs));
    const body = request.body ?? '';
    const signature = computeHmac(
      'sha256',
      credentials.apiSecret,
      bitstampSigningMessage(credentials.apiKey, request, nonce, timestamp),
      'hex',
    );
    return {
      headers: {
        'X-Auth': `BITSTAMP ${credentials.apiKey}`,
        'X-Auth-Signature': signature,
        'X-Auth-Nonce': nonce,
        'X-Auth-Timestamp': timestamp,
        'X-Auth-Version': 'v2',
        // [V] no Content-Type without a body: Bitstamp answers API0020 "Content-Type header should not be
        // present" (also [E] knowm/XChange#4038). ccxt sends a dummy `foo=bar` body instead [C]; not needed.
        ...(body !== '' && { 'Content-Type': FORM_CONTENT_TYPE }),
      },
      // The nonce and timestamp are not secret, but like the signature they are signed header values, kept out of messages.
      sensitive: [signature, nonce, timestamp],
      checkAnswer: (answer) => checkBitstampAnswer(credentials.apiSecret, nonce, timestamp, answer),
    };
  },

  probes: (scope) => (scope.futures ? [ACCOUNT_BALANCES, MARGIN_INFO] : [ACCOUNT_BALANCES]),

  readError: readBitstampError,
  errors: ERRORS,
};

function invalid(problem: string): CredentialsResult<BitstampCredentials> {
  return { ok: false, finding: makeSecretInvalidFinding(problem, FIELDS, ID) };
}
