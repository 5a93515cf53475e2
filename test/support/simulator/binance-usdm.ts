import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { SimulatedExchange } from './simulated-exchange';

/**
 * What only the Binance simulator reads from `SimKey.extra`: which restriction flag makes a transfer key
 * (`transferBy`, default `enableWithdrawals`) and the key's `createTime` (epoch ms).
 */
export interface BinanceSimExtra {
  readonly transferBy?: 'enableWithdrawals' | 'enableInternalTransfer' | 'permitsUniversalTransfer';
  readonly createTime?: number;
}

/** [V] USDⓈ-M general info: recvWindow defaults to 5000. */
const DEFAULT_RECV_WINDOW_MS = 5000;
/** [V] binance/binance-skills-hub SKILL.md: "All authenticated endpoints accept optional --recvWindow <ms> (max 60 000)". */
const MAX_RECV_WINDOW_MS = 60_000;
/** [V] "timestamp < serverTime + 1000": one second ahead is already refused. */
const AHEAD_LIMIT_MS = 1000;
/** [U] Binance does not document the key format; every key its docs show is 64 letters and digits. */
const API_KEY_FORMAT = /^[A-Za-z0-9]{64}$/;
/** A key created 10 days before the request, unless `extra.createTime` says otherwise: young enough for every rotation policy. */
const CREATED_AGO_MS = 10 * 86_400_000;

// Bodies: [V] developers.binance.com USDⓈ-M "Error Codes"; statuses as in the contract fixture's sources.
const KEY_FORMAT_INVALID = json(400, { code: -2014, msg: 'API-key format invalid.' });
const rejected = (request: SimRequest) =>
  json(401, { code: -2015, msg: `Invalid API-key, IP, or permissions for action, request ip: ${request.remoteAddress}` });
const mandatory = (name: string) =>
  json(400, { code: -1102, msg: `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.` });
// [E] rainner/binance-watch#40 (HTTP 400), binance-exchange/binance-java-api#221 (code -1131).
const RECV_WINDOW_TOO_LARGE = json(400, { code: -1131, msg: "'recvWindow' must be less than 60000." });
const OUTSIDE_RECV_WINDOW = json(400, { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' });
const AHEAD_OF_SERVER = json(400, { code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time." });
const BAD_SIGNATURE = json(400, { code: -1022, msg: 'Signature for this request is not valid.' });

const ROUTES: Record<string, (key: SimKey, request: SimRequest) => SimResponse> = {
  'GET /sapi/v1/account/apiRestrictions': (key) => json(200, restrictionsOf(key)),
  'GET /fapi/v3/balance': (key, request) => {
    // [E] ccxt/node-binance-api#629: without "Enable Futures" a futures read is refused with -2015.
    if (!key.futures || !key.permissions.view) return rejected(request);
    return json(200, BALANCES);
  },
};

/**
 * Binance USDⓈ-M (and the one sapi read) as the tests see it. It checks, in this order: the API key's format
 * (-2014), that the key exists, is enabled and allows our IP (-2015, quoting `request ip`), that `timestamp`,
 * a `recvWindow` of at most 60000 and a last `signature` are sent, the asymmetric timestamp window (-1021),
 * the signature (-1022: hex HMAC-SHA256, case-insensitive, or RSA PKCS#1 v1.5 / Ed25519 over the base64 in
 * the query), then the endpoint's permission (-2015). [U] Binance does not document which check comes first
 * when several fail; key and IP before timestamp and signature is what its one code for all three suggests.
 */
export const binanceUsdmHandler: ExchangeHandler = (request, keys) => {
  if (request.method === 'GET' && request.path === '/fapi/v1/time') return json(200, { serverTime: request.serverNowMs });
  const route = ROUTES[`${request.method} ${request.path}`];
  // [U] What Binance answers for an unknown path does not matter here: the adapter never sends one.
  if (!route) return json(404, { code: -5000, msg: `Path ${request.path}, Method ${request.method} is invalid` });
  const apiKey = request.headers['x-mbx-apikey'];
  if (apiKey === undefined || !API_KEY_FORMAT.test(apiKey)) return KEY_FORMAT_INVALID;
  const key = keys.get(apiKey);
  if (!key || key.disabled || key.ipBlocked) return rejected(request);
  const problem = checkSigned(request, key);
  return problem ?? route(key, request);
};

/** The answer to a request whose timing or signature is wrong, `undefined` when it is signed right. */
function checkSigned(request: SimRequest, key: SimKey): SimResponse | undefined {
  const signed = /^(?<params>.*)&signature=(?<signature>[^&]+)$/.exec(request.query);
  const params = new URLSearchParams(`${signed?.groups?.params ?? request.query}&${request.body}`);
  const timestamp = Number(params.get('timestamp') ?? Number.NaN);
  if (!Number.isInteger(timestamp)) return mandatory('timestamp');
  const recvWindow = Number(params.get('recvWindow') ?? DEFAULT_RECV_WINDOW_MS);
  if (!Number.isFinite(recvWindow) || recvWindow <= 0) return mandatory('recvWindow');
  if (recvWindow > MAX_RECV_WINDOW_MS) return RECV_WINDOW_TOO_LARGE;
  // [V] "if (timestamp < (serverTime + 1000) && (serverTime - timestamp) <= recvWindow) { process } else { reject }".
  if (timestamp >= request.serverNowMs + AHEAD_LIMIT_MS) return AHEAD_OF_SERVER;
  if (request.serverNowMs - timestamp > recvWindow) return OUTSIDE_RECV_WINDOW;
  const signature = signed?.groups?.signature;
  if (signature === undefined) return mandatory('signature');
  // [V] "totalParams is defined as the query string concatenated with the request body".
  const totalParams = `${signed?.groups?.params ?? ''}${request.body}`;
  return verifySignature(key.secret, totalParams, signature) ? undefined : BAD_SIGNATURE;
}

// Parsed once per key, as an exchange keeps its keys parsed.
const PUBLIC_KEYS = new Map<string, KeyObject>();

/** HMAC keys are stored as their secret text, RSA and Ed25519 keys as the public key PEM registered with Binance. */
function verifySignature(stored: string, totalParams: string, signature: string): boolean {
  if (!stored.includes('PUBLIC KEY')) {
    // [V] "The signature is not case sensitive."
    const expected = createHmac('sha256', stored).update(totalParams).digest();
    const given = Buffer.from(signature.toLowerCase(), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  try {
    let publicKey = PUBLIC_KEYS.get(stored);
    if (!publicKey) {
      publicKey = createPublicKey(stored);
      PUBLIC_KEYS.set(stored, publicKey);
    }
    const bytes = Buffer.from(decodeURIComponent(signature), 'base64');
    return verify(publicKey.asymmetricKeyType === 'rsa' ? 'sha256' : null, Buffer.from(totalParams), publicKey, bytes);
  } catch {
    return false;
  }
}

/** [V] wallet "Get API Key Permission", every field of the current docs plus the older `tradingAuthorityExpirationTime`. */
function restrictionsOf(key: SimKey): Record<string, unknown> {
  const extra = (key.extra ?? {}) as BinanceSimExtra;
  const transferBy = extra.transferBy ?? 'enableWithdrawals';
  const transfers = (flag: NonNullable<BinanceSimExtra['transferBy']>) => key.permissions.transfer && transferBy === flag;
  return {
    ipRestrict: key.ipRestricted === true,
    createTime: extra.createTime ?? Date.now() - CREATED_AGO_MS,
    enableReading: key.permissions.view,
    enableWithdrawals: transfers('enableWithdrawals'),
    enableInternalTransfer: transfers('enableInternalTransfer'),
    enableMargin: false,
    enableFutures: key.futures,
    permitsUniversalTransfer: transfers('permitsUniversalTransfer'),
    enableVanillaOptions: false,
    enableFixApiTrade: false,
    enableFixReadOnly: false,
    enableSpotAndMarginTrading: key.permissions.trade,
    enablePortfolioMarginTrading: false,
    ...(key.expiresAt && { tradingAuthorityExpirationTime: Date.parse(key.expiresAt) }),
  };
}

// [V] "Futures Account Balance V3" response example (values made up).
const BALANCES = [
  {
    accountAlias: 'SgsR',
    asset: 'USDT',
    balance: '122.12345678',
    crossWalletBalance: '122.12345678',
    crossUnPnl: '0.00000000',
    availableBalance: '122.12345678',
    maxWithdrawAmount: '122.12345678',
    marginAvailable: true,
    updateTime: 1617939110373,
  },
];

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 64 letters and digits, as Binance shows API keys and HMAC secrets, starting with `prefix` (letters and digits kept). */
function keyText(prefix = ''): string {
  const random = [...randomBytes(64)].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
  return `${prefix.replace(/[^A-Za-z0-9]/g, '')}${random}`.slice(0, 64);
}

/** A fresh RSA-2048 or Ed25519 key: the PKCS#8 PEM the user stores and the public PEM registered with Binance. */
function keyPair(type: 'rsa' | 'ed25519') {
  const { privateKey, publicKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  return {
    private: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    public: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const READ_ONLY = { view: true, trade: false, transfer: false };
const DAY_MS = 86_400_000;

/** Binance USDⓈ-M for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'binance-usdm',
  handler: binanceUsdmHandler,
  makeKey(label) {
    const apiKey = keyText(label);
    const apiSecret = keyText();
    return { simKey: { apiKey, secret: apiSecret, permissions: READ_ONLY, futures: true }, secret: { apiKey, apiSecret } };
  },
  demoKeys() {
    const hmac = (name: string, simKey: Partial<SimKey> = {}) => {
      const apiKey = keyText(name);
      const apiSecret = keyText();
      return { simKey: { apiKey, secret: apiSecret, permissions: READ_ONLY, futures: true, ...simKey }, secret: { apiKey, apiSecret } };
    };
    const [rsa, ed25519, other] = [keyPair('rsa'), keyPair('ed25519'), keyPair('ed25519')];
    const rsaKey = keyText('rsaBot');
    const edKey = keyText('ed25519Bot');
    return [
      { name: 'bn-futures-bot', ...hmac('futuresBot', { ipRestricted: true }), expect: { ipRestricted: true }, codes: [] },
      {
        name: 'bn-rsa-bot',
        simKey: { apiKey: rsaKey, secret: rsa.public, permissions: READ_ONLY, futures: true },
        secret: { apiKey: rsaKey, apiSecret: rsa.private },
        codes: [],
      },
      {
        name: 'bn-ed25519-bot',
        simKey: { apiKey: edKey, secret: ed25519.public, permissions: READ_ONLY, futures: true },
        secret: { apiKey: edKey, apiSecret: ed25519.private },
        codes: [],
      },
      // Created before the futures account was opened: apiRestrictions works, the futures read gets -2015.
      { name: 'bn-no-futures', ...hmac('noFutures', { futures: false }), codes: ['PERMISSION_MISSING'] },
      {
        name: 'bn-can-withdraw',
        ...hmac('canWithdraw', { ipRestricted: true, permissions: { view: true, trade: true, transfer: true } }),
        codes: ['PERMISSION_EXCESSIVE'],
      },
      // The checker's egress IP is not on the key's allow-list: -2015 on both reads, quoting that IP.
      { name: 'bn-egress-ip-not-allowed', ...hmac('egressIp', { ipRestricted: true, ipBlocked: true }), codes: ['AUTH_INVALID_KEY'] },
      // 2.5 s ahead: inside most exchanges' windows, but Binance refuses a timestamp 1 s ahead of its clock.
      { name: 'bn-clock-ahead', ...hmac('clockAhead'), codes: ['CLOCK_SKEW_REJECTED'], conditions: { skewMs: -2500 } },
      {
        name: 'bn-trading-permission-ending',
        ...hmac('tradingEnds', { expiresAt: new Date(Date.now() + 5 * DAY_MS).toISOString() }),
        codes: ['KEY_EXPIRING'],
      },
      {
        name: 'bn-public-key-stored',
        secret: { apiKey: keyText('publicKeyStored'), apiSecret: other.public },
        codes: ['SECRET_INVALID'],
      },
    ];
  },
};
