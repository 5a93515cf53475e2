import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { SimulatedExchange } from './simulated-exchange';

const ACCOUNT_BALANCES = '/api/v2/account_balances/';
const MARGIN_INFO = '/api/v2/margin_info/';
/** [V] API0017: the timestamp must be "within 150 second timeframe" of Bitstamp's clock. */
const BITSTAMP_WINDOW_MS = 150_000;
/** [V] API0004: a nonce "must be different than last nonce used in the last 300 seconds". */
const NONCE_MEMORY_MS = 300_000;
const FORM = 'application/x-www-form-urlencoded';
/** Bitstamp answers JSON as `application/json` ([E] ccxt/ccxt#540 response log); the server signature covers this value. */
const ANSWER_CONTENT_TYPE = 'application/json';

/** Nonces seen per key, with the simulated time they were used: what Bitstamp remembers for 300 s. */
const usedNonces = new Map<string, number>();

/**
 * Bitstamp API v2 as the tests see it. It checks a request the way the official error table lists
 * the failures ([V] www.bitstamp.net/api/#section/Authentication), cheapest first: the five `X-Auth*`
 * headers (API0012–16), the version (API0010), the key's form (API0011), the Content-Type (API0019,
 * API0020 when there is no body), the timestamp's form and its 150 s window (API0018, API0017), the
 * key (API0001), the nonce (API0004), the HMAC over `'BITSTAMP ' + key + METHOD + www.bitstamp.net +
 * path + contentType + nonce + timestamp + 'v2' + body` (API0005, hex in either case: the official Java
 * sample sends upper case), then the IP (API0002), a frozen account (API0006) and the read permission
 * (API0003). The order among them is not documented [U]. Errors are HTTP 403
 * `{"status": "error", "reason": …, "code": …}` ([E] knowm/XChange#1891, gazbert/bxbot#64,
 * askmike/gekko#1509; [U] for the codes no report shows). `margin_info` answers 400 API5506 for an
 * account without derivatives [V]. Successful answers carry `X-Server-Auth-Signature` over
 * nonce + timestamp + Content-Type + body, as the official samples verify [V]; error answers do not [U].
 *
 * `SimKey.extra.rateLimited: true` answers every request of the key with the documented rate-limit code
 * (`response_code` 400.002 [V]; the envelope around it is [U]).
 */
export const bitstampHandler: ExchangeHandler = (request, keys) => {
  const route = `${request.method} ${request.path}`;
  // [U] what Bitstamp answers for a path it does not serve: a plain HTML 404 is assumed.
  if (route !== `POST ${ACCOUNT_BALANCES}` && route !== `GET ${MARGIN_INFO}`)
    return { status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not Found</h1>' };
  const auth = authenticate(request, keys);
  if ('status' in auth) return auth;
  const { key, nonce, timestamp } = auth;
  if (key.ipBlocked) return refuse('API0002', 'IP address not allowed');
  if (key.disabled) return refuse('API0006', 'Your account is frozen');
  if (key.extra?.rateLimited === true)
    return json(400, {
      status: 'error',
      reason: 'Request rejected due to exceeded rate limit.',
      response_code: '400.002',
      response_explanation: 'Request rejected due to exceeded rate limit.',
    });
  if (!key.permissions.view) return refuse('API0003', 'No permission found');
  if (request.path === MARGIN_INFO && !key.futures)
    return json(400, { status: 'error', reason: 'Trade account does not support derivatives.', code: 'API5506' });
  return signed(key, nonce, timestamp, request.path === ACCOUNT_BALANCES ? BALANCES : MARGIN);
};

function authenticate(
  request: SimRequest,
  keys: ReadonlyMap<string, SimKey>,
): { key: SimKey; nonce: string; timestamp: string } | SimResponse {
  const h = request.headers;
  const xAuth = h['x-auth'];
  const signature = h['x-auth-signature'];
  const nonce = h['x-auth-nonce'];
  const timestamp = h['x-auth-timestamp'];
  const version = h['x-auth-version'];
  if (xAuth === undefined) return refuse('API0012', 'X-Auth header is required');
  if (signature === undefined) return refuse('API0013', 'X-Auth-Signature header is required');
  if (nonce === undefined) return refuse('API0014', 'X-Auth-Nonce header is required');
  if (timestamp === undefined) return refuse('API0015', 'X-Auth-Timestamp header is required');
  if (version === undefined) return refuse('API0016', 'X-Auth-Version header is required');
  if (version !== 'v2') return refuse('API0010', 'Invalid version');
  const apiKey = /^BITSTAMP ([A-Za-z0-9]+)$/.exec(xAuth)?.[1];
  if (!apiKey) return refuse('API0011', 'Wrong API key format');
  const contentType = h['content-type'];
  if (request.body === '' && contentType !== undefined) return refuse('API0020', 'Content-Type header should not be present');
  if (request.body !== '' && contentType !== FORM) return refuse('API0019', 'Content-Type header is not accepted');
  if (!/^\d{13}$/.test(timestamp)) return refuse('API0018', 'X-Auth-Timestamp header is invalid');
  if (Math.abs(Number(timestamp) - request.serverNowMs) > BITSTAMP_WINDOW_MS)
    return refuse('API0017', 'X-Auth-Timestamp header is out of boundaries');
  const key = keys.get(apiKey);
  if (!key) return refuse('API0001', 'API key not found');
  forgetOldNonces(request.serverNowMs);
  const nonceId = `${apiKey} ${nonce}`;
  if (!/^[0-9a-f-]{36}$/.test(nonce) || usedNonces.has(nonceId)) return refuse('API0004', 'Invalid nonce');
  const query = request.query ? `?${request.query}` : '';
  const message = `${xAuth}${request.method}www.bitstamp.net${request.path}${query}${request.body === '' ? '' : FORM}${nonce}${timestamp}v2${request.body}`;
  const expected = createHmac('sha256', key.secret).update(message).digest();
  const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse('API0005', 'Invalid signature');
  usedNonces.set(nonceId, request.serverNowMs);
  return { key, nonce, timestamp };
}

/** Drops nonces older than Bitstamp's memory; the map is in the order they were used, so it stops at the first young one. */
function forgetOldNonces(nowMs: number): void {
  for (const [id, usedAtMs] of usedNonces) {
    if (nowMs - usedAtMs <= NONCE_MEMORY_MS) return;
    usedNonces.delete(id);
  }
}

function refuse(code: string, reason: string): SimResponse {
  return json(403, { status: 'error', reason, code });
}

/** A 200 signed as Bitstamp signs its answers: hex HMAC-SHA256(secret, nonce + timestamp + Content-Type + body). */
function signed(key: SimKey, nonce: string, timestamp: string, payload: unknown): SimResponse {
  const body = JSON.stringify(payload);
  const signature = createHmac('sha256', key.secret).update(`${nonce}${timestamp}${ANSWER_CONTENT_TYPE}${body}`).digest('hex');
  return { status: 200, body, headers: { 'content-type': ANSWER_CONTENT_TYPE, 'x-server-auth-signature': signature } };
}

// [C] ccxt `fetchBalance` comment; [E] bitstonks/bitstamp-go `V2AccountBalancesResponse`.
const BALANCES = [
  { currency: 'usd', total: '1500.00', available: '1250.00', reserved: '250.00' },
  { currency: 'btc', total: '0.05000000', available: '0.05000000', reserved: '0.00000000' },
];
// [E] JKorf/Bitstamp.Net GetMarginInfo fixture, bitstonks/bitstamp-go `V2DerivativesMarginInfoResponse`.
const MARGIN = {
  account_margin: '20000.00',
  account_margin_available: '18000.00',
  account_margin_reserved: '2000.00',
  account_margin_currency: 'USD',
  assets: [{ asset: 'USD', total_amount: '20000.00', available: '18000.00', reserved: '2000.00', margin_available: '18000.00' }],
  initial_margin_ratio: '3.00',
  maintenance_margin_ratio: '3.12',
  implied_leverage: '3.12',
};

const READ_ONLY = { view: true, trade: false, transfer: false };

/** A fresh Bitstamp-looking key (alphanumeric, as the API0011 check wants) and secret. */
function newKey(): { apiKey: string; apiSecret: string } {
  return { apiKey: randomBytes(16).toString('hex'), apiSecret: randomBytes(16).toString('hex') };
}

/** A fresh key the simulator knows (read-only, with derivatives unless `key` says otherwise) and its secret. */
function knownKey(key: Partial<SimKey> = {}): { simKey: SimKey; secret: { apiKey: string; apiSecret: string } } {
  const { apiKey, apiSecret } = newKey();
  return { simKey: { apiKey, secret: apiSecret, permissions: READ_ONLY, futures: true, ...key }, secret: { apiKey, apiSecret } };
}

/** Bitstamp for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'bitstamp',
  handler: bitstampHandler,
  makeKey: () => knownKey(),
  demoKeys() {
    const healthy = knownKey();
    const spot = knownKey({ futures: false });
    const noDerivatives = knownKey({ futures: false });
    const ipBound = knownKey({ ipBlocked: true, ipRestricted: true });
    const wrongSecret = knownKey();
    const skewed = knownKey();
    const unsigned = knownKey();
    return [
      { name: 'bs-perps', ...healthy, codes: [] },
      // A spot-only key checked without the derivatives read.
      { name: 'bs-spot', ...spot, expect: { futures: false }, codes: [] },
      // margin_info answers 400 API5506 "Trade account does not support derivatives."
      { name: 'bs-no-derivatives', ...noDerivatives, codes: ['PERMISSION_MISSING'] },
      { name: 'bs-ip-bound', ...ipBound, codes: ['IP_NOT_ALLOWED'] },
      {
        name: 'bs-wrong-secret',
        simKey: wrongSecret.simKey,
        secret: { ...wrongSecret.secret, apiSecret: newKey().apiSecret },
        codes: ['AUTH_INVALID_SIGNATURE'],
      },
      // Our clock 200 s ahead of Bitstamp's: past the 150 s window (API0017).
      { name: 'bs-host-clock', ...skewed, codes: ['CLOCK_SKEW_REJECTED'], conditions: { skewMs: -200_000 } },
      // A success answer without Bitstamp's X-Server-Auth-Signature (a proxy rewrote it): never believed.
      {
        name: 'bs-unsigned-answer',
        ...unsigned,
        codes: ['UNEXPECTED_RESPONSE'],
        conditions: {
          misbehave: { kind: 'status', status: 200, headers: { 'content-type': ANSWER_CONTENT_TYPE }, body: JSON.stringify(BALANCES) },
        },
      },
    ];
  },
};
