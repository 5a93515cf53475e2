import { type CoinbaseHmacCredentials, listCoinbaseHmacSecrets, parseCoinbaseHmacCredentials, signCoinbaseHmac } from './coinbase-hmac';
import type { ExchangeAdapter } from './types';

/**
 * Coinbase International Exchange (INTX, perpetual futures): HMAC-SHA256 over
 * `timestamp + METHOD + /api/v1/path + body` (query never signed, body only for non-GET), integer
 * seconds within 5 s of server time, base64 output ([V] docs.cdp.coinbase.com/api-reference/international-exchange-api/rest-api/authentication). INTX has no public time
 * endpoint and no key-introspection endpoint, so the clock comes from the `Date` header of the
 * portfolios read, which is also the futures read.
 */
export const coinbaseInternational: ExchangeAdapter<CoinbaseHmacCredentials> = {
  id: 'coinbase-international',
  displayName: 'Coinbase International',
  guide: {
    api: 'Coinbase International Exchange (INTX, perpetual futures)',
    secret: 'A Coinbase International Exchange (INTX) key, the same three fields: `apiKey`, `apiSecret` (base64), `passphrase`.',
    secretExample: { apiKey: '…', apiSecret: '…base64…', passphrase: '…' },
    clock: '±5 s',
    notes:
      'INTX has no public time endpoint and no key-introspection endpoint; the portfolios read is the futures read. Trade and transfer rights, IP allow-list and expiry are not reported.',
  },
  origin: 'https://api.international.coinbase.com',
  sandboxOrigin: 'https://api-n5e1.coinbase.com',
  allowList: ['GET /api/v1/portfolios'],
  // [V] current INTX auth docs: "within 5 seconds of the API service time" (older docs said 30 s).
  clockWindow: { aheadMs: 5_000, behindMs: 5_000 },
  // [V] the INTX OpenAPI spec (intx-sdk-ts apiSpec) has no time path; ccxt sets `fetchTime: false` [C].
  time: null,

  parseCredentials: (secret) => parseCoinbaseHmacCredentials(secret, 'coinbase-international', 'Coinbase International'),

  secretValues: listCoinbaseHmacSecrets,

  sign(request, credentials, { nowMs }) {
    // [V] "Decimal values are not allowed": integer seconds.
    const timestamp = String(Math.floor(nowMs / 1000));
    // [V] "Do NOT include the base URL or query parameters"; ccxt signs the body only for non-GET [C].
    // The key is the base64-decoded secret, as in ccxt [C], intx-sdk-go and intx-sdk-py [V]; the
    // official intx-sdk-ts alone HMACs with the raw secret string [V], which we do not follow.
    const body = request.method === 'GET' ? '' : (request.body ?? '');
    return signCoinbaseHmac(credentials, timestamp, `${request.method}${request.path}${body}`);
  },

  probes: () => [
    {
      label: 'portfolios',
      purpose: 'futures',
      tells: 'the key works and may view the perpetuals account',
      request: { method: 'GET', path: '/api/v1/portfolios' },
      // [V] OpenAPI spec: 200 is an array of Portfolio_v1 objects, each with its `portfolio_id`; [E]
      // nautilus_trader's CoinbaseIntxPortfolio: `is_default` marks "the account default portfolio", so an
      // account lists at least one, and an empty list is not an INTX answer.
      read(body) {
        if (!Array.isArray(body)) throw new Error('expected a list of portfolios');
        if (body.length === 0) throw new Error('the list of portfolios is empty');
        if (body.some((p) => typeof p !== 'object' || p === null)) throw new Error('a portfolio entry is not an object');
        if (body.some((p) => typeof (p as { portfolio_id?: unknown }).portfolio_id !== 'string'))
          throw new Error('field "portfolio_id" of a portfolio is not a string');
        return { permissions: { view: true, futures: true } };
      },
      // INTX is futures only: a key that may not read its portfolios can read neither the account nor the futures.
      deniedMeans: { view: false, futures: false },
    },
  ],

  // The INTX docs show error bodies as `{"message": "..."}` [V]; ccxt reads `title` from
  // `{"title": "...", "status": 400}` answers [C]. The rules match the raw text, so either shape works.
  errors: [
    // [C] ccxt broad-matches "ip not allowed" (AuthenticationError); the HTTP status is [U].
    { body: /ip not allowed/i, code: 'IP_NOT_ALLOWED' },
    // [V] the INTX status table lists 401 "Invalid API Key"; the exact body text is [U].
    { body: /Invalid API Key/i, code: 'AUTH_INVALID_KEY' },
    // [U] bad-signature, bad-passphrase and expired-timestamp bodies are not documented for INTX;
    // these are Coinbase Exchange's texts (same CB-ACCESS-* scheme; sources in test/support/contracts/coinbase-exchange.ts).
    { body: /invalid signature/i, code: 'AUTH_INVALID_SIGNATURE' },
    { body: /invalid passphrase/i, code: 'AUTH_INVALID_PASSPHRASE' },
    { body: /timestamp (?:has )?expired|request (?:has )?expired/i, code: 'CLOCK_SKEW_REJECTED' },
    // [U] no documented text for a disabled or expired key.
    { body: /key (?:is )?(?:disabled|expired|revoked)/i, code: 'KEY_EXPIRED' },
    // [U] whether INTX names the rejected credential at all; ccxt only broad-matches "Unauthorized" [C].
    // The engine still re-signs with the server's time when our clock is outside the window.
    {
      status: 401,
      code: 'AUTH_INVALID_KEY',
      note: 'INTX did not say which credential it rejected: the API key, the passphrase or the secret may be wrong, or the key was deleted.',
    },
    // [V] the INTX status table lists 403 "Forbidden".
    { status: 403, code: 'PERMISSION_MISSING' },
  ],
};
