import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { describeDecommission } from '../../../lambda/exchanges/kraken-futures';
import type { FindingCode } from '../../../lambda/findings';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { SimulatedExchange } from './simulated-exchange';

const ACCOUNTS_PATH = '/derivatives/api/v3/accounts';

/**
 * The highest `Nonce` each key has sent. Kraken tracks one nonce sequence per key ([V] Futures REST guide: "A new
 * pair of api keys will automatically reset the nonce"); the adapter sends none, so only tests fill this.
 */
const lastNonces = new Map<string, bigint>();

/**
 * Kraken Futures (Derivatives REST) as the tests see it: `GET /derivatives/api/v3/accounts` only, every answer
 * with `serverTime`, every error as HTTP 200 `{"result":"error","error":"…","serverTime":"…"}` ([V]
 * krakenfx/api-specs `ErrorResponse`; [E] python-kraken-sdk#303 for the status). Order: the per-IP API limit,
 * then the key and `Authent` (recomputed here from the Futures REST guide's five steps, `/derivatives` not
 * signed), then a `Nonce` if one was sent, then the key's state. Kraken answers `authenticationError` for an
 * unknown key, a wrong signature and a spot key alike [V/E]; that it answers the same for a key outside its IP
 * allow-list or with General API "No access" is an assumption [U], as is `accountInactive` for a Kraken account
 * without an active Futures account [U]. `SimKey.extra.rateLimited` makes the key's calls hit the API limit.
 */
export const krakenFuturesHandler: ExchangeHandler = (request, keys) => {
  const serverTime = new Date(request.serverNowMs).toISOString();
  const fail = (error: string, status = 200): SimResponse => json(status, { result: 'error', error, serverTime });
  // [U] the answer to an unknown path; `notFound` is in the documented Error enum.
  if (request.method !== 'GET' || request.path !== ACCOUNTS_PATH) return fail('notFound', 404);
  const apiKey = request.headers.apikey;
  const key = apiKey === undefined ? undefined : keys.get(apiKey);
  if (key?.extra?.rateLimited === true) return fail('apiLimitExceeded');
  if (!key || key.disabled || !verifyAuthent(request, key)) return fail('authenticationError');
  const nonceError = checkNonce(key.apiKey, request.headers.nonce);
  if (nonceError) return fail(nonceError);
  if (key.ipBlocked || !key.permissions.view) return fail('authenticationError');
  if (!key.futures) return fail('accountInactive');
  return json(200, { result: 'success', accounts: ACCOUNTS, serverTime });
};

/** `Authent` as the Futures REST guide computes it: base64(HMAC-SHA512(base64-decode(secret), SHA-256(postData + Nonce + endpointPath))). */
function verifyAuthent(request: SimRequest, key: SimKey): boolean {
  const authent = request.headers.authent;
  if (!authent) return false;
  const endpointPath = request.path.replace(/^\/derivatives(?=\/)/, '');
  const digest = createHash('sha256')
    .update(`${request.query}${request.headers.nonce ?? ''}${endpointPath}`)
    .digest();
  const expected = createHmac('sha512', Buffer.from(key.secret, 'base64')).update(digest).digest();
  const given = Buffer.from(authent, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** [V] api-specs Error enum: `nonceDuplicate` ("has been used in a previous request"), `nonceBelowThreshold`; the threshold is [U], here the key's highest nonce. */
function checkNonce(apiKey: string, nonce: string | undefined): string | undefined {
  if (nonce === undefined) return undefined;
  if (!/^\d+$/.test(nonce)) return 'invalidArgument';
  const value = BigInt(nonce);
  const last = lastNonces.get(apiKey);
  if (last !== undefined && value === last) return 'nonceDuplicate';
  if (last !== undefined && value < last) return 'nonceBelowThreshold';
  lastNonces.set(apiKey, value);
  return undefined;
}

/** [V] krakenfx/api-specs `AccountsExample`, trimmed: a cash account, a margin account and the multi-collateral (flex) account. */
const ACCOUNTS = {
  cash: { type: 'cashAccount', balances: { xbt: '0.1185308247', usd: '5000.0' } },
  fi_xbtusd: {
    type: 'marginAccount',
    currency: 'xbt',
    balances: { xbt: '0.0' },
    auxiliary: { af: 0, funding: 0, pnl: 0, pv: 0, usd: 0 },
    marginRequirements: { im: 0, lt: 0, mm: 0, tt: 0 },
    triggerEstimates: { im: 0, lt: 0, mm: 0, tt: 0 },
  },
  flex: {
    type: 'multiCollateralMarginAccount',
    currencies: { USD: { quantity: 5000, value: 5000, collateral: 5000, available: 5000 } },
    balanceValue: 5000,
    portfolioValue: 5000,
    collateralValue: 5000,
    initialMargin: 0,
    initialMarginWithOrders: 0,
    maintenanceMargin: 0,
    pnl: 0,
    unrealizedFunding: 0,
    totalUnrealized: 0,
    totalUnrealizedAsMargin: 0,
    marginEquity: 5000,
  },
};

/** What a working Kraken Futures key is reported as at `nowMs`: the dated decommission warning (KEY_EXPIRED from 1 March 2027). */
export function healthyCodes(nowMs: number): FindingCode[] {
  return [describeDecommission(nowMs).code];
}

/** A private key as Kraken Futures shows it: 88 base64 characters ([V] the Futures WebSocket guide's example secret decodes to 66 bytes). */
function newSecret(): string {
  return randomBytes(66).toString('base64');
}

const READ_TRADE = { view: true, trade: true, transfer: false };

/**
 * Kraken Futures for the demo, the benchmark and the contract suite; `standingCodes` says what every working
 * key carries on a given day (the decommission finding), for a suite that knows to expect it.
 */
export const simulator: SimulatedExchange & { readonly standingCodes: (nowMs: number) => FindingCode[] } = {
  id: 'kraken-futures',
  handler: krakenFuturesHandler,
  standingCodes: healthyCodes,
  makeKey(label) {
    const apiSecret = newSecret();
    const apiKey = `kf-${label}-${randomBytes(6).toString('hex')}`;
    return { simKey: { apiKey, secret: apiSecret, permissions: READ_TRADE, futures: true }, secret: { apiKey, apiSecret } };
  },
  demoKeys() {
    const [futures, spot, busy] = [newSecret(), randomBytes(64).toString('base64'), newSecret()];
    return [
      {
        name: 'kf-futures',
        simKey: { apiKey: 'kf-futures-key', secret: futures, permissions: READ_TRADE, futures: true },
        secret: { apiKey: 'kf-futures-key', apiSecret: futures },
        codes: healthyCodes(Date.now()),
      },
      {
        // A Kraken spot key pair stored for the Futures check: Kraken Futures does not know it ([E] python-kraken-sdk#303).
        name: 'kf-spot-key',
        secret: { apiKey: 'kf-spot-pair-key', apiSecret: spot },
        codes: ['AUTH_INVALID_KEY'],
      },
      {
        name: 'kf-rate-limited',
        simKey: { apiKey: 'kf-busy-key', secret: busy, permissions: READ_TRADE, futures: true, extra: { rateLimited: true } },
        secret: { apiKey: 'kf-busy-key', apiSecret: busy },
        codes: ['RATE_LIMITED'],
      },
    ];
  },
};
