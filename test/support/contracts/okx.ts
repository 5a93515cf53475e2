import ccxt from 'ccxt';
import { okx } from '../../../lambda/exchanges/okx';
import type { AdapterContract, DocumentedError } from '../contract';
import { simulator } from '../simulator/okx';

const TABLE = '[V] docs-v5 error codes, REST API Public';

/** The documented envelope of an OKX error: `{"code","data":[],"msg"}`. */
function envelope(status: number, code: string, msg: string, source: string, expected: DocumentedError['code']): DocumentedError {
  return { status, body: JSON.stringify({ code, data: [], msg }), code: expected, source };
}

/** OKX v5: OK-ACCESS-* headers byte for byte against ccxt 4.5.84's okx, its clock frozen. */
export const contract: AdapterContract = {
  adapter: okx,
  simulator,
  // The simulator answers 50119 "API key doesn't exist" for a well-formed key it does not hold.
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_SIGNATURE'],
  ccxtSign(request, secret, nowMs) {
    const exchange = new ccxt.okx({ apiKey: secret.apiKey, secret: secret.apiSecret, password: secret.passphrase });
    exchange.milliseconds = () => nowMs;
    exchange.options.timeDifference = 0;
    const params = Object.fromEntries(new URLSearchParams(request.query ?? ''));
    const signed = exchange.sign(request.path.replace('/api/v5/', ''), 'private', request.method, params);
    return { url: signed.url, headers: signed.headers, body: signed.body };
  },
  compare: { authHeaders: ['OK-ACCESS-KEY', 'OK-ACCESS-SIGN', 'OK-ACCESS-TIMESTAMP', 'OK-ACCESS-PASSPHRASE'] },
  documentedErrors: [
    { status: 401, body: '{"msg":"Invalid OK-ACCESS-KEY","code":"50111"}', code: 'AUTH_INVALID_KEY', source: '[E] pyted/okx#1' },
    envelope(200, '50119', "API key doesn't exist", TABLE, 'AUTH_INVALID_KEY'),
    {
      status: 401,
      body: '{"msg":"API key doesn\'t exist","code":"50119"}',
      code: 'AUTH_INVALID_KEY',
      source: '[E] ccxt#23779, ccxt#25403',
    },
    {
      status: 401,
      body: '{"msg":"APIKey does not match current environment.","code":"50101"}',
      code: 'AUTH_INVALID_KEY',
      source: '[E] pyted/okx#9',
    },
    {
      status: 401,
      body: '{"msg":"Broker id of APIKey does not match current environment.","code":"50101"}',
      code: 'AUTH_INVALID_KEY',
      source: '[E] jane-cloud/Open-API-SDK-V5#7 (older wording, also in ccxt’s okx table [C])',
    },
    envelope(401, '50113', 'Invalid signature.', TABLE, 'AUTH_INVALID_SIGNATURE'),
    envelope(401, '50105', 'Request header "OK-ACCESS-PASSPHRASE" incorrect.', TABLE, 'AUTH_INVALID_PASSPHRASE'),
    {
      status: 401,
      body: '{"msg":"Request header OK-ACCESS-PASSPHRASE incorrect.","code":"50105"}',
      code: 'AUTH_INVALID_PASSPHRASE',
      source: '[E] ccxt#22265, sieblyio/okx-api#116',
    },
    envelope(401, '50102', 'Timestamp request expired.', TABLE, 'CLOCK_SKEW_REJECTED'),
    envelope(401, '50112', 'Invalid OK-ACCESS-TIMESTAMP.', TABLE, 'CLOCK_SKEW_REJECTED'),
    envelope(401, '50110', "Your IP 203.0.113.7 is not included in your API key's IP whitelist.", TABLE, 'IP_NOT_ALLOWED'),
    envelope(400, '50100', 'API frozen, please contact customer service.', TABLE, 'KEY_EXPIRED'),
    envelope(200, '50120', "This API key doesn't have permission to use this function", TABLE, 'PERMISSION_MISSING'),
    envelope(200, '50030', "You don't have permission to use this API endpoint", TABLE, 'PERMISSION_MISSING'),
    envelope(403, '50035', 'This endpoint requires that APIKey must be bound to IP', TABLE, 'PERMISSION_MISSING'),
    envelope(429, '50011', 'Too Many Requests', TABLE, 'RATE_LIMITED'),
    envelope(
      200,
      '50011',
      'Rate limit reached. Please refer to API documentation and throttle requests accordingly.',
      TABLE,
      'RATE_LIMITED',
    ),
    envelope(503, '50001', 'Service temporarily unavailable. Please try again later.', TABLE, 'EXCHANGE_UNAVAILABLE'),
    envelope(
      400,
      '50004',
      'API endpoint request timeout. (does not mean that the request was successful or failed, please check the request result).',
      TABLE,
      'EXCHANGE_UNAVAILABLE',
    ),
    envelope(410, '50005', 'API endpoint is inactive or unavailable.', TABLE, 'EXCHANGE_UNAVAILABLE'),
    envelope(429, '50013', 'Systems are busy. Please try again later.', TABLE, 'EXCHANGE_UNAVAILABLE'),
    envelope(500, '50026', 'System error. Try again later', TABLE, 'EXCHANGE_UNAVAILABLE'),
    envelope(200, '50121', "You can't access our services through the IP address (203.0.113.7)", TABLE, 'LOCATION_BLOCKED'),
    // A header lost on the way (a proxy, our bug) and OKX's unspecific 50114 say nothing certain about the key.
    envelope(401, '50103', 'Request header "OK-ACCESS-KEY" cannot be empty.', TABLE, 'UNEXPECTED_RESPONSE'),
    envelope(401, '50114', 'Invalid authorization.', TABLE, 'UNEXPECTED_RESPONSE'),
  ],
  malformedSecrets: [
    [{ apiSecret: '22582BD0CFF14C41EDBF1AB98506286D', passphrase: 'Pass-word-1!' }, 'has no "apiKey" field'],
    [{ apiKey: '985d5b66-57ce-40fb-b714-afc0b9787083', apiSecret: '22582BD0CFF14C41EDBF1AB98506286D' }, 'has no "passphrase" field'],
    [
      { apiKey: '985d5b66-57ce-40fb-b714-afc0b9787083', apiSecret: '22582BD0CFF14C41EDBF1AB98506286D\n', passphrase: 'Pass-word-1!' },
      'field "apiSecret" starts or ends with whitespace',
    ],
    [
      { apiKey: '22582BD0CFF14C41EDBF1AB98506286D', apiSecret: '985d5b66-57ce-40fb-b714-afc0b9787083', passphrase: 'Pass-word-1!' },
      'field "apiSecret" holds a UUID',
    ],
    [
      { apiKey: '985d5b66-57ce-40fb-b714-afc0b9787083', apiSecret: 42, passphrase: 'Pass-word-1!' },
      'field "apiSecret" must be a non-empty string',
    ],
  ],
};
