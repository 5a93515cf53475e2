import ccxt from 'ccxt';
import { krakenFutures } from '../../../lambda/exchanges/kraken-futures';
import type { AdapterContract, DocumentedError } from '../contract';
import { simulator } from '../simulator/kraken-futures';

const SERVER_TIME = '2026-11-30T09:45:53.818Z';
const ERROR_ENUM = '[V] krakenfx/api-specs futures-rest/trading/public.yml Error enum';

/** The documented error envelope: [V] api-specs `ErrorResponse`, HTTP 200 ([E] python-kraken-sdk#303). */
function krakenError(error: string, code: DocumentedError['code'], source: string, status = 200): DocumentedError {
  return { status, body: JSON.stringify({ result: 'error', error, serverTime: SERVER_TIME }), code, source };
}

/** Kraken Futures: `APIKey` and `Authent` byte for byte against ccxt's krakenfutures, and no `Nonce` (ccxt sends none either). */
export const contract: AdapterContract = {
  adapter: krakenFutures,
  simulator,
  // Kraken Futures answers one code for both ([V] "The request could not be authenticated").
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_KEY'],
  ccxtSign(request, secret, nowMs) {
    const exchange = new ccxt.krakenfutures({ apiKey: secret.apiKey, secret: secret.apiSecret });
    // ccxt's sign() reads no clock for krakenfutures; pinned anyway so a future version cannot drift.
    exchange.milliseconds = () => nowMs;
    exchange.seconds = () => Math.floor(nowMs / 1000);
    exchange.options.timeDifference = 0;
    const params = Object.fromEntries(new URLSearchParams(request.query ?? ''));
    const signed = exchange.sign(request.path.replace('/derivatives/api/v3/', ''), 'private', request.method, params);
    return { url: signed.url, headers: signed.headers, body: signed.body };
  },
  compare: { authHeaders: ['APIKey', 'Authent', 'Nonce'] },
  documentedErrors: [
    {
      status: 200,
      body: '{"result":"error","error":"authenticationError","serverTime":"2024-11-15T10:06:57.631Z"}',
      code: 'AUTH_INVALID_KEY',
      source: '[E] python-kraken-sdk#303 (a spot key); [V] Error enum "The request could not be authenticated"',
    },
    krakenError('apiLimitExceeded', 'RATE_LIMITED', `${ERROR_ENUM}; [C] ccxt exact RateLimitExceeded`),
    krakenError('accountInactive', 'PERMISSION_MISSING', ERROR_ENUM),
    krakenError('Unavailable', 'EXCHANGE_UNAVAILABLE', `${ERROR_ENUM}; [C] ccxt exact ExchangeNotAvailable`),
    krakenError('unavailable', 'EXCHANGE_UNAVAILABLE', '[C] ccxt exact ExchangeNotAvailable'),
    krakenError('Server Error', 'EXCHANGE_UNAVAILABLE', ERROR_ENUM),
    // We send no Nonce, so Kraken has none to refuse: should it say so anyway, the answer is unexpected.
    krakenError('nonceBelowThreshold', 'UNEXPECTED_RESPONSE', `${ERROR_ENUM}; [C] ccxt InvalidNonce`),
    krakenError('nonceDuplicate', 'UNEXPECTED_RESPONSE', `${ERROR_ENUM}; [C] ccxt InvalidNonce`),
    // Errors of order, transfer and argument handling that a plain accounts read cannot cause.
    ...[
      'insufficientFunds',
      'invalidAccount',
      'invalidAmount',
      'invalidArgument',
      'invalidUnit',
      'Json Parse Error',
      'marketUnavailable',
      'notFound',
      'requiredArgumentMissing',
      'unknownError',
    ].map((error) => krakenError(error, 'UNEXPECTED_RESPONSE', ERROR_ENUM)),
    {
      status: 500,
      body: '{"errors":[{"code":92,"message":"INSUFFICIENT_MARGIN"}]}',
      code: 'EXCHANGE_UNAVAILABLE',
      source: '[E] ccxt#19896 via ccxt exact table',
    },
    {
      status: 429,
      body: '{"result":"error","error":"apiLimitExceeded","serverTime":"2026-11-30T09:45:53.818Z"}',
      code: 'RATE_LIMITED',
      source: '[C] ccxt handleErrors: HTTP 429 is DDoSProtection',
    },
  ],
  malformedSecrets: [
    [{ apiSecret: 'c2VjcmV0LXNlY3JldA==' }, 'has no "apiKey" field'],
    [{ apiKey: 'rRra59qKQs3y1egAgSaG0RJlBcbq97wT' }, 'has no "apiSecret" field'],
    [{ apiKey: 'rRra59qKQs3y1egAgSaG0RJlBcbq97wT', apiSecret: '   ' }, 'field "apiSecret" must be a non-empty string'],
    [{ apiKey: 'rRra59qKQs3y1egAgSaG0RJlBcbq97wT', apiSecret: 'hunter2-not-base64!' }, 'field "apiSecret" is not base64'],
  ],
};
