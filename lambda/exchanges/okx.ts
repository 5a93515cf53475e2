import { DAY_MS } from '../duration';
import { type Finding, makeFinding } from '../findings';
import type { Permissions } from '../report';
import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { computeHmac } from './signing';
import type { CheckScope, CredentialsResult, ExchangeAdapter, Probe, ProbeReading } from './types';

/** Credentials of an OKX v5 key: the secret key signs as the raw text OKX shows, never decoded. */
export interface OkxCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly passphrase: string;
}

const ID = 'okx';
const NAME = 'OKX';
const FIELDS = ['apiKey', 'apiSecret', 'passphrase'] as const;
const TIME_PATH = '/api/v5/public/time';
const CONFIG_PATH = '/api/v5/account/config';
const BALANCE_PATH = '/api/v5/account/balance';
/** [V] docs-v5 "Get balance": `ccy` narrows the answer to one currency, which keeps it small. */
const BALANCE_QUERY = 'ccy=USDT';
/** OKX shows an API key as a UUID ([V] docs-v5 WebSocket login sample `985d5b66-57ce-40fb-b714-afc0b9787083`). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * [V] docs-v5 "API key security": "API keys that are not linked to an IP address and have `trade` or
 * `withdraw` permissions will expire after 14 days of inactivity. (The API key of demo trading will not
 * expire)", and "Only when the user calls an API that requires API key authentication will it be
 * considered as the API key is used."
 */
const INACTIVITY_EXPIRY_DAYS = 14;
/** [V] docs-v5 "Get account configuration", `acctLv`: 1 Spot mode, 2 Futures mode, 3 Multi-currency margin, 4 Portfolio margin. */
const ACCOUNT_MODES = new Set(['1', '2', '3', '4']);
const SPOT_MODE = '1';
/** [V] docs-v5 "Get account configuration", `perm`: `read_only` Read, `trade` Trade, `withdraw` Withdraw. */
const KNOWN_PERMS = new Set(['read_only', 'trade', 'withdraw']);

/**
 * The futures read. [V] "Permission: Read", as for the configuration: it proves the trading account can be
 * read. In OKX's unified account spot and futures share that account, so whether futures may be traded is
 * the account mode the configuration read reports; this read never sets `futures` on its own.
 */
const BALANCE_PROBE: Probe = {
  label: 'trading account balance',
  purpose: 'futures',
  tells: 'the trading account that holds futures margin',
  request: { method: 'GET', path: BALANCE_PATH, query: BALANCE_QUERY },
  // [V] docs-v5 "Get balance": `data[0]` with `totalEq` (USD, a string) and `details` (one entry per currency).
  read(body) {
    const account = firstEntry(body, 'data');
    if (!Array.isArray(account.details)) throw new Error('field "data[0].details" is not a list');
    if (typeof account.totalEq !== 'string') throw new Error('field "data[0].totalEq" is not a string');
    return {};
  },
  deniedMeans: { futures: false },
};

/**
 * OKX v5: HMAC-SHA256 keyed with the raw secret over `isoTimestamp + METHOD + requestPath(?query) + body`,
 * base64, with the key, the ISO-8601 millisecond timestamp and the passphrase in `OK-ACCESS-*` headers;
 * demo-trading keys add `x-simulated-trading: 1` on the same host ([V] docs-v5 "REST Authentication",
 * "Demo Trading Services"; [V] okxapi/python-okx okx/utils.py; [C] ccxt 4.5.84 okx.js `sign`). The
 * account-configuration read names the calling key's permissions, IP allow-list and the account mode; the
 * balance read proves the trading account that holds futures margin.
 */
export const okx: ExchangeAdapter<OkxCredentials> = {
  id: ID,
  displayName: NAME,
  guide: {
    api: 'OKX v5 (trading account: spot, margin, expiry futures, perpetuals)',
    secret:
      'An OKX v5 API key, the three values OKX shows when the key is created: `apiKey` (a UUID), `apiSecret` (the "Secret key", 32 hexadecimal characters in the examples OKX shows, used as the text it is) and `passphrase` (chosen when the key was created; OKX keeps only a hash of it, so a lost passphrase means a new key). A demo-trading key is checked with `sandbox: true` (same host, marked with the `x-simulated-trading: 1` header). Keys of an OKX EEA account live on `https://eea.okx.com` and of an OKX US account on `https://us.okx.com`: set that as the key\'s `baseUrl`, or OKX answers "API key doesn\'t exist".',
    secretExample: { apiKey: 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', apiSecret: 'XXXXXXXX…(32 hex characters)', passphrase: '…' },
    clock: '±30 s (OKX rejects a timestamp more than 30 s from its clock, error 50102)',
    // [V] docs-v5 "API key permissions": "Trade: Can place and cancel orders, funding transfer, make settings";
    // "Funds transfer" (POST /api/v5/asset/transfer, between the funding and trading accounts, master and
    // sub-accounts) needs only Trade. Withdrawals off OKX need Withdraw.
    notes:
      "OKX reports no expiry date. It expires a key that has trade or withdraw rights and no IP allow-list after 14 days without an authenticated call; such a key is reported as `KEY_EXPIRING` with the date 14 days after this check (the check itself counts as use), and binding it to IP addresses removes the warning. Demo-trading keys do not expire. `transfer` is OKX's `withdraw` permission: its `trade` permission also moves funds between the account's own funding and trading accounts and its sub-accounts, which is not reported as a transfer. An account in Spot mode (`acctLv` 1) cannot trade futures or perpetuals, so the futures permission is reported missing until the account mode is changed.",
  },
  origin: 'https://www.okx.com',
  // [V] docs-v5 "Demo Trading Services": demo trading is the production host plus `x-simulated-trading: 1`
  // ([C] ccxt's `urls.test` is the same host; `setSandboxMode` only adds that header).
  sandboxOrigin: 'https://www.okx.com',
  allowList: [`GET ${TIME_PATH}`, `GET ${CONFIG_PATH}`, `GET ${BALANCE_PATH}`],
  // [V] docs-v5 "Get account configuration": 5 requests per 2 s per User ID ("Get balance" allows 10). The
  // run cannot tell which keys share an account, so the pace holds across all OKX keys: 4 per 2 s leaves
  // room for a bot reading the same account.
  pace: {
    keysPerWindow: { keys: 4, ms: 2_000 },
    why: 'OKX allows 5 account-configuration reads per 2 s per account and key-health cannot tell which keys share one; it starts at most 4 OKX keys per 2 s (about 220 in a run).',
  },
  // [V] docs-v5 "REST Authentication": "The server rejects requests where this differs from server time by
  // more than 30 seconds (error 50102)", in either direction.
  clockWindow: { aheadMs: 30_000, behindMs: 30_000 },
  time: {
    request: { method: 'GET', path: TIME_PATH },
    // [V] docs-v5 "Get system time": `{"code":"0","msg":"","data":[{"ts":"1597026383085"}]}`, ms as a string.
    read(body) {
      const ts = firstEntry(body, 'data').ts;
      const millis = typeof ts === 'string' && /^\d+$/.test(ts) ? Number(ts) : Number.NaN;
      if (!Number.isFinite(millis)) throw new Error('field "data[0].ts" is not a millisecond timestamp');
      return millis;
    },
  },

  parseCredentials(secret): CredentialsResult<OkxCredentials> {
    const fields = readSecretFields(secret, FIELDS, ID);
    if (!fields.ok) return fields;
    const { apiKey, apiSecret, passphrase } = fields.values;
    // Neither value OKX issues holds whitespace; a pasted line break would fail every signature.
    for (const field of ['apiKey', 'apiSecret'] as const)
      if (fields.values[field].trim() !== fields.values[field])
        return invalid(`field "${field}" starts or ends with whitespace (OKX keys and secrets have none)`);
    if (UUID.test(apiSecret))
      return invalid('field "apiSecret" holds a UUID, which is what an OKX API key looks like: apiKey and apiSecret may be swapped');
    return { ok: true, credentials: { apiKey, apiSecret, passphrase } };
  },

  secretValues: (c) => [c.apiSecret, c.passphrase],

  sign(request, credentials, { nowMs, sandbox }) {
    // [V] "ISO 8601 UTC format with millisecond precision, e.g. 2020-12-08T09:08:57.715Z"; "GET request
    // parameters are counted as requestpath, not body". The secret is the HMAC key as UTF-8 text ([V]
    // python-okx `bytes(secretKey, encoding='utf8')`, [C] ccxt `this.encode(this.secret)`).
    const timestamp = new Date(nowMs).toISOString();
    const requestPath = request.query ? `${request.path}?${request.query}` : request.path;
    const signature = computeHmac(
      'sha256',
      credentials.apiSecret,
      `${timestamp}${request.method}${requestPath}${request.body ?? ''}`,
      'base64',
    );
    return {
      headers: {
        'OK-ACCESS-KEY': credentials.apiKey,
        'OK-ACCESS-SIGN': signature,
        'OK-ACCESS-TIMESTAMP': timestamp,
        'OK-ACCESS-PASSPHRASE': credentials.passphrase,
        // [V] "x-simulated-trading: 1 needs to be added to the header of the Demo Trading request". It is not
        // signed. python-okx sends `0` on live requests; ccxt and we leave it out there.
        ...(sandbox && { 'x-simulated-trading': '1' }),
      },
      sensitive: [signature],
    };
  },

  probes(scope) {
    const config: Probe = {
      label: 'account configuration',
      purpose: 'introspection',
      tells: 'view, trade, transfer (withdraw), IP allow-list, futures (account mode), 14-day inactivity expiry',
      request: { method: 'GET', path: CONFIG_PATH },
      read: (body, { nowMs }) => readAccountConfig(body, nowMs, scope),
      deniedMeans: { view: false },
    };
    return scope.futures ? [config, BALANCE_PROBE] : [config];
  },

  // [V] docs-v5 "Error Code": every answer carries `code` as a string, "0" for success, with the same code
  // whatever the HTTP status (several key errors come as HTTP 200).
  readError(body) {
    const code = (body as { code?: unknown } | null)?.code;
    const text = typeof code === 'number' ? String(code) : code;
    return typeof text === 'string' && text !== '0' && text !== '' ? text : undefined;
  },
  // Codes and texts from docs-v5 "Error Code > REST API > Public" [V], with the HTTP statuses seen in issues [E].
  errors: [
    // [V] 401 50111 "Invalid OK-ACCESS-KEY." ([E] pyted/okx#1).
    { error: '50111', code: 'AUTH_INVALID_KEY' },
    // [V] 200 50119 "API key doesn't exist"; [E] ccxt#23779, ccxt#25403, okxapi/python-okx#118: seen as HTTP 401
    // for keys of OKX EEA used on www.okx.com. [C] ccxt's `myokx` and `okxus` use eea.okx.com and us.okx.com.
    {
      error: '50119',
      code: 'AUTH_INVALID_KEY',
      note: 'OKX does not know this key on this host: it was deleted, it lapsed (a key with trade or withdraw rights and no IP allow-list expires after 14 days unused), or it belongs to another OKX entity: EEA accounts use https://eea.okx.com and US accounts https://us.okx.com as the key’s baseUrl.',
    },
    // [V] 401 50101 "APIKey does not match current environment." ([E] pyted/okx#9), for a demo key on live and
    // ([E] jane-cloud/Open-API-SDK-V5#7) a live key sent with the demo header.
    {
      error: '50101',
      code: 'AUTH_INVALID_KEY',
      note: 'The key belongs to the other OKX environment: a demo-trading key needs `sandbox: true` on the key, a live key must not have it.',
    },
    // [V] 401 50113 "Invalid signature."
    { error: '50113', code: 'AUTH_INVALID_SIGNATURE' },
    // [V] 401 50105 "Request header "OK-ACCESS-PASSPHRASE" incorrect."; [E] ccxt#22265, sieblyio/okx-api#116 (where a
    // shell had expanded the `$` of a passphrase passed through an environment variable).
    {
      error: '50105',
      code: 'AUTH_INVALID_PASSPHRASE',
      note: 'If the stored passphrase looks right, check that nothing on the way (a shell, an env file) altered characters such as `$` or quotes.',
    },
    // [V] 401 50102 "Timestamp request expired." and 50112 "Invalid OK-ACCESS-TIMESTAMP.".
    { error: ['50102', '50112'], code: 'CLOCK_SKEW_REJECTED' },
    // [V] 401 50110 "Your IP {param0} is not included in your API key's IP whitelist.": the excerpt shows the IP.
    { error: '50110', code: 'IP_NOT_ALLOWED' },
    // [V] 400 50100 "API frozen, please contact customer service."
    {
      error: '50100',
      code: 'KEY_EXPIRED',
      note: 'OKX froze this API key; only OKX customer service can lift that, otherwise replace the key.',
    },
    // [V] 200 50120 "This API key doesn't have permission to use this function", 200 50030 "You don't have
    // permission to use this API endpoint".
    { error: ['50120', '50030'], code: 'PERMISSION_MISSING' },
    // [V] 403 50035 "This endpoint requires that APIKey must be bound to IP".
    {
      error: '50035',
      code: 'PERMISSION_MISSING',
      note: 'OKX serves this read only to keys bound to IP addresses: add the checker’s egress IP to the key’s allow-list.',
    },
    // [V] 50011 "Too Many Requests" (HTTP 429) or "Rate limit reached…" (HTTP 200).
    { error: '50011', code: 'RATE_LIMITED' },
    // [V] 503 50001, 400 50004 (endpoint timeout), 410 50005, 429 50013 "Systems are busy", 500 50026: OKX's side.
    { error: ['50001', '50004', '50005', '50013', '50026'], code: 'EXCHANGE_UNAVAILABLE' },
    // [V] 200 50121 "You can't access our services through the IP address ({param0})": a refusal of where the
    // check runs from, which says nothing about the key.
    { error: '50121', code: 'LOCATION_BLOCKED' },
  ],
};

/** What `account/config` tells about the calling key, and the inactivity expiry that follows from it. */
function readAccountConfig(body: unknown, nowMs: number, scope: CheckScope): ProbeReading {
  const config = firstEntry(body, 'data');
  const perm = readString(config, 'perm');
  const ip = readString(config, 'ip');
  const acctLv = readString(config, 'acctLv');
  const label = config.label;
  const granted = perm
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const trade = granted.includes('trade');
  const withdraw = granted.includes('withdraw');
  const ipRestricted = ip.trim() !== '';
  // The answer came, so the key may read ([V] this read needs the Read permission).
  const permissions: Partial<Permissions> = { view: true, trade, transfer: withdraw, ipRestricted };
  const notes: string[] = [];
  const findings: Finding[] = [];
  const evidence: Partial<Record<keyof Permissions, string>> = {};
  if (ACCOUNT_MODES.has(acctLv)) permissions.futures = acctLv !== SPOT_MODE;
  else notes.push(`OKX reports account mode acctLv "${acctLv.slice(0, 8)}", which key-health does not know; futures were not judged.`);
  // [V] OKX Learn "Differences in trading account modes": the margin-free (Spot) mode trades spot and long
  // options only; the mode is set in OKX's web or app trading settings ([V] docs-v5 "Account mode").
  if (acctLv === SPOT_MODE)
    evidence.futures =
      'The OKX account is in Spot mode (acctLv 1), which trades spot and buys options only: no futures or perpetuals. Switch the account mode to Futures mode, Multi-currency margin or Portfolio margin in OKX’s trading settings (web or app), or set expect.futures to false.';
  const unknown = granted.filter((p) => !KNOWN_PERMS.has(p));
  if (unknown.length > 0) notes.push(`OKX reports permissions key-health does not know: ${unknown.join(', ').slice(0, 80)}.`);
  if (typeof label === 'string' && label.trim() !== '') notes.push(`OKX labels this key "${label.slice(0, 50)}".`);
  let exchangeExpiresAt: string | null = null;
  if (!scope.sandbox && !ipRestricted && (trade || withdraw)) {
    exchangeExpiresAt = new Date(nowMs + INACTIVITY_EXPIRY_DAYS * DAY_MS).toISOString();
    findings.push(
      makeFinding(
        'KEY_EXPIRING',
        `OKX expires a key with ${[trade && 'trade', withdraw && 'withdraw'].filter(Boolean).join(' and ')} rights and no IP allow-list after ${INACTIVITY_EXPIRY_DAYS} days without an authenticated call. This check's own call counts as use, so the key lapses on ${exchangeExpiresAt} if nothing uses it before then; binding it to IP addresses stops the clock.`,
      ),
    );
  }
  return { permissions, findings, notes, exchangeExpiresAt, evidence };
}

/** `body[list][0]` of an OKX answer, as an object; throws naming the field otherwise. */
function firstEntry(body: unknown, list: string): Record<string, unknown> {
  const entries = (body as Record<string, unknown> | null)?.[list];
  if (!Array.isArray(entries)) throw new Error(`field "${list}" is not a list`);
  const first: unknown = entries[0];
  if (typeof first !== 'object' || first === null || Array.isArray(first)) throw new Error(`field "${list}[0]" is not an object`);
  return first as Record<string, unknown>;
}

function readString(entry: Record<string, unknown>, field: string): string {
  const value = entry[field];
  if (typeof value !== 'string') throw new Error(`field "data[0].${field}" is not a string`);
  return value;
}

function invalid(problem: string): CredentialsResult<OkxCredentials> {
  return { ok: false, finding: makeSecretInvalidFinding(problem, FIELDS, ID) };
}
