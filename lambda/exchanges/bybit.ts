import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { computeHmac } from './signing';
import type { CredentialsResult, ExchangeAdapter, Probe, ProbeReading } from './types';

/** Credentials of a Bybit key: a system-generated HMAC secret, or the RSA private key of a self-generated key. */
export type BybitCredentials =
  | { readonly kind: 'hmac'; readonly apiKey: string; readonly secret: string }
  | {
      readonly kind: 'rsa';
      readonly apiKey: string;
      readonly privateKey: KeyObject;
      /** The PEM as parsed (real newlines), kept only so it can be redacted. */
      readonly secretText: string;
    };

const ID = 'bybit';
const FIELDS = ['apiKey', 'apiSecret'] as const;
const TIME_PATH = '/v5/market/time';
const KEY_INFO_PATH = '/v5/user/query-api';
const WALLET_BALANCE_PATH = '/v5/account/wallet-balance';

/**
 * The `X-BAPI-RECV-WINDOW` we send, ms. [V] bybit-exchange/docs:docs/v5/guide.mdx: "default value is
 * 5,000"; pybit and ccxt 4.5.84 [C] send 5000 too. A bot left at the default is refused exactly when this
 * check is, so the check warns before the bots fail.
 */
export const BYBIT_RECV_WINDOW_MS = 5_000;
/** [V] guide.mdx: `server_time - recv_window <= timestamp < server_time + 1000`. */
export const BYBIT_AHEAD_MS = 1_000;

/**
 * [V] bybit-exchange/docs:docs/v5/user/apikey-info.mdx, `permissions.Wallet`: the rights that move funds
 * out of the account (`SubMemberTransferList` is a sub-account's name for the sub-member transfer right,
 * docs/v5/user/create-subuid-apikey.mdx). [U] What they allow a read-only key is not documented, and the
 * apikey-info example itself is a read-only key listing AccountTransfer and SubMemberTransfer: they count
 * as transfer rights either way, with a note.
 */
const TRANSFER_RIGHTS = ['AccountTransfer', 'SubMemberTransfer', 'SubMemberTransferList', 'Withdraw'];
/** [V] apikey-info.mdx: the groups whose rights place orders (ContractTrade `Order`, Spot `SpotTrade`, …). */
const TRADING_GROUPS = ['ContractTrade', 'Spot', 'Options', 'Derivatives'];
/**
 * [V] apikey-info.mdx: the contract groups. `Derivatives` (`DerivativesTrade`) is added by Bybit itself on
 * a unified account (docs/v5/user/modify-sub-apikey.mdx: "system will automatically add this permission").
 */
const FUTURES_GROUPS = ['ContractTrade', 'Derivatives'];

/**
 * Bybit v5: `X-BAPI-*` headers, HMAC-SHA256 (lowercase hex) or RSA-SHA256 PKCS#1 v1.5 (base64) over
 * `timestamp + apiKey + recvWindow + queryString` (POST: the JSON body instead of the query)
 * ([V] bybit-exchange/docs:docs/v5/guide.mdx; [C] ccxt 4.5.84 bybit.js `sign`). The key read
 * (`query-api`, open to every key) tells rights, IP allow-list and expiry; the Unified Trading Account
 * balance is the futures read. Errors come back as HTTP 200 with a non-zero `retCode`.
 */
export const bybit: ExchangeAdapter<BybitCredentials> = {
  id: ID,
  displayName: 'Bybit',
  guide: {
    api: 'Bybit v5 (Unified Trading Account: perpetuals, futures, options, spot)',
    secret:
      'A Bybit API key. `apiKey` is the API key Bybit shows; `apiSecret` is its secret, shown once at creation (a system-generated HMAC key), or, for a self-generated RSA key, the RSA private key PEM whose public key was given to Bybit (`-----BEGIN PRIVATE KEY-----` or `-----BEGIN RSA PRIVATE KEY-----`; JSON-escaped `\\n` newlines are fine). A key lives in one environment: mainnet, testnet (`"sandbox": true`, api-testnet.bybit.com) or mainnet demo trading (`"baseUrl": "https://api-demo.bybit.com"`). A key of a regional site (bybit.nl, bybit.tr, bybit.kz, bybit.eu, …) is checked on that site’s host as `baseUrl` (e.g. `https://api.bybit.nl`); api.bytick.com is an alternative mainnet host.',
    secretExample: { apiKey: 'xxxxxxxxxxxxxxxxxx', apiSecret: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' },
    clock: '1 s ahead, 5 s behind (`recv_window` 5000 ms, the default; a timestamp a second ahead of Bybit is refused)',
    notes:
      'The key read (`/v5/user/query-api`, open to any key) tells read-only or read-write, the permission groups, the IP allow-list (`["*"]` means none) and the expiry: Bybit expires a key without an IP allow-list 90 days after creation, and any key 7 days after the account password changes, reported as `KEY_EXPIRING` within `warnDays`. Wallet rights (Account Transfer, Subaccount Transfer, Withdrawal) count as transfer rights even on a read-only key, since Bybit does not document what they allow there. The futures read is the Unified Trading Account balance (Bybit retired classic accounts). Bybit answers most errors with HTTP 200 and a `retCode`; `10003` also means a key of another environment or regional site. Bybit’s demo-trading service does not list the key read among its endpoints, so a demo key may not be fully checked.',
  },
  origin: 'https://api.bybit.com',
  // [V] guide.mdx: testnet keys are issued on testnet.bybit.com and authenticate on api-testnet.bybit.com.
  // Demo trading (api-demo.bybit.com, docs/v5/demo.mdx) is a separate environment reached with `baseUrl`.
  sandboxOrigin: 'https://api-testnet.bybit.com',
  allowList: [`GET ${TIME_PATH}`, `GET ${KEY_INFO_PATH}`, `GET ${WALLET_BALANCE_PATH}`],
  // [V] bybit-exchange.github.io/docs/v5/rate-limit: 600 requests per 5 s per IP, past which the IP is banned
  // for at least 10 minutes (403 "access too frequent"). Two reads a key: 250 keys per 5 s is 500 requests.
  pace: {
    keysPerWindow: { keys: 250, ms: 5_000 },
    why: 'Bybit allows 600 requests per 5 s per IP address (going over bans the address for 10 minutes) and a key takes two; key-health starts at most 250 Bybit keys per 5 s.',
  },
  // Being 1000 ms ahead is refused ([E] JKorf/Bybit.Net#273: req_timestamp 1002 ms past server_timestamp
  // got 10002); behind, the request lives for the recv_window we send.
  clockWindow: { aheadMs: BYBIT_AHEAD_MS, behindMs: BYBIT_RECV_WINDOW_MS },
  time: {
    request: { method: 'GET', path: TIME_PATH },
    // [V] docs/v5/market/time.mdx: `{"retCode":0,"result":{"timeSecond":"1688639403","timeNano":"1688639403423213947"},"time":…}`.
    read(body) {
      const nano = readObject(readObject(body, 'body').result, 'result').timeNano;
      if (typeof nano !== 'string' || !/^\d{10,}$/.test(nano)) throw new Error('field "result.timeNano" is not a nanosecond timestamp');
      return Number(BigInt(nano) / 1_000_000n);
    },
  },

  parseCredentials(secret) {
    const fields = readSecretFields(secret, FIELDS, ID);
    if (!fields.ok) return fields;
    const { apiKey, apiSecret } = fields.values;
    if (apiKey.includes('-----BEGIN')) return invalid('field "apiKey" must be the API key Bybit shows, not a PEM');
    if (/\s/.test(apiKey)) return invalid('field "apiKey" contains whitespace (a Bybit API key is one word)');
    // A PEM pasted into JSON by hand often keeps its newlines as a literal backslash-n.
    const text = apiSecret.replace(/\\n/g, '\n').trim();
    if (text.includes('-----BEGIN')) return parseRsaKey(apiKey, text);
    // The secret is the HMAC key as text ([V] guide.mdx; pybit `generate_signature`): a stray space or
    // newline would sign with another key, so it is refused here rather than reported as a bad signature.
    if (/\s/.test(apiSecret))
      return invalid('field "apiSecret" contains whitespace (a Bybit API secret is one word; was a newline pasted with it?)');
    return { ok: true, credentials: { kind: 'hmac', apiKey, secret: apiSecret } };
  },

  secretValues: (c) =>
    c.kind === 'hmac'
      ? [c.secret]
      : [c.secretText, ...c.secretText.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'))],

  sign(request, credentials, { nowMs }) {
    const timestamp = String(Math.floor(nowMs));
    const recvWindow = String(BYBIT_RECV_WINDOW_MS);
    // [V] guide.mdx: GET signs the query string as sent, POST the JSON body string.
    const payload = request.method === 'GET' ? (request.query ?? '') : (request.body ?? '');
    const prehash = `${timestamp}${credentials.apiKey}${recvWindow}${payload}`;
    // [V] guide.mdx: HMAC_SHA256 "to a lowercase HEX string", RSA_SHA256 to base64. Node signs an RSA key
    // with PKCS#1 v1.5 by default, as pybit (PKCS1_v1_5) and ccxt (`createSign('RSA-SHA256')`) do [C].
    const signature =
      credentials.kind === 'hmac'
        ? computeHmac('sha256', credentials.secret, prehash, 'hex')
        : sign('sha256', Buffer.from(prehash, 'utf8'), credentials.privateKey).toString('base64');
    // [V] guide.mdx lists these four headers. `X-BAPI-SIGN-TYPE` is not among them: pybit sends `2` with
    // HMAC and RSA keys alike and ccxt sends none on v5 [C], so it selects nothing and is left out.
    return {
      headers: {
        'X-BAPI-API-KEY': credentials.apiKey,
        'X-BAPI-TIMESTAMP': timestamp,
        'X-BAPI-RECV-WINDOW': recvWindow,
        'X-BAPI-SIGN': signature,
      },
      // The millisecond timestamp is no secret, but it is a signed value of 13 characters: listed so that an
      // answer quoting the request back shows none of what was signed.
      sensitive: [signature, timestamp],
    };
  },

  probes(scope) {
    const probes: Probe[] = [
      {
        label: 'API key information',
        purpose: 'introspection',
        tells: 'view, trade, transfer, futures rights, IP allow-list, expiry',
        request: { method: 'GET', path: KEY_INFO_PATH },
        read: (body) => readKeyInformation(readObject(readObject(body, 'body').result, 'result')),
      },
    ];
    if (scope.futures)
      // Listed after the key read: when both answer, the account read (its balance, or its refusal) has
      // the last word on `futures` over the permission groups.
      probes.push({
        label: 'unified account wallet balance',
        purpose: 'futures',
        tells: 'the Unified Trading Account (perpetuals and futures margin) can be read',
        // [V] docs/v5/account/wallet-balance.mdx: `accountType` is required and `UNIFIED` is its only value
        // since classic accounts were retired ([V] docs/v5/acct-mode.mdx: "classic account (now unavailable)").
        request: { method: 'GET', path: WALLET_BALANCE_PATH, query: 'accountType=UNIFIED' },
        read: (body) => readWalletBalance(readObject(readObject(body, 'body').result, 'result')),
        deniedMeans: { futures: false },
      });
    return probes;
  },

  // [V] guide.mdx: every answer carries `retCode` (0 = success). ccxt also reads the pre-v5 `ret_code` [C].
  readError(body) {
    if (typeof body !== 'object' || body === null) return undefined;
    const { retCode, ret_code: legacy } = body as { retCode?: unknown; ret_code?: unknown };
    const code = retCode ?? legacy;
    if ((typeof code !== 'number' && typeof code !== 'string') || String(code) === '0') return undefined;
    return String(code);
  },
  // Codes and texts from [V] bybit-exchange/docs:docs/v5/error.mdx unless marked. They come with HTTP 200:
  // [V] pybit _http_manager.py reads `retCode` only after its HTTP 200 check and retries 10002 and 10006
  // there, and [E] bybit-exchange/pybit#191 shows a live 10002 taking that path.
  errors: [
    {
      error: '10002',
      code: 'CLOCK_SKEW_REJECTED',
      note: `Bybit accepts a timestamp from recv_window (${BYBIT_RECV_WINDOW_MS} ms) behind its clock to ${BYBIT_AHEAD_MS} ms ahead of it.`,
    },
    // [V] error.mdx: "Check whether the key and domain are matched, there are 4 env: mainnet, testnet,
    // mainnet-demo, testnet-demo". [U] that a regional site's key gets the same answer on api.bybit.com.
    {
      error: '10003',
      code: 'AUTH_INVALID_KEY',
      note: 'Bybit says this of a key it does not know on this host: a deleted key, or a key of another environment (mainnet, testnet, mainnet demo and testnet demo each issue their own keys) or of a regional site (bybit.nl, bybit.eu, …), which needs that site’s host as baseUrl.',
    },
    { error: '10007', code: 'AUTH_INVALID_KEY', note: 'Bybit says user authentication failed.' },
    { error: '10004', code: 'AUTH_INVALID_SIGNATURE' },
    {
      error: ['33004', '-2015'],
      code: 'KEY_EXPIRED',
      note: 'Bybit expires a key without an IP allow-list 90 days after it was created, and any key 7 days after the account password changes.',
    },
    { error: '10008', code: 'KEY_EXPIRED', note: 'Bybit says the account is banned.' },
    { error: '10010', code: 'IP_NOT_ALLOWED' },
    { error: '10005', code: 'PERMISSION_MISSING' },
    {
      error: '10028',
      code: 'PERMISSION_MISSING',
      note: 'The account is not a Unified Trading Account, and Bybit serves this read only to unified accounts; upgrade the account to UTA.',
    },
    {
      error: '10006',
      code: 'RATE_LIMITED',
      note: 'Bybit limits requests per account (UID) per second: other clients of the same account used up the limit.',
    },
    { error: '10009', code: 'LOCATION_BLOCKED' },
    { error: ['10000', '10016'], code: 'EXCHANGE_UNAVAILABLE' },
    // [V] error.mdx: HTTP 401 "Need to use the correct key to access; Need to put authentication params in
    // the request header". [E] a user's diagnostic of such 401s shows `content-length: 0`; whether every 401
    // is bare is [U], so the rule matches the status alone.
    {
      status: 401,
      code: 'AUTH_INVALID_KEY',
      note: 'Bybit answers a bare HTTP 401 when it cannot use the key on this host at all: a key of another environment or site, or authentication headers lost on the way.',
    },
    // [V] docs/v5/rate-limit/rate-limit.mdx: "403, access too frequent" is an IP ban of at least 10 minutes.
    {
      status: 403,
      body: /access too frequent/i,
      code: 'RATE_LIMITED',
      note: 'This IP broke Bybit’s limit of 600 requests per 5 seconds and is banned for at least 10 minutes; stop all requests from it until the ban lifts.',
    },
    // [V] guide.mdx: "IP addresses located in the US or Mainland China are restricted and will return a
    // 403 Forbidden error". Bybit's API sits behind CloudFront ([E] ccxt/ccxt#17102: a live wallet-balance
    // answer `Via: … cloudfront.net`), whose geo block page says so ([E] hummingbot/deploy#28).
    { status: 403, body: /block access from your country/i, code: 'LOCATION_BLOCKED' },
    // [V] error.mdx lists the 403 causes: an IP rate-limit ban, a GET with a JSON body (never sent here), a
    // US IP. ccxt maps every 403 to RateLimitExceeded [C]; here a 403 that names no cause is taken for the
    // region block, since a check sends three requests a run and cannot break 600 per 5 seconds on its own,
    // while a checker in an AWS US region is refused on every run ([E] sieblyio/bybit-api#268, #380).
    {
      status: 403,
      code: 'LOCATION_BLOCKED',
      note: 'Bybit answers 403 to IPs in the US or mainland China, and to an IP banned for at least 10 minutes for breaking its rate limit; this answer does not say which.',
    },
  ],
};

function parseRsaKey(apiKey: string, pem: string): CredentialsResult<BybitCredentials> {
  if (/-----BEGIN (?:RSA )?PUBLIC KEY-----/.test(pem))
    return invalid('field "apiSecret" is a public key PEM; store the RSA private key (Bybit holds the public one)');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    return invalid('field "apiSecret" is not a valid RSA private key PEM (an encrypted PEM is not supported)');
  }
  // [V] guide.mdx: self-generated keys sign with RSA_SHA256.
  if (privateKey.asymmetricKeyType !== 'rsa') return invalid('field "apiSecret" is a private key PEM but not an RSA key');
  return { ok: true, credentials: { kind: 'rsa', apiKey, privateKey, secretText: pem } };
}

function invalid(problem: string): CredentialsResult<BybitCredentials> {
  return { ok: false, finding: makeSecretInvalidFinding(problem, FIELDS, ID) };
}

/**
 * Reads `result` of `GET /v5/user/query-api` ([V] apikey-info.mdx). Every Bybit key reads (`readOnly` 1 is
 * read-only, 0 read-write), so a key that reads its own information may view.
 */
function readKeyInformation(result: Record<string, unknown>): ProbeReading {
  const { readOnly } = result;
  if (readOnly !== 0 && readOnly !== 1) throw new Error('field "result.readOnly" is neither 0 nor 1');
  const groups = readPermissionGroups(result.permissions);
  const granted = (group: string) => (groups.get(group) ?? []).length > 0;
  const transferRights = (groups.get('Wallet') ?? []).filter((right) => TRANSFER_RIGHTS.includes(right));
  const ipRestricted = readIpRestricted(result.ips);
  const expiresAt = readExpiredAt(result.expiredAt);
  if (result.deadlineDay !== undefined && !Number.isInteger(result.deadlineDay))
    throw new Error('field "result.deadlineDay" is not an integer');

  const notes: string[] = [];
  if (readOnly === 1 && transferRights.length > 0)
    notes.push(
      `The key is read-only, yet Bybit lists the wallet rights ${transferRights.join(', ')} on it; it is reported as able to transfer, since Bybit does not document what a read-only key may do with them.`,
    );
  if (expiresAt !== null && !ipRestricted)
    notes.push(
      'Bybit expires an API key without an IP allow-list 90 days after it was created; binding the key to IP addresses lifts that expiry.',
    );
  return {
    permissions: {
      view: true,
      trade: readOnly === 0 && TRADING_GROUPS.some(granted),
      transfer: transferRights.length > 0,
      futures: FUTURES_GROUPS.some(granted),
      ipRestricted,
    },
    exchangeExpiresAt: expiresAt,
    // [V] apikey-info.mdx `createdAt`, e.g. "2022-11-25T08:31:11Z": the key's age for rotation.
    ...(typeof result.createdAt === 'string' && !Number.isNaN(Date.parse(result.createdAt)) && { keyCreatedAt: result.createdAt }),
    notes,
  };
}

function readPermissionGroups(raw: unknown): Map<string, string[]> {
  const permissions = readObject(raw, 'result.permissions');
  const groups = new Map<string, string[]>();
  for (const [group, rights] of Object.entries(permissions)) {
    if (!Array.isArray(rights) || rights.some((right) => typeof right !== 'string'))
      throw new Error(`field "result.permissions.${group}" is not a list of rights`);
    groups.set(group, rights as string[]);
  }
  return groups;
}

/** [V] docs/v5/user/modify-sub-apikey.mdx: `ips` "*" "means no bind"; the older apikey-info example answers `"ips": ["*"]`. */
function readIpRestricted(raw: unknown): boolean {
  if (!Array.isArray(raw) || raw.some((ip) => typeof ip !== 'string')) throw new Error('field "result.ips" is not a list of addresses');
  return raw.length > 0 && !raw.includes('*');
}

/**
 * [V] apikey-info.mdx: `expiredAt` is given "only for those api key with no IP bound or the password has
 * been changed". Its examples: an unbound key `"deadlineDay": 66, "expiredAt": "2023-12-22T07:20:25Z"`
 * (docs up to commit 3fc476a), an IP-bound key `"deadlineDay": -2, "expiredAt": "1970-01-01T00:00:00Z"`
 * (since 5ebabf6, April 2026): the epoch means the key does not expire.
 */
function readExpiredAt(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const ms = typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error('field "result.expiredAt" is not a date');
  return ms <= 0 ? null : new Date(ms).toISOString();
}

/** Reads `result` of `GET /v5/account/wallet-balance?accountType=UNIFIED` ([V] wallet-balance.mdx). */
function readWalletBalance(result: Record<string, unknown>): ProbeReading {
  const { list } = result;
  if (!Array.isArray(list)) throw new Error('field "result.list" is not a list');
  for (const account of list) {
    const { accountType, coin } = readObject(account, 'result.list[]');
    if (typeof accountType !== 'string') throw new Error('field "result.list[].accountType" is not a string');
    if (!Array.isArray(coin)) throw new Error('field "result.list[].coin" is not a list');
  }
  return { permissions: { futures: true } };
}

function readObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`field "${field}" is not an object`);
  return value as Record<string, unknown>;
}
