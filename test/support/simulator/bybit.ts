import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import { BYBIT_AHEAD_MS, BYBIT_RECV_WINDOW_MS } from '../../../lambda/exchanges/bybit';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { DemoKey, SimulatedExchange } from './simulated-exchange';

/**
 * What only Bybit knows of a key, in `SimKey.extra`: `unified: false` for an account that is not a
 * Unified Trading Account; `createdAt` (ISO) from which an unbound key's 90-day expiry runs (default now);
 * `wallet`, the wallet rights of a key that may transfer (default AccountTransfer, SubMemberTransfer).
 */
export interface BybitKeyExtra {
  readonly unified?: boolean;
  readonly createdAt?: string;
  readonly wallet?: readonly string[];
}

/** [V] bybit-exchange/docs:docs/v5/user/create-subuid-apikey.mdx: "No ip bound api key will be invalid after 90 days". */
const UNBOUND_LIFETIME_MS = 90 * 86_400_000;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The answer envelope of every v5 endpoint ([V] docs/v5/guide.mdx "Common response parameters"). */
function answer(nowMs: number, retCode: number, retMsg: string, result: unknown = {}): SimResponse {
  return json(200, { retCode, retMsg, result, retExtInfo: {}, time: nowMs });
}

const ROUTES: Record<string, (key: SimKey, request: SimRequest) => SimResponse> = {
  'GET /v5/user/query-api': (key, request) => answer(request.serverNowMs, 0, '', keyInformation(key, request.serverNowMs)),
  'GET /v5/account/wallet-balance': (key, request) => {
    const now = request.serverNowMs;
    // [U] the text for another accountType is not documented; 10001 is "Request parameter error" ([V] error.mdx).
    if (new URLSearchParams(request.query).get('accountType') !== 'UNIFIED') return answer(now, 10001, 'accountType only support UNIFIED.');
    // [V] docs/v5/error.mdx 10028, for an account that is not unified.
    if (extraOf(key).unified === false) return answer(now, 10028, 'The API can only be accessed by unified account users.');
    // [V] error.mdx 10005; [U] which rights Bybit requires for this read: here, a contract right.
    if (!key.futures) return answer(now, 10005, 'Permission denied, please check your API key permissions.');
    return answer(now, 0, 'OK', { list: [UNIFIED_ACCOUNT] });
  },
};

/**
 * Bybit v5 as the tests see it: serves the server time; checks the `X-BAPI-*` headers in this order
 * (missing header: a bare HTTP 401; then the window `server - recv_window <= ts < server + 1000`, the
 * key, the HMAC-SHA256 hex or RSA-SHA256 base64 signature over `ts + key + recvWindow + query`, the IP
 * allow-list, the right) and answers with HTTP 200 and a `retCode`, as Bybit does. [U] Bybit does not
 * document the order of its checks; this one tests the window first, which needs no key.
 */
export const bybitHandler: ExchangeHandler = (request, keys) => {
  const now = request.serverNowMs;
  if (request.method === 'GET' && request.path === '/v5/market/time')
    // [V] docs/v5/market/time.mdx.
    return answer(now, 0, 'OK', { timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` });
  const route = ROUTES[`${request.method} ${request.path}`];
  // [V] error.mdx: 10017 "Route not found."; [U] its HTTP status (404 "Cannot find path").
  if (!route) return json(404, { retCode: 10017, retMsg: 'Route not found.', result: {}, retExtInfo: {}, time: now });
  const key = authenticate(request, keys);
  return 'status' in key ? key : route(key, request);
};

function authenticate(request: SimRequest, keys: ReadonlyMap<string, SimKey>): SimKey | SimResponse {
  const now = request.serverNowMs;
  const h = request.headers;
  const apiKey = h['x-bapi-api-key'];
  const timestamp = h['x-bapi-timestamp'];
  const signature = h['x-bapi-sign'];
  const recvWindow = h['x-bapi-recv-window'] ?? String(BYBIT_RECV_WINDOW_MS);
  // [V] error.mdx HTTP 401: "Need to put authentication params in the request header"; [E] seen with an empty body.
  if (!apiKey || !timestamp || !signature) return { status: 401, body: '' };
  if (!/^\d+$/.test(recvWindow) || !/^\d+$/.test(timestamp)) return answer(now, 10001, 'Request parameter error');
  const ts = Number(timestamp);
  // [V] guide.mdx: server_time - recv_window <= timestamp < server_time + 1000. The text is Bybit's live one
  // ([E] bybit-exchange/pybit#191, JKorf/Bybit.Net#273).
  if (!(now - Number(recvWindow) <= ts && ts < now + BYBIT_AHEAD_MS))
    return answer(
      now,
      10002,
      `invalid request, please check your server timestamp or recv_window param. req_timestamp[${timestamp}],server_timestamp[${now}],recv_window[${recvWindow}]`,
    );
  const key = keys.get(apiKey);
  // [E] VictorFrWu/bybit-java-api#57: {retCode=10003, retMsg=API key is invalid., result={}, …}.
  if (!key) return answer(now, 10003, 'API key is invalid.');
  // [V] error.mdx 33004 "(Derivatives) Your api key has expired".
  if (key.disabled) return answer(now, 33004, 'Your api key has expired');
  const prehash = `${timestamp}${apiKey}${recvWindow}${request.method === 'GET' ? request.query : request.body}`;
  // [V] error.mdx 10004; Bybit quotes the string it signed ([E] sieblyio/bybit-api#448, #537: "origin_string[…]").
  if (!verifySignature(key.secret, prehash, signature))
    return answer(now, 10004, `Error sign, please check your signature generation algorithm: origin_string[${prehash}]`);
  // [E] sieblyio/bybit-api#555: {"retCode":10010,"retMsg":"Unmatched IP, please check your API key's bound IP addresses."}.
  if (key.ipBlocked) return answer(now, 10010, "Unmatched IP, please check your API key's bound IP addresses.");
  return key;
}

// Parsed once per key, as an exchange keeps its keys parsed.
const PUBLIC_KEYS = new Map<string, KeyObject>();

/** HMAC keys are stored as their secret text, RSA keys as the public key PEM the user gave Bybit. */
function verifySignature(stored: string, prehash: string, signature: string): boolean {
  if (!stored.includes('-----BEGIN PUBLIC KEY-----')) {
    const expected = Buffer.from(createHmac('sha256', stored).update(prehash).digest('hex'));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  let key = PUBLIC_KEYS.get(stored);
  if (!key) {
    key = createPublicKey(stored);
    PUBLIC_KEYS.set(stored, key);
  }
  return verify('sha256', Buffer.from(prehash), key, Buffer.from(signature, 'base64'));
}

function extraOf(key: SimKey): BybitKeyExtra {
  return (key.extra ?? {}) as BybitKeyExtra;
}

/** The `result` of `GET /v5/user/query-api` for a key ([V] docs/v5/user/apikey-info.mdx field list). */
function keyInformation(key: SimKey, nowMs: number): Record<string, unknown> {
  const extra = extraOf(key);
  const { trade, transfer } = key.permissions;
  const bound = key.ipRestricted === true || key.ipBlocked === true;
  const createdAt = extra.createdAt ?? new Date(nowMs).toISOString();
  // An IP-bound key answers the epoch and -2 ([V] current apikey-info example), an unbound one its 90-day expiry.
  const expiresAt = key.expiresAt ?? (bound ? '1970-01-01T00:00:00Z' : new Date(Date.parse(createdAt) + UNBOUND_LIFETIME_MS).toISOString());
  const expiresMs = Date.parse(expiresAt);
  return {
    id: '2208369',
    note: 'key-health',
    apiKey: key.apiKey,
    readOnly: trade ? 0 : 1,
    secret: '',
    permissions: {
      ContractTrade: key.futures ? ['Order', 'Position'] : [],
      Spot: trade ? ['SpotTrade'] : [],
      Wallet: transfer ? [...(extra.wallet ?? ['AccountTransfer', 'SubMemberTransfer'])] : [],
      Options: [],
      Derivatives: key.futures && extra.unified !== false ? ['DerivativesTrade'] : [],
      CopyTrading: [],
      BlockTrade: [],
      Exchange: ['ExchangeHistory'],
      NFT: [],
      Affiliate: [],
      Earn: [],
    },
    ips: bound ? ['203.0.113.7'] : ['*'],
    type: 1,
    deadlineDay: expiresMs <= 0 ? -2 : Math.ceil((expiresMs - nowMs) / 86_400_000),
    expiredAt: expiresAt,
    createdAt,
    unified: 0,
    uta: extra.unified === false ? 0 : 1,
    userID: 1448939,
    inviterID: 0,
    vipLevel: 'No VIP',
    mktMakerLevel: '0',
    affiliateID: 0,
    rsaPublicKey: key.secret.includes('-----BEGIN PUBLIC KEY-----') ? key.secret : '',
    isMaster: true,
    parentUid: '0',
    kycLevel: 'LEVEL_1',
    kycRegion: 'MYS',
  };
}

// [V] docs/v5/account/wallet-balance.mdx response example (values made up).
const UNIFIED_ACCOUNT = {
  totalEquity: '3.31216591',
  accountIMRate: '0',
  accountIMRateByMp: '0',
  totalMarginBalance: '3.00326056',
  totalInitialMargin: '0',
  totalInitialMarginByMp: '0',
  accountType: 'UNIFIED',
  totalAvailableBalance: '3.00326056',
  accountMMRate: '0',
  accountMMRateByMp: '0',
  totalPerpUPL: '0',
  totalWalletBalance: '3.00326056',
  accountLTV: '0',
  totalMaintenanceMargin: '0',
  totalMaintenanceMarginByMp: '0',
  coin: [
    {
      coin: 'USDT',
      equity: '3.00326056',
      usdValue: '3.00326056',
      walletBalance: '3.00326056',
      locked: '0',
      spotHedgingQty: '0',
      borrowAmount: '0.0',
      accruedInterest: '0',
      totalOrderIM: '0',
      totalPositionIM: '0',
      totalPositionMM: '0',
      unrealisedPnl: '0',
      cumRealisedPnl: '0',
      bonus: '0',
      marginCollateral: true,
      collateralSwitch: true,
      spotBorrow: '0',
    },
  ],
};

/** `length` random letters and digits: Bybit's key and secret alphabet ([V] pybit tests/test_pybit.py sample key and secret). */
function randomWord(length: number): string {
  return [...randomBytes(length)].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

/** A fresh system-generated key: an 18-character API key and a 36-character secret ([V] pybit test sample lengths). */
function hmacKey(): { apiKey: string; secret: string } {
  return { apiKey: randomWord(18), secret: randomWord(36) };
}

/** A fresh self-generated RSA key: the PKCS#8 private PEM the user stores, the public PEM Bybit keeps. */
export function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const READ_TRADE = { view: true, trade: true, transfer: false };
const DAY_MS = 86_400_000;

/** Bybit for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'bybit',
  handler: bybitHandler,
  makeKey() {
    const { apiKey, secret } = hmacKey();
    return { simKey: { apiKey, secret, permissions: READ_TRADE, futures: true }, secret: { apiKey, apiSecret: secret } };
  },
  demoKeys(): DemoKey[] {
    const [bot, rsa, unbound, withdraw, expired, ip, ahead] = [
      hmacKey(),
      rsaKeyPair(),
      hmacKey(),
      hmacKey(),
      hmacKey(),
      hmacKey(),
      hmacKey(),
    ];
    const rsaApiKey = randomWord(18);
    return [
      {
        name: 'bybit-perps-bot',
        simKey: { apiKey: bot.apiKey, secret: bot.secret, permissions: READ_TRADE, futures: true, ipRestricted: true },
        secret: { apiKey: bot.apiKey, apiSecret: bot.secret },
        expect: { futures: true, trade: true, ipRestricted: true },
        codes: [],
      },
      {
        name: 'bybit-rsa-readonly',
        simKey: {
          apiKey: rsaApiKey,
          secret: rsa.publicPem,
          permissions: { ...READ_TRADE, trade: false },
          futures: true,
          ipRestricted: true,
        },
        secret: { apiKey: rsaApiKey, apiSecret: rsa.privatePem },
        expect: { futures: true, trade: false },
        codes: [],
      },
      {
        // No IP allow-list: Bybit expires the key 90 days after creation, here in 5 days (and an 85-day-old key is due for rotation).
        name: 'bybit-unbound-expiring',
        simKey: {
          apiKey: unbound.apiKey,
          secret: unbound.secret,
          permissions: READ_TRADE,
          futures: true,
          extra: { createdAt: new Date(Date.now() - 85 * DAY_MS).toISOString() },
        },
        secret: { apiKey: unbound.apiKey, apiSecret: unbound.secret },
        codes: ['KEY_EXPIRING', 'ROTATION_DUE'],
      },
      {
        name: 'bybit-can-withdraw',
        simKey: {
          apiKey: withdraw.apiKey,
          secret: withdraw.secret,
          permissions: { ...READ_TRADE, transfer: true },
          futures: true,
          ipRestricted: true,
          extra: { wallet: ['AccountTransfer', 'Withdraw'] },
        },
        secret: { apiKey: withdraw.apiKey, apiSecret: withdraw.secret },
        codes: ['PERMISSION_EXCESSIVE'],
      },
      {
        name: 'bybit-expired',
        simKey: { apiKey: expired.apiKey, secret: expired.secret, permissions: READ_TRADE, futures: true, disabled: true },
        secret: { apiKey: expired.apiKey, apiSecret: expired.secret },
        codes: ['KEY_EXPIRED'],
      },
      {
        name: 'bybit-ip-bound',
        simKey: { apiKey: ip.apiKey, secret: ip.secret, permissions: READ_TRADE, futures: true, ipBlocked: true },
        secret: { apiKey: ip.apiKey, apiSecret: ip.secret },
        codes: ['IP_NOT_ALLOWED'],
      },
      { name: 'bybit-testnet-key', secret: { apiKey: randomWord(18), apiSecret: randomWord(36) }, codes: ['AUTH_INVALID_KEY'] },
      {
        name: 'bybit-clock-ahead',
        simKey: { apiKey: ahead.apiKey, secret: ahead.secret, permissions: READ_TRADE, futures: true, ipRestricted: true },
        secret: { apiKey: ahead.apiKey, apiSecret: ahead.secret },
        codes: ['CLOCK_SKEW_REJECTED'],
        // Our clock 2 s ahead of Bybit's: inside most exchanges' windows, but Bybit refuses 1 s ahead.
        conditions: { skewMs: -2_000 },
      },
    ];
  },
};
