import { createPublicKey, generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { SimulatedExchange } from './simulated-exchange';

/**
 * How far the simulated server accepts an `nbf` in its future, ms. [U] Coinbase's leeway is
 * undocumented; this is the 1 s the adapter's clock window assumes.
 */
export const SIM_NBF_LEEWAY_MS = 1000;

/** Options for {@link createCoinbaseAdvancedHandler}. */
export interface CoinbaseAdvancedSimOptions {
  /** Called with the claims of every JWT the simulator accepted. */
  onVerified?: (claims: Readonly<Record<string, unknown>>) => void;
}

// [E] The body of every authentication failure is the bare text `Unauthorized`.
const UNAUTHORIZED: SimResponse = { status: 401, body: 'Unauthorized\n', headers: { 'content-type': 'text/plain; charset=utf-8' } };
// [E] OctoBot-Tentacles#1431, coinbase-advanced-py#89: the grpc-gateway error envelope.
const MISSING_SCOPES = json(403, {
  error: 'PERMISSION_DENIED',
  error_details: 'Missing required scopes',
  message: 'Missing required scopes',
});
// [U] Invented text in the documented envelope: no source shows what balance_summary answers
// without a US futures (FCM) account.
const FUTURES_NOT_ENABLED = json(403, {
  error: 'PERMISSION_DENIED',
  error_details: 'futures (FCM) account is not enabled for this user',
  message: 'futures (FCM) account is not enabled for this user',
});

const ROUTES: Record<string, (key: SimKey) => SimResponse> = {
  'GET /api/v3/brokerage/key_permissions': (key) => {
    const { view, trade, transfer } = key.permissions;
    if (!view && !trade && !transfer) return MISSING_SCOPES;
    return json(200, {
      can_view: view,
      can_trade: trade,
      can_transfer: transfer,
      portfolio_uuid: '8f6a1c2e-0000-4000-8000-00000000c0de',
      portfolio_type: 'DEFAULT',
    });
  },
  'GET /api/v3/brokerage/cfm/balance_summary': (key) => {
    if (!key.permissions.view) return MISSING_SCOPES;
    if (!key.futures) return FUTURES_NOT_ENABLED;
    return json(200, { balance_summary: BALANCE_SUMMARY });
  },
};

/**
 * Coinbase Advanced Trade as the tests see it: checks the Bearer JWT the way the exchange does
 * (key by `kid`, `sub`, ES256 r‖s or EdDSA signature against the key's public PEM, `nbf`/`exp`
 * against the server clock, `uri` naming api.coinbase.com) and answers any failure, a disabled key
 * and an IP outside the allow-list ([E] whisper-money#804: such keys "never authenticate") with a
 * bare 401.
 */
export function createCoinbaseAdvancedHandler(options: CoinbaseAdvancedSimOptions = {}): ExchangeHandler {
  return (request, keys) => {
    if (request.method === 'GET' && request.path === '/api/v3/brokerage/time') {
      const now = request.serverNowMs;
      return json(200, { iso: new Date(now).toISOString(), epochSeconds: String(Math.floor(now / 1000)), epochMillis: String(now) });
    }
    const route = ROUTES[`${request.method} ${request.path}`];
    if (!route) return json(404, { error: 'NOT_FOUND', error_details: 'Not Found', message: 'Not Found' });
    const verified = authenticate(request, keys);
    if (!verified) return UNAUTHORIZED;
    options.onVerified?.(verified.claims);
    return route(verified.key);
  };
}

/** The simulator with no observer, like the other exchanges' handlers. */
export const coinbaseAdvancedHandler: ExchangeHandler = createCoinbaseAdvancedHandler();

function authenticate(request: SimRequest, keys: ReadonlyMap<string, SimKey>): { key: SimKey; claims: Record<string, unknown> } | null {
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  const [headerPart, claimsPart, signaturePart, ...rest] = token?.split('.') ?? [];
  if (headerPart === undefined || claimsPart === undefined || signaturePart === undefined || rest.length > 0) return null;
  const header = decodeSegment(headerPart);
  const claims = decodeSegment(claimsPart);
  if (!header || !claims || header.typ !== 'JWT' || typeof header.nonce !== 'string' || header.nonce === '') return null;
  const key = keys.get(String(header.kid));
  if (!key || key.disabled || key.ipBlocked || claims.sub !== key.apiKey) return null;
  if (!verifySignature(header.alg, key.secret, `${headerPart}.${claimsPart}`, Buffer.from(signaturePart, 'base64url'))) return null;
  if (claims.iss !== 'cdp' && claims.iss !== 'coinbase-cloud') return null;
  const { nbf, exp } = claims;
  if (typeof nbf !== 'number' || typeof exp !== 'number' || exp - nbf > 120) return null;
  if (request.serverNowMs < nbf * 1000 - SIM_NBF_LEEWAY_MS || request.serverNowMs >= exp * 1000) return null;
  const expected = `${request.method} api.coinbase.com${request.path}`;
  const uris = Array.isArray(claims.uris) ? claims.uris : [claims.uri];
  return uris.includes(expected) ? { key, claims } : null;
}

// Parsed once per key, as an exchange keeps its keys parsed: the benchmark measures the checker, not PEM parsing here.
const PUBLIC_KEYS = new Map<string, KeyObject>();

function verifySignature(alg: unknown, publicPem: string, input: string, signature: Buffer): boolean {
  try {
    let key = PUBLIC_KEYS.get(publicPem);
    if (!key) {
      key = createPublicKey(publicPem);
      PUBLIC_KEYS.set(publicPem, key);
    }
    if (alg === 'ES256' && key.asymmetricKeyType === 'ec')
      return verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (alg === 'EdDSA' && key.asymmetricKeyType === 'ed25519') return verify(null, Buffer.from(input), key, signature);
    return false;
  } catch {
    return false;
  }
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const usd = (value: string) => ({ value, currency: 'USD' });

// [V] Field names of RetailBrokerageApi_GetFCMBalanceSummary; values made up.
const BALANCE_SUMMARY = {
  futures_buying_power: usd('1520.40'),
  total_usd_balance: usd('2500.00'),
  cbi_usd_balance: usd('1000.00'),
  cfm_usd_balance: usd('1500.00'),
  total_open_orders_hold_amount: usd('0'),
  unrealized_pnl: usd('-12.35'),
  daily_realized_pnl: usd('4.10'),
  initial_margin: usd('210.00'),
  available_margin: usd('1290.00'),
  liquidation_threshold: usd('105.00'),
  liquidation_buffer_amount: usd('1395.00'),
  liquidation_buffer_percentage: '92.9',
  intraday_margin_window_measure: {
    margin_window_type: 'FCM_MARGIN_WINDOW_TYPE_INTRADAY',
    margin_level: 'MARGIN_LEVEL_TYPE_BASE',
    initial_margin: '210.00',
    maintenance_margin: '105.00',
    liquidation_buffer_percentage: '92.9',
    total_hold: '0',
    futures_buying_power: '1520.40',
  },
  overnight_margin_window_measure: {
    margin_window_type: 'FCM_MARGIN_WINDOW_TYPE_OVERNIGHT',
    margin_level: 'MARGIN_LEVEL_TYPE_BASE',
    initial_margin: '420.00',
    maintenance_margin: '210.00',
    liquidation_buffer_percentage: '85.8',
    total_hold: '0',
    futures_buying_power: '1310.40',
  },
};

const READ_TRADE = { view: true, trade: true, transfer: false };
const cdpName = (id: string) => `organizations/5f2b7c1e-demo/apiKeys/${id}`;

/** A fresh EC P-256 key: the SEC1 PEM the user stores, and the public PEM the exchange keeps. */
function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    secret: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    public: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Coinbase Advanced for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'coinbase-advanced',
  handler: coinbaseAdvancedHandler,
  makeKey(label) {
    const key = ecKey();
    const apiKey = cdpName(`${label}-${Math.random().toString(36).slice(2, 10)}`);
    return { simKey: { apiKey, secret: key.public, permissions: READ_TRADE, futures: true }, secret: { apiKey, apiSecret: key.secret } };
  },
  demoKeys() {
    const [futures, transfer, noFutures] = [ecKey(), ecKey(), ecKey()];
    return [
      {
        name: 'cb-futures-bot',
        simKey: { apiKey: cdpName('futures-bot'), secret: futures.public, permissions: READ_TRADE, futures: true },
        secret: { apiKey: cdpName('futures-bot'), apiSecret: futures.secret },
        expect: { futures: true, trade: true },
        codes: [],
      },
      {
        name: 'cb-can-withdraw',
        simKey: { apiKey: cdpName('can-withdraw'), secret: transfer.public, permissions: { ...READ_TRADE, transfer: true }, futures: true },
        secret: { apiKey: cdpName('can-withdraw'), apiSecret: transfer.secret },
        codes: ['PERMISSION_EXCESSIVE'],
      },
      {
        name: 'cb-no-futures',
        simKey: { apiKey: cdpName('no-futures'), secret: noFutures.public, permissions: READ_TRADE, futures: false },
        secret: { apiKey: cdpName('no-futures'), apiSecret: noFutures.secret },
        codes: ['PERMISSION_MISSING'],
      },
      { name: 'cb-revoked', secret: { apiKey: cdpName('deleted-last-week'), apiSecret: ecKey().secret }, codes: ['AUTH_INVALID_KEY'] },
      {
        name: 'cb-legacy-key',
        secret: { apiKey: 'Ab3dE5gH7jK9mN1p', apiSecret: 'q2W4e6R8t0Y2u4I6o8P0a2S4d6F8g0H2' },
        codes: ['KEY_EXPIRED'],
      },
    ];
  },
};
