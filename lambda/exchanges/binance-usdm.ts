import { createPrivateKey, type KeyObject, sign as signWithKey } from 'node:crypto';
import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { computeHmac } from './signing';
import type { CredentialsResult, ExchangeAdapter, Probe, ProbeReading, ReadContext } from './types';

/**
 * Credentials of a Binance key. The stored secret decides the key type: a private key PEM is an RSA or
 * Ed25519 key (by the key it holds), anything else is the secret of an HMAC key, used as the text it is.
 */
export type BinanceUsdmCredentials =
  | { readonly apiKey: string; readonly keyType: 'HMAC'; readonly secret: string }
  | { readonly apiKey: string; readonly keyType: 'RSA' | 'Ed25519'; readonly privateKey: KeyObject; readonly pem: string };

const ID = 'binance-usdm';
const NAME = 'Binance USDⓈ-M';
const FIELDS = ['apiKey', 'apiSecret'] as const;
const TIME_PATH = '/fapi/v1/time';
/** [V] developers.binance.com USDⓈ-M "Futures Account Balance V3 (USER_DATA)", weight 5; V2 is the older twin with the same answer. */
const BALANCE_PATH = '/fapi/v3/balance';
const RESTRICTIONS_PATH = '/sapi/v1/account/apiRestrictions';
/** [V] developers.binance.com wallet "Get API Key Permission": the key's restrictions are read from the spot API host. */
const RESTRICTIONS_ORIGIN = 'https://api.binance.com';
/**
 * [V] USDⓈ-M general info, "Timing security": Binance accepts `timestamp < serverTime + 1000 &&
 * serverTime - timestamp <= recvWindow`; recvWindow defaults to 5000 and "It is recommended to use a small
 * recvWindow of 5000 or less" (the spot docs add the 60,000 cap). We send Binance's default rather than
 * ccxt's 10000 [C], so the check warns about a clock that bots using the default would trip on.
 */
const RECV_WINDOW_MS = 5000;
const AHEAD_LIMIT_MS = 1000;

/** [V] wallet "Get API Key Permission": each of these lets the key place orders somewhere. */
const TRADE_FLAGS = [
  'enableSpotAndMarginTrading',
  'enableFutures',
  'enableVanillaOptions',
  'enablePortfolioMarginTrading',
  'enableFixApiTrade',
];
/** [V] same page: withdrawals, master/sub-account transfers and the universal-transfer API all move funds. */
const TRANSFER_FLAGS = ['enableWithdrawals', 'enableInternalTransfer', 'permitsUniversalTransfer'];
/** Fields the answer must carry: every current doc version and the official OpenAPI spec (binance-api-swagger) list them. */
const REQUIRED_FLAGS = ['ipRestrict', 'enableReading', 'enableFutures', 'enableSpotAndMarginTrading', ...TRANSFER_FLAGS];
/** Flags added over time (FIX, portfolio margin) or not sent to every account: checked only when present. */
const OPTIONAL_FLAGS = ['enableMargin', 'enableVanillaOptions', 'enablePortfolioMarginTrading', 'enableFixApiTrade', 'enableFixReadOnly'];

/**
 * The `signature` value for Binance's `totalParams` (the query string followed by the body, nothing between
 * them): hex HMAC-SHA256 keyed with the secret text, or the base64 of an RSA PKCS#1 v1.5 SHA-256 or an
 * Ed25519 signature, percent-encoded for the query ([V] USDⓈ-M general info "SIGNED Endpoint Examples";
 * [V] binance/binance-connector-js common/src/utils.ts `RequestSigner`).
 */
export function signBinancePayload(credentials: BinanceUsdmCredentials, totalParams: string): string {
  if (credentials.keyType === 'HMAC') return computeHmac('sha256', credentials.secret, totalParams, 'hex');
  const algorithm = credentials.keyType === 'RSA' ? 'sha256' : null;
  return encodeURIComponent(signWithKey(algorithm, Buffer.from(totalParams), credentials.privateKey).toString('base64'));
}

const RESTRICTIONS_PROBE: Probe = {
  label: 'API key restrictions',
  purpose: 'introspection',
  tells: 'view, trade, transfer, futures, IP allow-list, trading-permission expiry',
  request: { method: 'GET', path: RESTRICTIONS_PATH, origin: RESTRICTIONS_ORIGIN },
  read: readRestrictions,
};

const BALANCE_PROBE: Probe = {
  label: 'futures balance',
  purpose: 'futures',
  tells: 'the USDⓈ-M futures wallet',
  request: { method: 'GET', path: BALANCE_PATH },
  // [V] "Futures Account Balance V3": a list of `{accountAlias, asset, balance, crossWalletBalance, …}`, amounts as strings.
  // [U] The docs do not say the list is never empty; the example lists the wallet's assets. An empty list
  // shows no wallet and is what a proxy's bare 200 looks like, so it is refused (at worst an unknown, never a false ok).
  read(body) {
    if (!Array.isArray(body)) throw new Error('expected a list of balances');
    if (body.length === 0) throw new Error('the list of balances is empty');
    body.forEach((entry: unknown, index) => {
      const fields = entry as Record<string, unknown> | null;
      if (typeof fields?.asset !== 'string') throw new Error(`field "[${index}].asset" is not a string`);
      if (typeof fields.balance !== 'string') throw new Error(`field "[${index}].balance" is not a string`);
    });
    return { permissions: { view: true, futures: true } };
  },
  // [E] ccxt/ccxt#7822 and ccxt/node-binance-api#629: a key without "Enable Futures" gets -2015 on fapi reads.
  deniedMeans: { futures: false },
};

/**
 * Binance USDⓈ-M futures: `X-MBX-APIKEY` plus `timestamp`, `recvWindow` and `signature` (last) in the
 * query, signed over `totalParams` with an HMAC, RSA or Ed25519 key ([V] USDⓈ-M general info; [C] ccxt
 * 4.5.84 binance.js `sign`). The key's restrictions come from the spot API host (apiRestrictions); the V3
 * balance proves the futures wallet. A -2015 is split into its causes by whether the restrictions read worked.
 */
export const binanceUsdm: ExchangeAdapter<BinanceUsdmCredentials> = {
  id: ID,
  displayName: NAME,
  guide: {
    api: 'Binance USDⓈ-M futures (fapi), with the key’s restrictions read from the spot API (sapi)',
    secret:
      'A Binance API key: `apiKey` is the "API Key" Binance shows (64 letters and digits). `apiSecret` decides the key type. For a system-generated (HMAC) key it is the "Secret Key" Binance shows once, at creation (64 letters and digits, used as the text it is). For a self-generated RSA or Ed25519 key it is the private key PEM you generated, exactly as saved (`-----BEGIN PRIVATE KEY-----`, or `-----BEGIN RSA PRIVATE KEY-----`; JSON-escaped `\\n` newlines are fine), never the public key you registered with Binance and never encrypted. A PEM is signed as the key it holds (RSA or Ed25519); any other text is an HMAC secret. A Binance Demo Trading key (created under API Management at demo.binance.com) is checked with `sandbox: true`; keys of the retired futures testnet (testnet.binancefuture.com) are not supported.',
    secretExample: { apiKey: 'vmPUZE6m…(64 letters and digits)', apiSecret: 'NhqPtmdS…(64 letters and digits), or the private key PEM' },
    clock:
      '1 s ahead, 5 s behind (Binance accepts `timestamp < serverTime + 1000` and `serverTime − timestamp ≤ recvWindow`; we send `recvWindow=5000`, its default)',
    notes:
      'The key’s restrictions come from `GET /sapi/v1/account/apiRestrictions` on api.binance.com: reading, futures, trading (spot and margin, futures, options, portfolio margin, FIX), withdrawals, internal and universal transfers (all three reported as `transfer`), whether an IP allow-list exists (not its addresses), the creation date (a note), and, where Binance still sends it, `tradingAuthorityExpirationTime`, the date the spot and margin trading permission ends (reported as the exchange expiry). Binance has no read-only futures permission: "Enable Futures" is needed to read the futures wallet and also trades futures, so a futures key reports `trade: true`. Binance answers -2015 "Invalid API-key, IP, or permissions for action" alike for an unknown key, an IP outside the allow-list and a missing permission: when the restrictions read succeeds, a -2015 on the futures read is the missing futures permission; when both fail it is reported as `AUTH_INVALID_KEY`, quoting the `request ip` Binance saw (the address to allow). A 403 from Binance’s web application firewall is reported as `RATE_LIMITED`, not as a verdict on the key. Ed25519 keys are signed as Binance’s own connectors sign them, but the USDⓈ-M REST docs describe only HMAC and RSA keys. Binance Demo Trading (`sandbox: true`, demo-fapi.binance.com) has no /sapi: there only the futures balance is read, so trade, transfer, IP allow-list and expiry are not checked.',
  },
  origin: 'https://fapi.binance.com',
  // [V] developers.binance.com "Quick Start": futures are tried out with a "Demo Trading API key"; [V]
  // binance-connector-js common/src/constants.ts DERIVATIVES_TRADING_USDS_FUTURES_REST_API_DEMO_URL; [C] ccxt
  // urls.demo.fapiPrivate, and "testnet/sandbox mode is not supported for futures anymore … consider using the
  // demo trading". Demo keys authenticate there, so it says something about a key.
  sandboxOrigin: 'https://demo-fapi.binance.com',
  allowList: [`GET ${TIME_PATH}`, `GET ${RESTRICTIONS_PATH}`, `GET ${BALANCE_PATH}`],
  // [V] USDⓈ-M "General info" (limits): request weight 2,400 a minute per IP, 429 past it and then 418 bans
  // of 2 minutes to 3 days; "Futures Account Balance V3" weighs 5. 400 keys a minute is 2,000 weight,
  // leaving room for retries and the time read. The restrictions read goes to the spot API's own budget.
  pace: {
    keysPerWindow: { keys: 400, ms: 60_000 },
    why: 'Binance counts 2,400 request weight a minute per IP address on its futures API and a key’s balance read weighs 5 (going over brings 429, then IP bans); key-health starts at most 400 Binance keys a minute.',
  },
  // Being ahead by a second is fatal; CLOCK_DRIFT therefore warns from 500 ms ahead (half of it).
  clockWindow: { aheadMs: AHEAD_LIMIT_MS, behindMs: RECV_WINDOW_MS },
  time: {
    request: { method: 'GET', path: TIME_PATH },
    // [V] USDⓈ-M "Check Server Time": `{"serverTime": 1499827319559}`.
    read(body) {
      const serverTime = (body as { serverTime?: unknown } | null)?.serverTime;
      if (typeof serverTime !== 'number' || !Number.isFinite(serverTime)) throw new Error('field "serverTime" is not a number');
      return serverTime;
    },
  },

  parseCredentials(secret) {
    const fields = readSecretFields(secret, FIELDS, ID);
    if (!fields.ok) return fields;
    const apiKey = fields.values.apiKey.trim();
    if (apiKey.includes('-----BEGIN')) return invalid('field "apiKey" holds a PEM; it must be the API key Binance shows');
    if (/\s/.test(apiKey))
      return invalid('field "apiKey" contains a space or a line break (a Binance API key is one run of letters and digits)');
    const text = fields.values.apiSecret.trim();
    // A PEM pasted into JSON by hand often keeps its newlines as a literal backslash-n.
    if (text.includes('-----BEGIN')) return parsePem(apiKey, text.replace(/\\n/g, '\n'));
    if (/\s/.test(text))
      return invalid(
        'field "apiSecret" contains a space or a line break, and is not a PEM (a Binance HMAC secret is one run of letters and digits)',
      );
    if (PEM_BODY.test(text))
      return invalid(
        'field "apiSecret" looks like the inside of a private key PEM without its "-----BEGIN PRIVATE KEY-----" and "-----END PRIVATE KEY-----" lines; store the whole PEM',
      );
    return { ok: true, credentials: { apiKey, keyType: 'HMAC', secret: text } };
  },

  secretValues: (c) =>
    c.keyType === 'HMAC' ? [c.secret] : [c.pem, ...c.pem.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'))],

  sign(request, credentials, { nowMs }) {
    // ccxt appends `timestamp` then `recvWindow` [C]; Binance takes parameters in any order as long as
    // `signature` is last [V]. The signature covers exactly the text sent.
    const timing = `timestamp=${Math.floor(nowMs)}&recvWindow=${RECV_WINDOW_MS}`;
    const headers: Record<string, string> = { 'X-MBX-APIKEY': credentials.apiKey };
    if (request.method === 'GET') {
      const query = request.query ? `${request.query}&${timing}` : timing;
      const signature = signBinancePayload(credentials, query);
      return { headers, query: `${query}&signature=${signature}`, sensitive: sensitiveOf(signature) };
    }
    // [V] "totalParams is defined as the query string concatenated with the request body"; a POST carries its
    // parameters as a form body, as ccxt sends them [C].
    const body = request.body ? `${request.body}&${timing}` : timing;
    const signature = signBinancePayload(credentials, `${request.query ?? ''}${body}`);
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    return { headers, body: `${body}&signature=${signature}`, sensitive: sensitiveOf(signature) };
  },

  // The demo host has no /sapi ([C] ccxt: "demotrading does not support sapi endpoints"), so a sandbox check
  // reads only the futures balance, which is then also its only proof of the key.
  probes: (scope) => [...(scope.sandbox ? [] : [RESTRICTIONS_PROBE]), ...(scope.futures || scope.sandbox ? [BALANCE_PROBE] : [])],

  // [V] "Any endpoint can return an ERROR": `{"code": -1121, "msg": "Invalid symbol."}`. [C] ccxt
  // handleErrors reads `code` and treats "0" and "200" as success.
  readError(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const code = (body as { code?: unknown }).code;
    if (typeof code !== 'number' && typeof code !== 'string') return undefined;
    const text = String(code);
    return text === '0' || text === '200' ? undefined : text;
  },
  // Codes and texts: [V] developers.binance.com USDⓈ-M "Error Codes"; HTTP statuses: the contract fixture's sources.
  errors: [
    { error: '-1021', code: 'CLOCK_SKEW_REJECTED' },
    {
      error: '-1022',
      code: 'AUTH_INVALID_SIGNATURE',
      note: 'The signature did not verify: the apiSecret is not this key’s secret (for an RSA or Ed25519 key: not the private key of the public key registered with Binance). For an Ed25519 key, note that the USDⓈ-M REST docs describe only HMAC and RSA keys.',
    },
    {
      error: '-2014',
      code: 'AUTH_INVALID_KEY',
      note: 'Binance could not read the API key at all: it is cut short, has extra characters, or is not the API key.',
    },
    {
      error: '-2015',
      code: 'AUTH_INVALID_KEY',
      whenKeyWorks: 'PERMISSION_MISSING',
      note: 'Binance gives this one answer for an API key it does not know (deleted, mistyped, or a Demo Trading key on the live API and the reverse), for a request from an IP address outside the key’s allow-list, and for a key without the permission this endpoint needs. The address after "request ip" is the one Binance saw: add it to the key’s allow-list if the key has one.',
    },
    // [C] ccxt linear exact table: {"code":-1099,"msg":"Not found, authenticated, or authorized"} is an AuthenticationError.
    { error: '-1099', code: 'AUTH_INVALID_KEY' },
    { error: '-1002', code: 'PERMISSION_MISSING' },
    { error: '-1011', code: 'IP_NOT_ALLOWED' },
    // [C] ccxt linear exact table: -2017 "API Keys are locked on this account." (PermissionDenied).
    { error: '-2017', code: 'KEY_EXPIRED', note: 'Binance has locked the API keys of this account.' },
    // -1001 DISCONNECTED, -1007 TIMEOUT, -1008 overloaded or throttled by system-level protection: Binance's side.
    { error: ['-1001', '-1007', '-1008'], code: 'EXCHANGE_UNAVAILABLE' },
    // A CloudFront geo-block page: the region, not the key.
    { status: 403, body: /block access from your country/i, code: 'LOCATION_BLOCKED' },
    // [V] HTTP return codes: "403 … when a WAF (Web Application Firewall) rule has been violated. This can
    // indicate a rate limit violation or a security block." (-1003 at 429/418 falls to the shared rule, which
    // quotes Retry-After.)
    {
      status: 403,
      code: 'RATE_LIMITED',
      note: 'Binance’s web application firewall refused the request before the API saw it (a rate limit or a security block); this says nothing about the key.',
    },
  ],
};

/** Said of every Ed25519 key: it is signed as Binance's own connector signs it, but the futures docs do not promise it. */
const ED25519_NOTE =
  'This is an Ed25519 key: it is signed as Binance’s own connector signs Ed25519 keys, but the USDⓈ-M futures REST docs describe only HMAC and RSA keys, so Binance does not promise that it works here.';

/** The start of a PKCS#8 Ed25519 key's base64 (`MC4CAQAwBQYDK2Vw`) or a long RSA DER (`MII…`): a PEM without its armour. */
const PEM_BODY = /^(?:MC4CAQAwBQYDK2Vw[A-Za-z0-9+/=]{48}|MII[A-Za-z0-9+/=]{600,})$/;

function parsePem(apiKey: string, pem: string): CredentialsResult<BinanceUsdmCredentials> {
  if (/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(pem))
    return invalid('field "apiSecret" holds a public key; store the private key (Binance keeps the public key you registered)');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem))
    return invalid('field "apiSecret" is an encrypted private key; store it decrypted (the check has no passphrase for it)');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    return invalid('field "apiSecret" is not a valid private key PEM');
  }
  // The key's own type decides, not the PEM's length (ccxt guesses Ed25519 from a PEM shorter than 121 characters [C]).
  if (privateKey.asymmetricKeyType === 'rsa') return { ok: true, credentials: { apiKey, keyType: 'RSA', privateKey, pem } };
  if (privateKey.asymmetricKeyType === 'ed25519')
    return { ok: true, credentials: { apiKey, keyType: 'Ed25519', privateKey, pem }, notes: [ED25519_NOTE] };
  return invalid(
    `field "apiSecret" is a private key of type ${privateKey.asymmetricKeyType ?? 'unknown'}; Binance keys are HMAC, RSA or Ed25519`,
  );
}

function invalid(problem: string): CredentialsResult<BinanceUsdmCredentials> {
  return { ok: false, finding: makeSecretInvalidFinding(problem, FIELDS, ID) };
}

/** The signature as sent (percent-encoded for RSA and Ed25519) and as its plain base64. */
function sensitiveOf(signature: string): string[] {
  const plain = decodeURIComponent(signature);
  return plain === signature ? [signature] : [signature, plain];
}

/**
 * [V] wallet "Get API Key Permission" (and the OpenAPI spec in binance/binance-api-swagger spot_api.yaml):
 * `{"ipRestrict": false, "createTime": 1623840271000, "enableReading": true, "enableFutures": false, …,
 * "tradingAuthorityExpirationTime": 1628985600000}`; the last is in older versions only.
 */
function readRestrictions(body: unknown, { nowMs }: ReadContext): ProbeReading {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('expected an object of key restrictions');
  const fields = body as Record<string, unknown>;
  const flag = (name: string): boolean => {
    const value = fields[name];
    if (typeof value !== 'boolean') throw new Error(`field "${name}" is not a boolean`);
    return value;
  };
  for (const name of REQUIRED_FLAGS) flag(name);
  for (const name of OPTIONAL_FLAGS) if (fields[name] !== undefined) flag(name);
  const createTime = readEpochMs(fields, 'createTime');
  if (createTime === undefined) throw new Error('field "createTime" is not a number');
  const set = (names: readonly string[]) => names.filter((name) => fields[name] === true);
  const transfers = set(TRANSFER_FLAGS);
  const notes: string[] = [];
  if (transfers.length > 0) notes.push(`Binance reports ${transfers.join(', ')} for this key: it can move funds.`);
  if (!flag('enableFutures'))
    notes.push(
      'Binance reports enableFutures false. A key created before the futures account was opened, or while portfolio margin is on, cannot be given futures access: create a new key with "Enable Futures".',
    );
  // 0 or absent: no expiry. [V, older docs] "Expiration time for spot and margin trading permission".
  const tradingExpiry = readEpochMs(fields, 'tradingAuthorityExpirationTime');
  const expiresAt = tradingExpiry ? new Date(tradingExpiry).toISOString() : null;
  if (expiresAt)
    notes.push(
      `Binance reports tradingAuthorityExpirationTime ${expiresAt}${tradingExpiry && tradingExpiry <= nowMs ? ' (passed)' : ''}: the key’s spot and margin trading permission ends then; the key itself keeps working.`,
    );
  return {
    permissions: {
      view: flag('enableReading'),
      futures: flag('enableFutures'),
      trade: set(TRADE_FLAGS).length > 0,
      transfer: transfers.length > 0,
      ipRestricted: flag('ipRestrict'),
    },
    exchangeExpiresAt: expiresAt,
    keyCreatedAt: new Date(createTime).toISOString(),
    notes,
  };
}

/** An optional epoch-ms field: `undefined` when absent, else a non-negative number; throws naming the field. */
function readEpochMs(fields: Record<string, unknown>, name: string): number | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`field "${name}" is not a time in milliseconds`);
  return value;
}
