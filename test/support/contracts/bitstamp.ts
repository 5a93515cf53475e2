import { createHmac } from 'node:crypto';
import ccxt from 'ccxt';
import { bitstamp } from '../../../lambda/exchanges/bitstamp';
import type { HttpRequest } from '../../../lambda/http/http-client';
import type { AdapterContract, DocumentedError, OracleRequest, SecretFields } from '../contract';
import { simulator } from '../simulator/bitstamp';

/** The v4 UUID of sixteen 0xab bytes (version nibble 4, variant bits 10), ccxt's `uuid()` pinned to what `signAt` gives us. */
export const PINNED_NONCE = 'abababab-abab-4bab-abab-abababababab';

/** ccxt 4.5.84's bitstamp `sign()` for the same read, with its clock and nonce frozen. */
export function ccxtBitstampSign(method: 'GET' | 'POST', path: string, secret: SecretFields, nowMs: number, params = {}): OracleRequest {
  const exchange = new ccxt.bitstamp({ apiKey: secret.apiKey, secret: secret.apiSecret });
  exchange.milliseconds = () => nowMs;
  exchange.seconds = () => Math.floor(nowMs / 1000);
  exchange.uuid = () => PINNED_NONCE;
  exchange.options.timeDifference = 0;
  const signed = exchange.sign(path.replace('/api/v2/', ''), 'private', method, params);
  return { url: signed.url, headers: signed.headers, body: signed.body };
}

/**
 * The documented X-Auth-Signature recomputed on its own from what a request carries: hex HMAC-SHA256
 * under the raw secret of `'BITSTAMP ' + key + METHOD + host + path + query + Content-Type + nonce +
 * timestamp + 'v2' + body` ([V] official Python sample, www.bitstamp.net/api/#section/Authentication).
 */
export function documentedSignature(
  request: { method: string; url: string; headers: Readonly<Record<string, string>>; body?: string | undefined },
  secret: SecretFields,
): string {
  const url = new URL(request.url);
  const header = (name: string) => Object.entries(request.headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1] ?? '';
  const message = `BITSTAMP ${secret.apiKey}${request.method}${url.host}${url.pathname}${url.search}${header('Content-Type')}${header('X-Auth-Nonce')}${header('X-Auth-Timestamp')}v2${request.body ?? ''}`;
  return createHmac('sha256', secret.apiSecret ?? '')
    .update(message)
    .digest('hex');
}

const AUTH_HEADERS = ['X-Auth', 'X-Auth-Nonce', 'X-Auth-Timestamp', 'X-Auth-Version'] as const;

/**
 * Compares ours with ccxt's. ccxt deliberately differs on an empty POST: it sends a dummy `foo=bar`
 * body with a form Content-Type (its workaround for API0020, ccxt/ccxt#6846), where Bitstamp's spec says
 * to send and sign neither ([V] "if the request body is empty, the Content-Type header has to be removed
 * both from the headers and from the signature"). So: the key, nonce, timestamp and version headers and
 * the URL always equal ccxt's; both signatures equal the documented formula recomputed independently
 * (which ccxt's thus confirms byte for byte); and where ccxt sends no dummy (the GET), ours is ccxt's exactly.
 */
function verify(ours: HttpRequest, theirs: OracleRequest | null, secret: SecretFields): void {
  if (!theirs) throw new Error('no ccxt oracle');
  expect(ours.url).toBe(theirs.url);
  for (const header of AUTH_HEADERS) expect([header, ours.headers[header]]).toEqual([header, theirs.headers[header]]);
  expect(theirs.headers['X-Auth-Signature']).toBe(documentedSignature({ ...theirs, method: ours.method }, secret));
  expect(ours.headers['X-Auth-Signature']).toBe(documentedSignature(ours, secret));
  expect(ours.body).toBeUndefined();
  expect(ours.headers['Content-Type']).toBeUndefined();
  if (theirs.body === undefined) expect(ours.headers['X-Auth-Signature']).toBe(theirs.headers['X-Auth-Signature']);
  else expect([theirs.body, theirs.headers['Content-Type']]).toEqual(['foo=bar', 'application/x-www-form-urlencoded']);
}

/** The v2 error shape of the official table ([V] code and reason; [E] the envelope and HTTP 403). */
function v2(code: string, reason: string, source: string, status = 403): DocumentedError {
  const codeOf: Record<string, DocumentedError['code']> = {
    API0001: 'AUTH_INVALID_KEY',
    API0002: 'IP_NOT_ALLOWED',
    API0003: 'PERMISSION_MISSING',
    API0004: 'UNEXPECTED_RESPONSE',
    API0005: 'AUTH_INVALID_SIGNATURE',
    API0006: 'KEY_EXPIRED',
    API0008: 'AUTH_INVALID_KEY',
    API0009: 'PERMISSION_MISSING',
    API0011: 'AUTH_INVALID_KEY',
    API0017: 'CLOCK_SKEW_REJECTED',
    API5506: 'PERMISSION_MISSING',
  };
  return { status, body: JSON.stringify({ status: 'error', reason, code }), code: codeOf[code] ?? 'UNEXPECTED_RESPONSE', source };
}

const TABLE = '[V] bitstamp.net/api Authentication errors';

/** Bitstamp API v2: X-Auth* headers against ccxt's bitstamp, with the empty-POST difference verified against the documented formula. */
export const contract: AdapterContract = {
  adapter: bitstamp,
  simulator,
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_SIGNATURE'],
  ccxtSign: (request, secret, nowMs) => ccxtBitstampSign(request.method, request.path, secret, nowMs),
  compare: { verify },
  documentedErrors: [
    v2('API0001', 'API key not found', `${TABLE}; [E] ccxt/ccxt#2611 body, knowm/XChange#1891 HTTP 403`),
    v2('API0002', 'IP address not allowed', TABLE),
    v2('API0003', 'No permission found', TABLE),
    v2('API0004', 'Invalid nonce', `${TABLE}; [E] gazbert/bxbot#64 body and HTTP 403`),
    v2('API0005', 'Invalid signature', `${TABLE}; [E] askmike/gekko#1509 body and HTTP 403`),
    v2('API0006', 'Your account is frozen', TABLE),
    v2('API0008', 'Authentication failed', `${TABLE}; [E] kmadac/bitstamp-python-client#44 HTTP 403`),
    v2('API0009', 'Please update your profile with your FATCA information, before using API.', TABLE),
    v2('API0010', 'Invalid version', TABLE),
    v2('API0011', 'Wrong API key format', `${TABLE}; [C] ccxt exact table (ccxt/ccxt#12396)`),
    v2('API0012', 'X-Auth header is required', TABLE),
    v2('API0013', 'X-Auth-Signature header is required', TABLE),
    v2('API0014', 'X-Auth-Nonce header is required', TABLE),
    v2('API0015', 'X-Auth-Timestamp header is required', TABLE),
    v2('API0016', 'X-Auth-Version header is required', TABLE),
    v2('API0017', 'X-Auth-Timestamp header is out of boundaries', `${TABLE}; [U] HTTP status`),
    v2('API0018', 'X-Auth-Timestamp header is invalid', TABLE),
    v2('API0019', 'Content-Type header is not accepted', `${TABLE}; [E] ccxt/ccxt#22739 body`),
    v2('API0020', 'Content-Type header should not be present', TABLE),
    v2('API0021', 'Please make sure url query string is not too long', TABLE),
    v2('API5506', 'Trade account does not support derivatives.', '[V] bitstamp.net/api margin_info: 400 API5506', 400),
    {
      status: 403,
      body: '{"error": "No permission found"}',
      code: 'PERMISSION_MISSING',
      source: '[C] ccxt bitstamp handleErrors comment (fetchDepositAddress without the permission)',
    },
    {
      status: 403,
      body: '{"error": "Missing key, signature and nonce parameters"}',
      code: 'UNEXPECTED_RESPONSE',
      source: '[C] ccxt exact table; [E] ccxt/ccxt#540',
    },
    {
      status: 200,
      body: '{"error": "Bitstamp.net is under scheduled maintenance. We\'ll be back soon."}',
      code: 'EXCHANGE_UNAVAILABLE',
      source: '[C] ccxt exact table (OnMaintenance)',
    },
    ...(['400.002', '400.067', '400.068'] as const).map((responseCode) => ({
      status: 400,
      body: JSON.stringify({ status: 'error', reason: 'Request rejected due to exceeded rate limit.', response_code: responseCode }),
      code: 'RATE_LIMITED' as const,
      source: `[V] bitstamp.net/api response codes: ${responseCode}`,
    })),
  ],
  malformedSecrets: [
    [{ apiSecret: 'c2VjcmV0c2VjcmV0c2VjcmV0' }, 'has no "apiKey" field'],
    [{ apiKey: 'aBcDeFgHiJkLmNoPqRsTuVwXyZ012345' }, 'has no "apiSecret" field'],
    [{ apiKey: 'aBcDeFgHiJkLmNoPqRsTuVwXyZ012345', apiSecret: 42 }, 'field "apiSecret" must be a non-empty string'],
    [{ apiKey: 'BITSTAMP aBcDeFgHiJkLmNoPqRsTuVwXyZ012345', apiSecret: 'c2VjcmV0c2VjcmV0c2VjcmV0' }, 'without the "BITSTAMP " prefix'],
    [{ apiKey: 'aBcDeFgH iJkLmNoP', apiSecret: 'c2VjcmV0c2VjcmV0c2VjcmV0' }, 'field "apiKey" must not contain spaces'],
    [{ apiKey: 'aBcDeFgHiJkLmNoPqRsTuVwXyZ012345', apiSecret: 'c2VjcmV0 c2VjcmV0' }, 'field "apiSecret" must not contain spaces'],
  ],
};
