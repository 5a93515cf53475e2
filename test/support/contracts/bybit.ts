import ccxt from 'ccxt';
import { bybit } from '../../../lambda/exchanges/bybit';
import type { AdapterContract } from '../contract';
import { simulator } from '../simulator/bybit';

const envelope = (retCode: number, retMsg: string) => JSON.stringify({ retCode, retMsg, result: {}, retExtInfo: {}, time: 1700000000123 });

/** Bybit v5: X-BAPI-* headers byte for byte against ccxt's bybit (HMAC here; RSA in test/lambda/exchanges/bybit.test.ts). */
export const contract: AdapterContract = {
  adapter: bybit,
  simulator,
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_SIGNATURE'],
  ccxtSign(request, secret, nowMs) {
    const exchange = new ccxt.bybit({ apiKey: secret.apiKey, secret: secret.apiSecret });
    exchange.milliseconds = () => nowMs;
    exchange.options.timeDifference = 0;
    const params = Object.fromEntries(new URLSearchParams(request.query ?? ''));
    const signed = exchange.sign(request.path.replace(/^\//, ''), 'private', request.method, params);
    // ccxt appends `?` plus the encoded query to every signed GET, so a read without parameters ends in a
    // bare `?` (…/v5/user/query-api?). It signs the same empty query string we do; an empty query and no
    // query are the same request, so the bare `?` is dropped before the URLs are compared.
    return { url: String(signed.url).replace(/\?$/, ''), headers: signed.headers, body: signed.body };
  },
  compare: { authHeaders: ['X-BAPI-API-KEY', 'X-BAPI-TIMESTAMP', 'X-BAPI-RECV-WINDOW', 'X-BAPI-SIGN'] },
  documentedErrors: [
    {
      status: 200,
      body: envelope(
        10002,
        'invalid request, please check your server timestamp or recv_window param. req_timestamp[1755542601897],server_timestamp[1755542600895],recv_window[5000]',
      ),
      code: 'CLOCK_SKEW_REJECTED',
      source: '[E] JKorf/Bybit.Net#273 (text), [V] docs/v5/error.mdx (code)',
    },
    {
      status: 200,
      body: envelope(10002, 'The request time exceeds the time window range.'),
      code: 'CLOCK_SKEW_REJECTED',
      source: '[V] docs/v5/error.mdx',
    },
    { status: 200, body: envelope(10003, 'API key is invalid.'), code: 'AUTH_INVALID_KEY', source: '[E] VictorFrWu/bybit-java-api#57' },
    {
      status: 200,
      body: envelope(
        10003,
        'API key is invalid. Check whether the key and domain are matched, there are 4 env: mainnet, testnet, mainnet-demo, testnet-demo',
      ),
      code: 'AUTH_INVALID_KEY',
      source: '[V] docs/v5/error.mdx',
    },
    { status: 200, body: envelope(10007, 'User authentication failed.'), code: 'AUTH_INVALID_KEY', source: '[V] docs/v5/error.mdx' },
    {
      status: 200,
      body: envelope(10004, 'error sign! origin_string[...]'),
      code: 'AUTH_INVALID_SIGNATURE',
      source: '[E] sieblyio/bybit-api#448',
    },
    {
      status: 200,
      body: envelope(10004, 'Error sign, please check your signature generation algorithm.'),
      code: 'AUTH_INVALID_SIGNATURE',
      source: '[V] docs/v5/error.mdx',
    },
    {
      status: 200,
      body: envelope(33004, 'Your api key has expired'),
      code: 'KEY_EXPIRED',
      source: '[V] docs/v5/error.mdx (derivatives)',
    },
    { status: 200, body: envelope(-2015, 'Your api key has expired'), code: 'KEY_EXPIRED', source: '[V] docs/v5/error.mdx (spot)' },
    {
      status: 200,
      body: envelope(10008, 'Common banned, please check your account mode'),
      code: 'KEY_EXPIRED',
      source: '[V] docs/v5/error.mdx',
    },
    {
      status: 200,
      body: JSON.stringify({ retCode: 10010, retMsg: "Unmatched IP, please check your API key's bound IP addresses." }),
      code: 'IP_NOT_ALLOWED',
      source: '[E] sieblyio/bybit-api#555, [V] docs/v5/error.mdx',
    },
    {
      status: 200,
      body: envelope(10005, 'Permission denied, please check your API key permissions.'),
      code: 'PERMISSION_MISSING',
      source: '[V] docs/v5/error.mdx',
    },
    {
      status: 200,
      body: '{"retCode":10005,"retMsg":"permission denied","result":null,"retExtInfo":null,"time":1672971506299}',
      code: 'PERMISSION_MISSING',
      source: '[E] ccxt/ccxt#16354',
    },
    {
      status: 200,
      body: envelope(10028, 'The API can only be accessed by unified account users.'),
      code: 'PERMISSION_MISSING',
      source: '[V] docs/v5/error.mdx',
    },
    {
      status: 200,
      body: envelope(10006, 'Too many visits!'),
      code: 'RATE_LIMITED',
      source: '[V] docs/v5/rate-limit/rate-limit.mdx',
    },
    {
      status: 200,
      body: envelope(
        10009,
        'Service Restricted: Access is currently unavailable for your region. Please contact our support team for further assistance',
      ),
      code: 'LOCATION_BLOCKED',
      source: '[V] docs/v5/error.mdx',
    },
    { status: 200, body: envelope(10000, 'Server Timeout'), code: 'EXCHANGE_UNAVAILABLE', source: '[V] docs/v5/error.mdx' },
    {
      status: 200,
      body: envelope(10016, 'Request timeout, please try again later'),
      code: 'EXCHANGE_UNAVAILABLE',
      source: '[C] ccxt bybit broad table comment',
    },
    { status: 200, body: envelope(10001, 'Request parameter error'), code: 'UNEXPECTED_RESPONSE', source: '[V] docs/v5/error.mdx' },
    { status: 401, body: '', code: 'AUTH_INVALID_KEY', source: '[V] docs/v5/error.mdx HTTP 401; [E] empty body' },
    {
      status: 403,
      body: 'access too frequent',
      headers: { 'content-type': 'text/plain' },
      code: 'RATE_LIMITED',
      source: '[V] docs/v5/rate-limit/rate-limit.mdx "403, access too frequent"',
    },
    {
      status: 403,
      body: '<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1><H2>The request could not be satisfied.</H2>The Amazon CloudFront distribution is configured to block access from your country.</BODY></HTML>',
      headers: { 'content-type': 'text/html' },
      code: 'LOCATION_BLOCKED',
      source: '[V] docs/v5/guide.mdx (US and mainland China get 403); [E] hummingbot/deploy#28 (CloudFront text)',
    },
    {
      status: 403,
      body: '<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1><H2>The request could not be satisfied.</H2>Bad request.</BODY></HTML>',
      headers: { 'content-type': 'text/html' },
      code: 'LOCATION_BLOCKED',
      source: '[E] PipedreamHQ/pipedream#5641 (Bybit 403 CloudFront page from a US cloud); [V] docs/v5/error.mdx 403 causes',
    },
  ],
  malformedSecrets: [
    [{ apiSecret: 'VDFZSSPUTKRJMXAVMJXBHEXIPZNZJIZUBVRQ' }, 'has no "apiKey" field'],
    [{ apiKey: 'CFEJUGQEQPPHGOHGHM' }, 'has no "apiSecret" field'],
    [{ apiKey: 'CFEJUGQEQPPHGOHGHM', apiSecret: 'VDFZSSPUTKRJMXAVMJXBHEXIPZNZJIZUBVRQ\n' }, 'field "apiSecret" contains whitespace'],
    [{ apiKey: 'CFEJUGQEQ PPHGOHGHM', apiSecret: 'VDFZSSPUTKRJMXAVMJXBHEXIPZNZJIZUBVRQ' }, 'field "apiKey" contains whitespace'],
    [
      { apiKey: 'CFEJUGQEQPPHGOHGHM', apiSecret: '-----BEGIN PRIVATE KEY-----\nnot-a-key-at-all\n-----END PRIVATE KEY-----' },
      'field "apiSecret" is not a valid RSA private key PEM',
    ],
    [
      { apiKey: 'CFEJUGQEQPPHGOHGHM', apiSecret: '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n-----END PUBLIC KEY-----' },
      'field "apiSecret" is a public key PEM',
    ],
    [{ apiKey: 'CFEJUGQEQPPHGOHGHM', apiSecret: 7 }, 'field "apiSecret" must be a non-empty string'],
  ],
};
