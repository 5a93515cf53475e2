import ccxt from 'ccxt';
import { coinbaseInternational } from '../../../lambda/exchanges/coinbase-international';
import type { AdapterContract } from '../contract';
import { simulator } from '../simulator/coinbase-international';

/** Coinbase International (INTX): CB-ACCESS-* HMAC headers byte for byte against ccxt's coinbaseinternational. */
export const contract: AdapterContract = {
  adapter: coinbaseInternational,
  simulator,
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_SIGNATURE'],
  ccxtSign(request, secret, nowMs) {
    const exchange = new ccxt.coinbaseinternational({ apiKey: secret.apiKey, secret: secret.apiSecret, password: secret.passphrase });
    exchange.seconds = () => Math.floor(nowMs / 1000);
    exchange.options.timeDifference = 0;
    const signed = exchange.sign(request.path.replace('/api/v1/', ''), ['v1', 'private'], request.method, {});
    return { url: signed.url, headers: signed.headers, body: signed.body };
  },
  compare: { authHeaders: ['CB-ACCESS-KEY', 'CB-ACCESS-SIGN', 'CB-ACCESS-TIMESTAMP', 'CB-ACCESS-PASSPHRASE'] },
  documentedErrors: [
    { status: 401, body: '{"title":"ip not allowed","status":401}', code: 'IP_NOT_ALLOWED', source: '[C] ccxt broad table' },
    { status: 401, body: '{"title":"Invalid API Key","status":401}', code: 'AUTH_INVALID_KEY', source: '[V] INTX status table' },
    {
      status: 401,
      body: '{"title":"invalid signature","status":401}',
      code: 'AUTH_INVALID_SIGNATURE',
      source: '[U] Coinbase Exchange text',
    },
    {
      status: 401,
      body: '{"title":"Invalid Passphrase","status":401}',
      code: 'AUTH_INVALID_PASSPHRASE',
      source: '[U] Coinbase Exchange text',
    },
    {
      status: 400,
      body: '{"title":"request timestamp expired","status":400}',
      code: 'CLOCK_SKEW_REJECTED',
      source: '[U] Coinbase Exchange text',
    },
    { status: 401, body: '{"message":"API key is disabled"}', code: 'KEY_EXPIRED', source: '[U] assumed wording' },
    { status: 401, body: '{"title":"Unauthorized","status":401}', code: 'AUTH_INVALID_KEY', source: '[C] ccxt broad "Unauthorized"' },
    { status: 403, body: '{"message":"Forbidden"}', code: 'PERMISSION_MISSING', source: '[V] INTX status table' },
  ],
  malformedSecrets: [
    [{ apiSecret: 'c2VjcmV0LXNlY3JldA==', passphrase: 'p' }, 'has no "apiKey" field'],
    [{ apiKey: 'k', passphrase: 'p' }, 'has no "apiSecret" field'],
    [{ apiKey: 'k', apiSecret: 'c2VjcmV0LXNlY3JldA==', passphrase: ' ' }, 'field "passphrase" must be a non-empty string'],
    [{ apiKey: 'k', apiSecret: 'hunter2-not-base64!', passphrase: 'p' }, 'field "apiSecret" is not base64'],
  ],
};
