import ccxt from 'ccxt';
import { coinbaseExchange } from '../../../lambda/exchanges/coinbase-exchange';
import type { AdapterContract } from '../contract';
import { simulator } from '../simulator/coinbase-exchange';

/** Coinbase Exchange: CB-ACCESS-* HMAC headers byte for byte against ccxt's coinbaseexchange. */
export const contract: AdapterContract = {
  adapter: coinbaseExchange,
  simulator,
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_SIGNATURE'],
  ccxtSign(request, secret, nowMs) {
    const exchange = new ccxt.coinbaseexchange({ apiKey: secret.apiKey, secret: secret.apiSecret, password: secret.passphrase });
    exchange.seconds = () => Math.floor(nowMs / 1000);
    exchange.options.timeDifference = 0;
    const signed = exchange.sign(request.path.replace(/^\//, ''), 'private', request.method, {});
    return { url: signed.url, headers: signed.headers, body: signed.body };
  },
  compare: { authHeaders: ['CB-ACCESS-KEY', 'CB-ACCESS-SIGN', 'CB-ACCESS-TIMESTAMP', 'CB-ACCESS-PASSPHRASE'] },
  documentedErrors: [
    { status: 401, body: '{"message":"Invalid API Key"}', code: 'AUTH_INVALID_KEY', source: '[E] exchange-scripts-py#16' },
    { status: 400, body: '{"message":"invalid signature"}', code: 'AUTH_INVALID_SIGNATURE', source: '[E] 2019 report' },
    { status: 401, body: '{"message":"Invalid Passphrase"}', code: 'AUTH_INVALID_PASSPHRASE', source: '[E] community reports' },
    { status: 400, body: '{"message":"request timestamp expired"}', code: 'CLOCK_SKEW_REJECTED', source: '[E] community reports' },
    { status: 401, body: '{"message":"IP does not match IP whitelist"}', code: 'IP_NOT_ALLOWED', source: '[E] coinbase-pro-node#201' },
    { status: 429, body: '{"message":"Private rate limit exceeded"}', code: 'RATE_LIMITED', source: '[E] community reports' },
    {
      status: 503,
      body: '{"message":"Coinbase Exchange is under maintenance"}',
      code: 'EXCHANGE_UNAVAILABLE',
      source: '[C] ccxt broad table',
    },
    { status: 403, body: '{"message":"Forbidden"}', code: 'PERMISSION_MISSING', source: '[U] HTTP meaning of 403' },
  ],
  malformedSecrets: [
    [{ apiSecret: 'c2VjcmV0LXNlY3JldA==', passphrase: 'p' }, 'has no "apiKey" field'],
    [{ apiKey: 'k', apiSecret: 'c2VjcmV0LXNlY3JldA==' }, 'has no "passphrase" field'],
    [{ apiKey: 'k', apiSecret: 'not base64 at all!', passphrase: 'p' }, 'field "apiSecret" is not base64'],
    [{ apiKey: 'k', apiSecret: 42, passphrase: 'p' }, 'field "apiSecret" must be a non-empty string'],
  ],
};
