import { createHash } from 'node:crypto';
import { type Finding, makeFinding } from '../findings';
import type { Permissions } from '../report';
import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { computeHmac } from './signing';
import type { CredentialsResult, ExchangeAdapter, Probe, ProbeReading, ReadContext } from './types';

/** Credentials of a Gate APIv4 key: the key and its secret, used as the raw HMAC key. */
export interface GateCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

const ID = 'gate';
const FIELDS = ['apiKey', 'apiSecret'] as const;
const TIME_PATH = '/api/v4/spot/time';
const FUTURES_ACCOUNT_PATH = '/api/v4/futures/usdt/accounts';
const ACCOUNT_DETAIL_PATH = '/api/v4/account/detail';
const MAIN_KEYS_PATH = '/api/v4/account/main_keys';

/**
 * [V] gate.io/docs/developers/apiv4/en/#apiv4-signed-request-requirements: "the gap between its
 * value and current time cannot exceed 60 seconds" (refused as REQUEST_EXPIRED, [E] gateio/rest-v4#8).
 * We send whole seconds, truncated, so our timestamp trails our clock by up to 1 s: ahead we may be
 * the full 60 s, behind only 59 s.
 */
const CLOCK_WINDOW = { aheadMs: 60_000, behindMs: 59_000 };

/** What an IP refusal means, and where its message names the address Gate saw. */
const IP_NOTE =
  'Gate refused the source IP: the key has an IP allow-list. Where Gate names an address after "whitelist:", that is the egress IP of this checker, the one to add to the key’s allow-list.';

/** [V] docs, main_keys `state`: 1 normal, 2 locked, 3 frozen. */
const KEY_STATES: Readonly<Record<number, string>> = { 1: 'normal', 2: 'locked', 3: 'frozen' };

/**
 * The query as Gate signs it: [V] docs "Request query string without URL encode"; ccxt signs
 * `rawencode(query)` [C], the official Python SDK `unquote_plus(urlencode(query))` [V], and a
 * percent-encoded query fails with INVALID_SIGNATURE ([E] sieblyio/gateio-api#83).
 */
function rawQuery(query: string | undefined): string {
  if (!query) return '';
  try {
    return decodeURIComponent(query.replace(/\+/g, '%20'));
  } catch {
    return query;
  }
}

/**
 * Gate APIv4's `SIGN`: hex HMAC-SHA512 keyed with the raw secret over
 * `METHOD\n/api/v4/path\nrawQuery\nhex(SHA-512(body))\nTimestamp`, the body hashed even when empty
 * ([V] docs "API Signature string generation"; the docs' two worked examples are reproduced in tests).
 */
export function signGate(secret: string, method: string, path: string, query: string, body: string, timestamp: string): string {
  const bodyHash = createHash('sha512').update(body).digest('hex');
  return computeHmac('sha512', secret, [method.toUpperCase(), path, query, bodyHash, timestamp].join('\n'), 'hex');
}

/**
 * Gate API v4, USDT perpetual futures: KEY / Timestamp / SIGN headers (HMAC-SHA512, hex), 60 s
 * window. The futures account read proves the key and the futures account; `/account/detail` and
 * `/account/main_keys` tell the key's IP allow-list, permission groups and state where the key has
 * Gate's Account permission, and their refusal never counts against the key.
 */
export const gate: ExchangeAdapter<GateCredentials> = {
  id: ID,
  displayName: 'Gate',
  guide: {
    api: 'Gate API v4, USDT perpetual futures',
    secret:
      'A Gate APIv4 key (account management → APIv4 Keys): `apiKey` is the Key and `apiSecret` the Secret Key, exactly as Gate shows them (usually 32 and 64 hexadecimal characters). The Perpetual Futures permission, read-only, is all the check needs; the Account permission, read-only, also lets it read the key’s IP allow-list and permission groups. A futures TestNet key works only with `sandbox: true`.',
    secretExample: { apiKey: '3f9c…(32 hex)', apiSecret: '8a1d…(64 hex)' },
    clock: '60 s ahead, 59 s behind (Gate refuses a `Timestamp` more than 60 s from its clock; we send whole seconds)',
    notes:
      'Gate tells a key’s IP allow-list (`/account/detail`) and its permission groups and state (`/account/main_keys`) only to a key with the Account permission; without it those reads are refused and trade, withdraw and IP allow-list are reported as not checked, never as a problem. Trade means the Perpetual Futures group is read-write. Gate’s documented permission names have no withdrawal group, so withdrawal rights are known only when Gate lists one. Gate documents `/account/main_keys` both as the key’s own entry and as a list of every key of the account with masked ids; from a list only what all keys share is reported. A key whose account never funded its USDT futures account gets `USER_NOT_FOUND`, reported as `PERMISSION_MISSING` (a transfer into futures opens it). Gate’s help center says a key without an IP allow-list is valid for 90 days: where `/account/main_keys` gives the key’s dates, the end of those 90 days is reported as the exchange-side expiry (counted from the later of creation and last update, which Gate does not specify). The sandbox is Gate’s futures TestNet (separate TestNet keys), where only the futures read is sent.',
  },
  origin: 'https://api.gateio.ws',
  // [V] gate/gateapi-python configuration.py host settings: "TestNet trading" at
  // fx-api-testnet.gateio.ws/api/v4; the docs: TestNet takes its own keys ("Real trading API keys
  // cannot be used in TestNet"), so it authenticates them. ccxt points its testnet at
  // api-testnet.gateapi.io [C]; we follow Gate's own SDK.
  sandboxOrigin: 'https://fx-api-testnet.gateio.ws',
  allowList: [`GET ${TIME_PATH}`, `GET ${FUTURES_ACCOUNT_PATH}`, `GET ${ACCOUNT_DETAIL_PATH}`, `GET ${MAIN_KEYS_PATH}`],
  clockWindow: CLOCK_WINDOW,
  time: {
    request: { method: 'GET', path: TIME_PATH },
    // [V] docs and SDK model SystemTime: `{"server_time": 1597026383085}`, milliseconds.
    read(body) {
      const serverTime = (body as { server_time?: unknown } | null)?.server_time;
      if (typeof serverTime !== 'number' || !Number.isFinite(serverTime)) throw new Error('field "server_time" is not a number');
      return serverTime;
    },
  },

  parseCredentials(secret): CredentialsResult<GateCredentials> {
    const fields = readSecretFields(secret, FIELDS, ID);
    if (!fields.ok) return fields;
    // Gate signs with the exact text: a pasted newline or space makes every signature wrong, so say so here.
    for (const field of FIELDS)
      if (fields.values[field] !== fields.values[field].trim())
        return { ok: false, finding: makeSecretInvalidFinding(`field "${field}" has leading or trailing whitespace`, FIELDS, ID) };
    return { ok: true, credentials: { apiKey: fields.values.apiKey, apiSecret: fields.values.apiSecret } };
  },

  secretValues: (credentials) => [credentials.apiSecret],

  sign(request, credentials, { nowMs }) {
    // Integer seconds as ccxt sends them [C]; the official SDKs send fractional seconds, which Gate
    // also accepts [V], but one format keeps the ccxt comparison byte for byte.
    const timestamp = String(Math.floor(nowMs / 1000));
    const signature = signGate(credentials.apiSecret, request.method, request.path, rawQuery(request.query), request.body ?? '', timestamp);
    return { headers: { KEY: credentials.apiKey, Timestamp: timestamp, SIGN: signature }, sensitive: [signature] };
  },

  // The futures TestNet is a futures-only environment: the account reads are left out there, and the
  // futures read is what proves a TestNet key, so it is always sent on the sandbox. [U] Whether the
  // TestNet serves /spot/time is not documented; if not, the clock is reported unmeasured, never as a fault.
  probes: (scope) => [
    ...(scope.futures || scope.sandbox ? [FUTURES_PROBE] : []),
    ...(scope.sandbox ? [] : [DETAIL_PROBE, MAIN_KEYS_PROBE]),
  ],

  // [V] docs "Error Handling": non-2xx with `{"label": "...", "message": "..."}` (or `detail`);
  // programs should use `label`, "Error handling mechanism with this field [message] is highly NOT recommended".
  readError(body) {
    const label = (body as { label?: unknown } | null)?.label;
    return typeof label === 'string' ? label : undefined;
  },
  errors: [
    // [E] ccxt/ccxt#12600: 401 {"label":"INVALID_KEY","message":"Invalid key provided"}.
    {
      error: 'INVALID_KEY',
      code: 'AUTH_INVALID_KEY',
      note: 'Gate does not know this key: it was deleted or mistyped, or it is a futures TestNet key used on production (or the reverse).',
    },
    // [V] docs label list: INVALID_CREDENTIALS "Invalid credentials provided".
    { error: 'INVALID_CREDENTIALS', code: 'AUTH_INVALID_KEY', note: 'Gate did not say whether the key or the secret is wrong.' },
    // [E] gateapi-python#15, gateapi-java#31: {"label":"INVALID_SIGNATURE","message":"Signature mismatch"}.
    { error: 'INVALID_SIGNATURE', code: 'AUTH_INVALID_SIGNATURE' },
    // [E] gateio/rest-v4#8, ccxt/ccxt#13330: "gap between request Timestamp and server time exceeds 60".
    { error: 'REQUEST_EXPIRED', code: 'CLOCK_SKEW_REJECTED' },
    // [E] gateapi-go#3 (2020, maintainer: only when an allow-list is set and the client IP differs):
    // {"label":"IP_FORBIDDEN","message":"Request IP not in whitelist"}; newer answers are 403 FORBIDDEN
    // with the IP Gate saw, "Request IP not in whitelist: 1.1.1.1" (an ob_gateio ccxt-extension test
    // fixture). The message is matched only to tell this FORBIDDEN from a missing permission.
    { error: 'IP_FORBIDDEN', code: 'IP_NOT_ALLOWED', note: IP_NOTE },
    { error: 'FORBIDDEN', body: /Request IP not in whitelist/i, code: 'IP_NOT_ALLOWED', note: IP_NOTE },
    // [E] client fixtures: 403 {"label":"FORBIDDEN","message":"Request API key does not have account
    // permission"} (also "… wallet permission"): the key authenticated but lacks that permission group.
    // On the account reads the probes' `deniedMeans` keep it from counting against the key.
    { error: 'FORBIDDEN', code: 'PERMISSION_MISSING' },
    // [V] docs label list: READ_ONLY "API key is read-only" (a write with a read-only key; only reads are sent).
    { error: 'READ_ONLY', code: 'PERMISSION_MISSING' },
    // [E] ccxt/ccxt#13249 {"label":"USER_NOT_FOUND","detail":"please transfer funds first to create
    // futures account"}; [V] docs FAQ: "Futures account is not initialized yet. Making a deposit to your
    // futures account will help." The key is valid: the futures read's `deniedMeans` reports it.
    {
      error: 'USER_NOT_FOUND',
      code: 'PERMISSION_MISSING',
      note: 'The key is valid, but this Gate account has no USDT perpetual futures account yet: Gate opens it with the first transfer of funds into futures.',
    },
    // [V] docs label list: ACCOUNT_LOCKED "Account is locked"; ccxt maps it to AccountSuspended [C]. The
    // account, not only the key, is refused: KEY_EXPIRED is the code for a key the exchange refuses to
    // honour whatever is signed, and the note says a new key will not help until Gate unlocks the account.
    {
      error: 'ACCOUNT_LOCKED',
      code: 'KEY_EXPIRED',
      note: 'Gate has locked the account itself: no key of it works until Gate support unlocks the account.',
    },
    // [C] ccxt exact table: TOO_MANY_REQUESTS is RateLimitExceeded; [V] docs: 429 "Too many requests".
    { error: 'TOO_MANY_REQUESTS', code: 'RATE_LIMITED' },
    // [V] docs label list, server errors: INTERNAL, SERVER_ERROR, TOO_BUSY.
    { error: ['INTERNAL', 'SERVER_ERROR', 'TOO_BUSY'], code: 'EXCHANGE_UNAVAILABLE' },
  ],
};

const FUTURES_PROBE: Probe = {
  label: 'futures account',
  purpose: 'futures',
  tells: 'the USDT perpetual futures account',
  request: { method: 'GET', path: FUTURES_ACCOUNT_PATH },
  // [V] SDK model FuturesAccount; [C] ccxt gate.js parseBalance comment: `{"total": "12.51", "available": "0", "currency": "USDT", …}`.
  read(body) {
    const account = readObject(body, 'expected a futures account object');
    if (typeof account.available !== 'string') throw new Error('field "available" is not a string');
    return { permissions: { view: true, futures: true } };
  },
  // A FORBIDDEN here is the key without the Perpetual Futures group. [U] Its message is assumed to be
  // "… does not have futures permission": the fixtures found show only the account and wallet refusals.
  // USER_NOT_FOUND means the account has no futures account.
  deniedMeans: { futures: false },
};

/** Fields of an account detail ([V] docs example) of which a real answer carries at least one. */
const DETAIL_FIELDS = ['user_id', 'ip_whitelist', 'key'];

const DETAIL_PROBE: Probe = {
  label: 'account detail',
  purpose: 'introspection',
  tells: 'IP allow-list',
  request: { method: 'GET', path: ACCOUNT_DETAIL_PATH },
  // [V] docs "Retrieve user account information": `{"user_id", "ip_whitelist": ["127.0.0.1"],
  // "currency_pairs": [...], "key": {"mode": 1}, "tier", "copy_trading_role"}`, about the calling key;
  // [V] "If IP whitelist is not set, the server will skip client IP validation."
  read(body) {
    const detail = readObject(body, 'expected an account detail object');
    const allowList = readStringList(detail, 'ip_whitelist');
    const pairs = readStringList(detail, 'currency_pairs');
    // Every field is optional in the SDK model, but an object with none of these describes no account.
    if (!DETAIL_FIELDS.some((field) => field in detail))
      throw new Error(`expected an account detail (none of ${DETAIL_FIELDS.join(', ')})`);
    const notes: string[] = [];
    if (allowList === null) notes.push('Gate’s account detail did not include the key’s IP allow-list (ip_whitelist).');
    else if (allowList.length > 0) notes.push(`Gate accepts this key only from ${allowList.join(', ')}.`);
    if (pairs && pairs.length > 0) notes.push(`Gate limits this key’s spot trading to ${describeList(pairs)}.`);
    return { permissions: { view: true, ...(allowList !== null && { ipRestricted: allowList.length > 0 }) }, notes };
  },
  // Refused for want of the Account permission, this read says nothing against the key: `{}` keeps the
  // refusal out of the findings, and what it would have told is noted as not checked.
  deniedMeans: {},
};

const MAIN_KEYS_PROBE: Probe = {
  label: 'key permissions',
  purpose: 'introspection',
  tells: 'trade, withdraw, key state and dates',
  request: { method: 'GET', path: MAIN_KEYS_PATH },
  read: readMainKeys,
  // As for the account detail: a refusal leaves trade, withdraw and state unknown, not wrong.
  deniedMeans: {},
};

/** One entry of `/account/main_keys`, as far as the check uses it (dates in epoch ms). */
interface KeyInfo {
  readonly trade: boolean | null;
  readonly transfer: boolean | null;
  readonly state: number | null;
  readonly allowList: readonly string[] | null;
  readonly createdMs: number | null;
  readonly updatedMs: number | null;
  readonly lastAccessMs: number | null;
}

/**
 * [V] Gate help center FAQ 17521 "How to utilize API": without an IP binding "the API Key will allow
 * access from any address and is valid for 90 days" (CoinTracker's Gate guide: "re-enable your API key
 * after 90 days" [E]). [U] Which date the 90 days count from is not said: we take the later of the
 * key's creation and its last update.
 */
const UNBOUND_KEY_LIFETIME_MS = 90 * 86_400_000;

/**
 * `/account/main_keys` ("Query All Main Account Key Information"). Gate documents two shapes: the SDKs
 * (gate/gateapi-python 7.2, API v4.106) return one AccountKeyInfo object, whose `key` is `{"mode": 1}`
 * as in `/account/detail`, i.e. the calling key [V]; the docs' example is a list of every key of the
 * main account, each `key` masked to its first 12 characters (`"c5dcfbf1f3a7*****"`) [V]. A probe's
 * answer is read without the credentials, so a list entry cannot be matched to this key: the calling
 * key is one of the account's keys [U: sub-account keys untested], so what every entry agrees on holds
 * for it, and the rest stays unknown.
 */
function readMainKeys(body: unknown, { nowMs }: ReadContext): ProbeReading {
  let entries: KeyInfo[];
  if (Array.isArray(body)) {
    if (body.length === 0) throw new Error('the list of keys is empty, so it cannot include this key');
    entries = body.map((entry, index) => readKeyInfo(entry, `keys[${index}].`));
  } else entries = [readKeyInfo(body, '')];
  const trade = agreed(entries.map((e) => e.trade));
  const transfer = agreed(entries.map((e) => e.transfer));
  const state = agreed(entries.map((e) => e.state));
  const permissions: Partial<Permissions> = { view: true };
  if (trade !== null) permissions.trade = trade;
  if (transfer !== null) permissions.transfer = transfer;
  const findings: Finding[] = [];
  if (state !== null && state !== 1)
    findings.push(
      makeFinding(
        'KEY_EXPIRED',
        `Gate reports this API key as ${KEY_STATES[state]} (main_keys state ${state}); a ${KEY_STATES[state]} key cannot be used until it is unlocked on Gate.`,
      ),
    );
  const [only] = entries;
  if (entries.length > 1 || !only) {
    const unknown = [
      ...(trade === null ? ['trade'] : []),
      ...(transfer === null && entries.some((e) => e.transfer !== null) ? ['withdraw'] : []),
      ...(state === null ? ['state'] : []),
    ];
    const differ = unknown.length ? ` (they differ in ${unknown.join(', ')})` : '';
    const note = `Gate listed ${entries.length} keys of this account without saying which one is this key; only what all of them share is reported${differ}.`;
    return { permissions, findings, notes: [note] };
  }
  const notes: string[] = [];
  // Gate's creation date is the key's age for rotation.
  const created = only.createdMs !== null ? { keyCreatedAt: new Date(only.createdMs).toISOString() } : {};
  const dates = [
    ...(only.createdMs !== null ? [`created on ${day(only.createdMs)}`] : []),
    ...(only.lastAccessMs !== null ? [`last used on ${day(only.lastAccessMs)}`] : []),
  ];
  if (dates.length) notes.push(`Gate says this key was ${dates.join(' and ')}.`);
  const since = Math.max(only.createdMs ?? 0, only.updatedMs ?? 0);
  if (only.allowList === null || only.allowList.length > 0 || since === 0) return { permissions, findings, notes, ...created };
  const expiresMs = since + UNBOUND_KEY_LIFETIME_MS;
  // A key that just answered is not expired: past the 90 days, the count must start elsewhere (or is not enforced).
  if (expiresMs <= nowMs) {
    notes.push(
      `The key has no IP allow-list and was last created or updated on ${day(since)}, over 90 days ago, yet Gate still accepts it; Gate's help center says such keys are valid for 90 days.`,
    );
    return { permissions, findings, notes, ...created };
  }
  notes.push(
    `The key has no IP allow-list: Gate's help center says such keys are valid for 90 days, counted here from ${day(since)} (its creation or last update). Binding it to IP addresses lifts the limit.`,
  );
  return { permissions, findings, notes, exchangeExpiresAt: new Date(expiresMs).toISOString(), ...created };
}

/**
 * One AccountKeyInfo: `perms` [{name, read_only}] names the enabled permission groups ([V] wallet,
 * spot, futures, delivery, …, account); trade is the `futures` group being read-write. Withdrawal
 * rights: [V] the docs' permission table has a `withdrawal` group, but the documented `perms` names
 * do not include it, so it is read only from an entry named withdraw… [U] and otherwise left unknown.
 */
function readKeyInfo(value: unknown, prefix: string): KeyInfo {
  const info = readObject(value, prefix ? `field "${prefix.slice(0, -1)}" is not an object` : 'expected a key object or a list of keys');
  // [V] every AccountKeyInfo field is optional in the SDKs, but an entry with none of these describes no key.
  if (!KEY_INFO_FIELDS.some((field) => field in info))
    throw new Error(`${prefix ? `field "${prefix.slice(0, -1)}"` : 'the answer'} describes no key (none of ${KEY_INFO_FIELDS.join(', ')})`);
  let trade: boolean | null = null;
  let transfer: boolean | null = null;
  if (info.perms !== undefined && info.perms !== null) {
    if (!Array.isArray(info.perms)) throw new Error(`field "${prefix}perms" is not a list`);
    trade = false;
    for (const [index, perm] of (info.perms as unknown[]).entries()) {
      const where = `${prefix}perms[${index}]`;
      const entry = readObject(perm, `field "${where}" is not an object`);
      if (typeof entry.name !== 'string') throw new Error(`field "${where}.name" is not a string`);
      if (typeof entry.read_only !== 'boolean') throw new Error(`field "${where}.read_only" is not a boolean`);
      if (entry.name === 'futures' && !entry.read_only) trade = true;
      if (/^withdraw/i.test(entry.name)) transfer = !entry.read_only;
    }
  }
  let state: number | null = null;
  if (info.state !== undefined && info.state !== null) {
    if (typeof info.state !== 'number' || !(info.state in KEY_STATES)) throw new Error(`field "${prefix}state" is not 1, 2 or 3`);
    state = info.state;
  }
  return {
    trade,
    transfer,
    state,
    allowList: readStringList(info, 'ip_whitelist', prefix),
    createdMs: readTime(info, 'created_at', prefix),
    // [V] the schema says `updated_at`, the docs' example `update_at`.
    updatedMs: readTime(info, 'updated_at', prefix) ?? readTime(info, 'update_at', prefix),
    lastAccessMs: readTime(info, 'last_access', prefix),
  };
}

/** Fields of an AccountKeyInfo that name a key ([V] the SDK model and the docs' example list). */
const KEY_INFO_FIELDS = ['key', 'state', 'perms'];

/** [V] The schema says string, the docs' example shows Unix seconds as a number (`1753030929`): both are read. */
function readTime(info: Record<string, unknown>, field: string, prefix: string): number | null {
  const raw = info[field];
  if (raw === undefined || raw === null || raw === '' || raw === 0 || raw === '0') return null;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(seconds)) throw new Error(`field "${prefix}${field}" is not a Unix time`);
  return seconds * 1000;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function agreed<T>(values: readonly (T | null)[]): T | null {
  const [first] = values;
  return first !== undefined && first !== null && values.every((v) => v === first) ? first : null;
}

function readObject(value: unknown, problem: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(problem);
  return value as Record<string, unknown>;
}

/** A list of strings, `null` when the field is absent; throws naming the field when it is something else. */
function readStringList(object: Record<string, unknown>, field: string, prefix = ''): string[] | null {
  const value = object[field];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new Error(`field "${prefix}${field}" is not a list of strings`);
  return value as string[];
}

function describeList(items: readonly string[]): string {
  return items.length > 5 ? `${items.slice(0, 5).join(', ')} and ${items.length - 5} more` : items.join(', ');
}
