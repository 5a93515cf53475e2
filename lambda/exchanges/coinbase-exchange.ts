import { type CoinbaseHmacCredentials, listCoinbaseHmacSecrets, parseCoinbaseHmacCredentials, signCoinbaseHmac } from './coinbase-hmac';
import type { ExchangeAdapter } from './types';

/**
 * Coinbase Exchange (ex-Pro): HMAC-SHA256 keyed with the base64-decoded secret over
 * `timestamp + METHOD + path(?query) + body`, base64 output; timestamps within 30 s of server time
 * ([V] docs.cloud.coinbase.com/exchange/docs/authorization-and-authentication). It has no separate futures product and no key-introspection endpoint, so the
 * accounts read stands in for both.
 */
export const coinbaseExchange: ExchangeAdapter<CoinbaseHmacCredentials> = {
  id: 'coinbase-exchange',
  displayName: 'Coinbase Exchange',
  guide: {
    api: 'Coinbase Exchange (ex-Pro)',
    secret:
      'A Coinbase Exchange key: `apiKey`, `apiSecret` (the base64 text Coinbase shows), and the `passphrase` chosen when the key was created.',
    secretExample: { apiKey: '6c9f…', apiSecret: 'h5WJ…base64…==', passphrase: '…' },
    clock: '±30 s',
    notes:
      'Coinbase Exchange has no key-introspection endpoint and no separate futures product: the accounts read proves the key and stands in for the futures read. Trade and transfer rights, IP allow-list and expiry are not reported.',
  },
  origin: 'https://api.exchange.coinbase.com',
  sandboxOrigin: 'https://api-public.sandbox.exchange.coinbase.com',
  allowList: ['GET /time', 'GET /accounts'],
  clockWindow: { aheadMs: 30_000, behindMs: 30_000 },
  time: {
    request: { method: 'GET', path: '/time' },
    // `{"iso": "...", "epoch": 1700000000.123}`: epoch is decimal seconds.
    read(body) {
      const epoch = (body as { epoch?: unknown })?.epoch;
      if (typeof epoch !== 'number' || !Number.isFinite(epoch)) throw new Error('field "epoch" is not a number');
      return Math.round(epoch * 1000);
    },
  },

  parseCredentials: (secret) => parseCoinbaseHmacCredentials(secret, 'coinbase-exchange', 'Coinbase Exchange'),

  secretValues: listCoinbaseHmacSecrets,

  sign(request, credentials, { nowMs }) {
    const requestPath = request.query ? `${request.path}?${request.query}` : request.path;
    return signCoinbaseHmac(credentials, String(Math.floor(nowMs / 1000)), `${request.method}${requestPath}${request.body ?? ''}`);
  },

  probes: () => [
    {
      label: 'accounts',
      purpose: 'account',
      tells: 'the key works and may view',
      request: { method: 'GET', path: '/accounts' },
      // [V] exchange-spec.yaml: 200 is an array of apiAccount (`id`, `currency`, `balance`, …). [U] That a
      // profile always holds accounts is not stated; an empty list is refused all the same, since it shows
      // nothing of the profile and is what a proxy's bare 200 looks like (at worst an unknown, never a false ok).
      read(body) {
        if (!Array.isArray(body)) throw new Error('expected a list of accounts');
        if (body.length === 0) throw new Error('the list of accounts is empty');
        body.forEach((entry: unknown, index) => {
          const account = entry as Record<string, unknown> | null;
          if (typeof account?.id !== 'string') throw new Error(`field "[${index}].id" is not a string`);
          if (typeof account.currency !== 'string') throw new Error(`field "[${index}].currency" is not a string`);
        });
        return { permissions: { view: true, futures: true } };
      },
      deniedMeans: { view: false, futures: false },
    },
  ],

  // Bodies from ccxt's exact-match table and community reports (each with its source in test/support/contracts/coinbase-exchange.ts).
  errors: [
    { body: /Invalid API Key/i, code: 'AUTH_INVALID_KEY' },
    { body: /invalid signature/i, code: 'AUTH_INVALID_SIGNATURE' },
    { body: /Invalid Passphrase/i, code: 'AUTH_INVALID_PASSPHRASE' },
    { body: /request timestamp expired/i, code: 'CLOCK_SKEW_REJECTED' },
    // [E] coinbase-pro-node#201: "IP does not match IP whitelist" (seen on the websocket feed).
    { body: /IP does not match IP whitelist/i, code: 'IP_NOT_ALLOWED' },
    { body: /rate limit exceeded/i, code: 'RATE_LIMITED' },
    { body: /under maintenance|cancel only mode/i, code: 'EXCHANGE_UNAVAILABLE' },
    // [U] the body for a key without the View permission is not documented; 403 is the HTTP meaning.
    { status: 403, code: 'PERMISSION_MISSING' },
  ],
};
