import { invalidSecret, readSecretFields } from './secret-fields';
import { decodeBase64, hmac } from './signing';
import type { ExchangeAdapter } from './types';

/** Credentials of a Coinbase Exchange key: the secret is base64 and signs after decoding. */
export interface CoinbaseExchangeCredentials {
  readonly apiKey: string;
  readonly secretBytes: Buffer;
  readonly passphrase: string;
}

const FIELDS = ['apiKey', 'apiSecret', 'passphrase'] as const;

/**
 * Coinbase Exchange (ex-Pro): HMAC-SHA256 keyed with the base64-decoded secret over
 * `timestamp + METHOD + path(?query) + body`, base64 output; timestamps within 30 s of server time
 * (EXCHANGES.md §2.2). It has no separate futures product and no key-introspection endpoint, so the
 * accounts read stands in for both.
 */
export const coinbaseExchange: ExchangeAdapter<CoinbaseExchangeCredentials> = {
  id: 'coinbase-exchange',
  displayName: 'Coinbase Exchange',
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

  parseCredentials(secret) {
    const fields = readSecretFields(secret, FIELDS, 'coinbase-exchange');
    if (!fields.ok) return fields;
    const secretBytes = decodeBase64(fields.values.apiSecret);
    if (!secretBytes)
      return {
        ok: false,
        finding: invalidSecret('field "apiSecret" is not base64 (Coinbase Exchange secrets are base64 text)', FIELDS, 'coinbase-exchange'),
      };
    return { ok: true, credentials: { apiKey: fields.values.apiKey, secretBytes, passphrase: fields.values.passphrase } };
  },

  secretValues: (c) => [c.passphrase, c.secretBytes.toString('base64')],

  sign(request, credentials, nowMs) {
    const timestamp = String(Math.floor(nowMs / 1000));
    const requestPath = request.query ? `${request.path}?${request.query}` : request.path;
    const signature = hmac('sha256', credentials.secretBytes, `${timestamp}${request.method}${requestPath}${request.body ?? ''}`, 'base64');
    return {
      headers: {
        'CB-ACCESS-KEY': credentials.apiKey,
        'CB-ACCESS-SIGN': signature,
        'CB-ACCESS-TIMESTAMP': timestamp,
        'CB-ACCESS-PASSPHRASE': credentials.passphrase,
      },
      sensitive: [signature],
    };
  },

  probes: () => [
    {
      label: 'accounts',
      request: { method: 'GET', path: '/accounts' },
      read(body) {
        if (!Array.isArray(body)) throw new Error('expected a list of accounts');
        return { permissions: { view: true, futures: true } };
      },
      deniedMeans: { view: false, futures: false },
    },
  ],

  // Bodies from ccxt's exact-match table and community reports (EXCHANGES.md §1.3).
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
