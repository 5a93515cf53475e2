import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { SimulatedExchange } from './simulated-exchange';

/** The window INTX allows between `CB-ACCESS-TIMESTAMP` and its own clock, ms ([V] current docs). */
export const INTX_WINDOW_MS = 5_000;

/**
 * Coinbase International (INTX) as the tests see it: no public time endpoint; checks the key, the
 * passphrase, the 5-second window and the HMAC (base64-decoded secret over
 * `ts + METHOD + /api/v1/path + body`, query not signed), then the IP and the View permission.
 * Bodies use the `{"title", "status"}` shape ccxt reads; the texts other than 401 "Invalid API Key"
 * and 403 "Forbidden" are assumptions [U] (see lambda/exchanges/coinbase-international.ts).
 */
export const coinbaseInternationalHandler: ExchangeHandler = (request, keys) => {
  if (request.method !== 'GET' || request.path !== '/api/v1/portfolios') return error(404, 'Not Found');
  const key = authenticate(request, keys);
  if ('status' in key) return key;
  if (key.ipBlocked) return error(401, 'ip not allowed');
  if (!key.permissions.view || !key.futures) return error(403, 'Forbidden');
  return json(200, [
    {
      portfolio_id: '5189861793641175',
      portfolio_uuid: '892e8c7c-e979-4cad-b61b-55a197932cf1',
      name: 'default',
      user_uuid: 'a7d9c4b2-3e15-4842-8f60-9b74dc31e562',
      maker_fee_rate: '0.0002',
      taker_fee_rate: '0.0004',
      trading_lock: false,
      withdrawal_lock: false,
      borrow_disabled: false,
      is_default: true,
      cross_collateral_enabled: false,
      auto_margin_enabled: false,
      pre_launch_trading_enabled: false,
    },
  ]);
};

function authenticate(request: SimRequest, keys: ReadonlyMap<string, SimKey>): SimKey | SimResponse {
  const h = request.headers;
  const apiKey = h['cb-access-key'];
  const sign = h['cb-access-sign'];
  const timestamp = h['cb-access-timestamp'];
  const passphrase = h['cb-access-passphrase'];
  if (!apiKey || !sign || !timestamp || !passphrase) return error(401, 'Unauthorized');
  const key = keys.get(apiKey);
  if (!key || key.disabled) return error(401, 'Invalid API Key');
  if (passphrase !== key.passphrase) return error(401, 'Invalid Passphrase');
  // [V] integer seconds only; outside the window the request "is considered expired".
  if (!/^\d+$/.test(timestamp) || Math.abs(Number(timestamp) * 1000 - request.serverNowMs) > INTX_WINDOW_MS)
    return error(400, 'request timestamp expired');
  const body = request.method === 'GET' ? '' : request.body;
  const expected = createHmac('sha256', Buffer.from(key.secret, 'base64'))
    .update(`${timestamp}${request.method}${request.path}${body}`)
    .digest();
  const given = Buffer.from(sign, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return error(401, 'invalid signature');
  return key;
}

function error(status: number, title: string): SimResponse {
  return json(status, { title, status });
}

const READ_TRADE = { view: true, trade: true, transfer: false };

/** Coinbase International for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'coinbase-international',
  handler: coinbaseInternationalHandler,
  makeKey(label) {
    const apiSecret = randomBytes(64).toString('base64');
    const apiKey = `intx-${label}-${randomBytes(4).toString('hex')}`;
    const passphrase = `pass-${randomBytes(6).toString('hex')}`;
    return {
      simKey: { apiKey, secret: apiSecret, passphrase, permissions: READ_TRADE, futures: true },
      secret: { apiKey, apiSecret, passphrase },
    };
  },
  demoKeys() {
    const [intx, skewed, ip] = [randomBytes(64).toString('base64'), randomBytes(64).toString('base64'), randomBytes(64).toString('base64')];
    return [
      {
        name: 'intx-perps',
        simKey: { apiKey: 'intx-perps-key', secret: intx, passphrase: 'intx-pass', permissions: READ_TRADE, futures: true },
        secret: { apiKey: 'intx-perps-key', apiSecret: intx, passphrase: 'intx-pass' },
        codes: [],
      },
      {
        name: 'intx-ip-bound',
        simKey: { apiKey: 'intx-ip-key', secret: ip, passphrase: 'intx-pass', permissions: READ_TRADE, futures: true, ipBlocked: true },
        secret: { apiKey: 'intx-ip-key', apiSecret: ip, passphrase: 'intx-pass' },
        codes: ['IP_NOT_ALLOWED'],
      },
      {
        name: 'intx-host-clock',
        simKey: { apiKey: 'intx-skew-key', secret: skewed, passphrase: 'intx-pass', permissions: READ_TRADE, futures: true },
        secret: { apiKey: 'intx-skew-key', apiSecret: skewed, passphrase: 'intx-pass' },
        codes: ['CLOCK_SKEW_REJECTED'],
        // The exchange's clock is 10 s ahead of ours: INTX accepts 5 s.
        conditions: { skewMs: 10_000 },
      },
    ];
  },
};
