import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ExchangeHandler, json, MISBEHAVIOURS, type SimKey, type SimResponse } from './sim-server';
import type { SimulatedExchange } from './simulated-exchange';

/**
 * Coinbase Exchange as the tests see it: checks the key, the passphrase, the 30-second timestamp
 * window and the HMAC (base64-decoded secret over `ts + METHOD + path?query + body`) in the order
 * the exchange reports them, with the bodies seen from the exchange (sources in test/support/contracts/coinbase-exchange.ts).
 */
export const coinbaseExchangeHandler: ExchangeHandler = (request, keys) => {
  if (request.method === 'GET' && request.path === '/time') {
    const now = request.serverNowMs;
    return json(200, { iso: new Date(now).toISOString(), epoch: now / 1000 });
  }
  if (request.method !== 'GET' || request.path !== '/accounts') return json(404, { message: 'NotFound' });
  const key = authenticate(request, keys);
  if ('status' in key) return key;
  if (key.ipBlocked) return json(401, { message: 'IP does not match IP whitelist' });
  if (!key.permissions.view) return json(403, { message: 'Forbidden' });
  return json(200, [
    {
      id: '7a2b4f2e-0000-4000-8000-000000000001',
      currency: 'USD',
      balance: '1000.00',
      hold: '0.00',
      available: '1000.00',
      profile_id: 'p1',
      trading_enabled: true,
    },
  ]);
};

function authenticate(request: Parameters<ExchangeHandler>[0], keys: ReadonlyMap<string, SimKey>): SimKey | SimResponse {
  const h = request.headers;
  const apiKey = h['cb-access-key'];
  const sign = h['cb-access-sign'];
  const timestamp = h['cb-access-timestamp'];
  const passphrase = h['cb-access-passphrase'];
  if (!apiKey || !sign || !timestamp || !passphrase) return json(400, { message: 'CB-ACCESS-KEY header is required' });
  const key = keys.get(apiKey);
  if (!key || key.disabled) return json(401, { message: 'Invalid API Key' });
  if (passphrase !== key.passphrase) return json(401, { message: 'Invalid Passphrase' });
  const ts = Number(timestamp);
  if (!Number.isFinite(ts) || Math.abs(ts * 1000 - request.serverNowMs) > 30_000)
    return json(400, { message: 'request timestamp expired' });
  const path = request.query ? `${request.path}?${request.query}` : request.path;
  const expected = createHmac('sha256', Buffer.from(key.secret, 'base64'))
    .update(`${timestamp}${request.method}${path}${request.body}`)
    .digest();
  const given = Buffer.from(sign, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return json(401, { message: 'invalid signature' });
  return key;
}

const READ_TRADE = { view: true, trade: true, transfer: false };

/** Coinbase Exchange for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'coinbase-exchange',
  handler: coinbaseExchangeHandler,
  makeKey(label) {
    const apiSecret = randomBytes(64).toString('base64');
    const apiKey = `cbx-${label}-${randomBytes(4).toString('hex')}`;
    const passphrase = `pass-${randomBytes(6).toString('hex')}`;
    return {
      simKey: { apiKey, secret: apiSecret, passphrase, permissions: READ_TRADE, futures: true },
      secret: { apiKey, apiSecret, passphrase },
    };
  },
  demoKeys() {
    const spot = randomBytes(64).toString('base64');
    const simKey = { apiKey: 'cbx-spot-key', secret: spot, passphrase: 'demo-passphrase', permissions: READ_TRADE, futures: true };
    const eightyDaysAgo = new Date(Date.now() - 80 * 86_400_000).toISOString();
    const treasury = randomBytes(64).toString('base64');
    return [
      {
        name: 'cbx-treasury',
        simKey: { apiKey: 'cbx-treasury-key', secret: treasury, passphrase: 'treasury-pass', permissions: READ_TRADE, futures: true },
        secret: { apiKey: 'cbx-treasury-key', apiSecret: treasury, passphrase: 'treasury-pass' },
        codes: [],
      },
      {
        name: 'cbx-spot',
        simKey,
        secret: { apiKey: 'cbx-spot-key', apiSecret: spot, passphrase: 'demo-passphrase', createdAt: eightyDaysAgo },
        codes: ['ROTATION_DUE'],
      },
      {
        name: 'cbx-old-passphrase',
        simKey,
        secret: { apiKey: 'cbx-spot-key', apiSecret: spot, passphrase: 'the-old-passphrase' },
        codes: ['AUTH_INVALID_PASSPHRASE'],
      },
      { name: 'cbx-misconfigured', secret: { apiKey: 'cbx-spot-key', apiSecret: spot }, codes: ['SECRET_INVALID'] },
      {
        name: 'cbx-maintenance',
        simKey,
        secret: { apiKey: 'cbx-spot-key', apiSecret: spot, passphrase: 'demo-passphrase' },
        codes: ['EXCHANGE_UNAVAILABLE'],
        conditions: { misbehave: MISBEHAVIOURS.unavailableHtml },
      },
    ];
  },
};
