import ccxt from 'ccxt';
import { gate } from '../../../lambda/exchanges/gate';
import type { AdapterContract } from '../contract';
import { simulator } from '../simulator/gate';

/** How ccxt 4.5.84 names each read: `sign(path, api, 'GET', params)` as gate.js's api table has it. */
const CCXT_READS: Readonly<Record<string, readonly [string, readonly string[], Record<string, string>]>> = {
  '/api/v4/futures/usdt/accounts': ['{settle}/accounts', ['private', 'futures'], { settle: 'usdt' }],
  '/api/v4/account/detail': ['detail', ['private', 'account'], {}],
  '/api/v4/account/main_keys': ['main_keys', ['private', 'account'], {}],
};

/** Gate: KEY / Timestamp / SIGN byte for byte against ccxt's gate with its clock frozen. */
export const contract: AdapterContract = {
  adapter: gate,
  simulator,
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_SIGNATURE'],
  ccxtSign(request, secret, nowMs) {
    const read = CCXT_READS[request.path];
    if (!read) return null;
    const exchange = new ccxt.gate({ apiKey: secret.apiKey, secret: secret.apiSecret });
    // gate.sign(): nonce() = milliseconds() - options.timeDifference, then parseToInt(nonce / 1000).
    exchange.milliseconds = () => nowMs;
    exchange.options.timeDifference = 0;
    const [path, api, params] = read;
    const signed = exchange.sign(path, [...api], request.method, { ...params });
    return { url: signed.url, headers: signed.headers, body: signed.body };
  },
  compare: { authHeaders: ['KEY', 'Timestamp', 'SIGN'] },
  documentedErrors: [
    {
      status: 401,
      body: '{"label":"INVALID_KEY","message":"Invalid key provided"}',
      code: 'AUTH_INVALID_KEY',
      source: '[E] ccxt/ccxt#12600',
    },
    {
      status: 401,
      body: '{"label":"INVALID_CREDENTIALS","message":"Invalid credentials provided"}',
      code: 'AUTH_INVALID_KEY',
      source: '[V] gate.io/docs/developers/apiv4/en/#label-list (message text is the label’s meaning)',
    },
    {
      status: 401,
      body: '{"label":"INVALID_SIGNATURE","message":"Signature mismatch"}\n',
      code: 'AUTH_INVALID_SIGNATURE',
      source: '[E] gateio/gateapi-python#15, gateio/gateapi-java#31',
    },
    {
      status: 401,
      body: '{"label":"REQUEST_EXPIRED","message":"gap between request Timestamp and server time exceeds 60"}',
      code: 'CLOCK_SKEW_REJECTED',
      source: '[E] gateio/rest-v4#8',
    },
    {
      status: 401,
      body: '{"message":"gap between request Timestamp and server time exceeds 60","label":"REQUEST_EXPIRED"}',
      code: 'CLOCK_SKEW_REJECTED',
      source: '[E] ccxt/ccxt#13330 (fields in this order)',
    },
    {
      status: 401,
      body: '{"label":"IP_FORBIDDEN","message":"Request IP not in whitelist"}',
      code: 'IP_NOT_ALLOWED',
      source: '[E] gateio/gateapi-go#3 (2020; status [U], an authentication label)',
    },
    {
      status: 403,
      body: '{"label":"FORBIDDEN","message":"Request IP not in whitelist: 1.1.1.1"}',
      code: 'IP_NOT_ALLOWED',
      source: '[E] ob_gateio ccxt-extension test fixture (403)',
    },
    {
      status: 403,
      body: '{"label":"FORBIDDEN","message":"Request API key does not have account permission"}',
      code: 'PERMISSION_MISSING',
      source: '[E] a Gate client’s test fixture: a futures-only key refused on account/detail and account/main_keys',
    },
    {
      status: 403,
      body: '{"message":"Request API key does not have wallet permission","label":"FORBIDDEN"}',
      code: 'PERMISSION_MISSING',
      source: '[E] client notes quoting ccxt: gateio {"message":"Request API key does not have wallet permission","label":"FORBIDDEN"}',
    },
    {
      status: 403,
      body: '{"label":"READ_ONLY","message":"API key is read-only"}',
      code: 'PERMISSION_MISSING',
      source: '[V] docs label list (message text is the label’s meaning; status [U])',
    },
    {
      status: 400,
      body: '{"label":"USER_NOT_FOUND","detail":"please transfer funds first to create futures account"}',
      code: 'PERMISSION_MISSING',
      source: '[E] ccxt/ccxt#13249; 400 in client fixtures',
    },
    { status: 400, body: '{"label":"USER_NOT_FOUND"}', code: 'PERMISSION_MISSING', source: '[E] gateio/gateapi-go#3 (comment)' },
    {
      status: 403,
      body: '{"label":"ACCOUNT_LOCKED","message":"Account is locked"}',
      code: 'KEY_EXPIRED',
      source: '[V] docs label list; [C] ccxt AccountSuspended (status [U])',
    },
    {
      status: 429,
      body: '{"label":"TOO_MANY_REQUESTS","message":"Too many requests"}',
      code: 'RATE_LIMITED',
      source: '[C] ccxt gate exact table; [V] docs status 429 "Too many requests"',
    },
    {
      status: 503,
      body: '{"label":"TOO_BUSY","message":"Server is too busy at the moment"}',
      code: 'EXCHANGE_UNAVAILABLE',
      source: '[V] docs label list, server errors',
    },
    {
      status: 200,
      body: '{"label":"INTERNAL","message":"Internal server error"}',
      code: 'EXCHANGE_UNAVAILABLE',
      source: '[V] docs label list (a label on a 2xx is never a success)',
    },
    {
      status: 401,
      body: '{"label":"MISSING_REQUIRED_HEADER","message":"Missing required authentication header"}',
      code: 'UNEXPECTED_RESPONSE',
      source: '[V] docs label list: our request would be malformed, which says nothing about the key',
    },
    { status: 404, body: '{"label":"NOT_FOUND"}', code: 'UNEXPECTED_RESPONSE', source: '[E] gateio/gateapi-python#13' },
  ],
  malformedSecrets: [
    [{ apiSecret: 'a'.repeat(64) }, 'has no "apiKey" field'],
    [{ apiKey: 'b'.repeat(32) }, 'has no "apiSecret" field'],
    [{ apiKey: 'b'.repeat(32), apiSecret: 64 }, 'field "apiSecret" must be a non-empty string'],
    [{ apiKey: 'b'.repeat(32), apiSecret: `${'c'.repeat(64)}\n` }, 'field "apiSecret" has leading or trailing whitespace'],
    [{ apiKey: ` ${'b'.repeat(32)}`, apiSecret: 'c'.repeat(64) }, 'field "apiKey" has leading or trailing whitespace'],
  ],
};
