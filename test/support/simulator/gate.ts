import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { DemoKey, SimulatedExchange } from './simulated-exchange';

/**
 * What only Gate knows about a simulated key, in `SimKey.extra` (every field optional):
 * - `accountPermission` (default true): the key has the Account group, so `/account/*` answer.
 * - `futuresPermission` (default: `permissions.view`): the key has the Perpetual Futures group.
 * - `state` (default 1, or 2 for a `disabled` key): main_keys state, 1 normal, 2 locked, 3 frozen.
 * - `mainKeysShape` (default `object`): `list` answers main_keys as the docs' list of every key of the
 *   account, with masked key ids and one other key (`otherKey`, default a read-only futures key).
 * - `ipWhitelist`: the allow-list main_keys and account detail show (default: one address when
 *   `ipRestricted` or `ipBlocked`, else none).
 * - `updatedDaysAgo` (default 30): when the key was last updated; it was created 40 days ago, or then if that
 *   is earlier (young enough for the default rotation policy) and last used a day ago, all relative to the simulated clock.
 */
export interface GateSimExtra {
  readonly accountPermission?: boolean;
  readonly futuresPermission?: boolean;
  readonly state?: 1 | 2 | 3;
  readonly mainKeysShape?: 'object' | 'list';
  readonly otherKey?: Readonly<Record<string, unknown>>;
  readonly ipWhitelist?: readonly string[];
  readonly updatedDaysAgo?: number;
}

/** [U] Gate's window is "cannot exceed 60 seconds" [V]; measured in ms against a fractional Timestamp. */
const WINDOW_MS = 60_000;

// Bodies and statuses, with their sources. 401 for authentication ([V] docs: "401 indicates that there
// is a problem with the certification"), 403 for a refused permission or IP (newer client fixtures).
const MISSING_HEADER = json(401, { label: 'MISSING_REQUIRED_HEADER', message: 'Missing required authentication header' }); // [V] label list
const REQUEST_EXPIRED = json(401, { label: 'REQUEST_EXPIRED', message: 'gap between request Timestamp and server time exceeds 60' }); // [E] gateio/rest-v4#8
const INVALID_KEY = json(401, { label: 'INVALID_KEY', message: 'Invalid key provided' }); // [E] ccxt/ccxt#12600
const INVALID_SIGNATURE = json(401, { label: 'INVALID_SIGNATURE', message: 'Signature mismatch' }); // [E] gateapi-python#15
const ACCOUNT_LOCKED = json(403, { label: 'ACCOUNT_LOCKED', message: 'Account is locked' }); // [V] label list, status [U]
const NO_ACCOUNT_PERMISSION = json(403, { label: 'FORBIDDEN', message: 'Request API key does not have account permission' }); // [E] client fixture
// [U] By the pattern of the account and wallet refusals; no fixture shows the futures one.
const NO_FUTURES_PERMISSION = json(403, { label: 'FORBIDDEN', message: 'Request API key does not have futures permission' });
// [E] ccxt/ccxt#13249 (body), client fixtures (400).
const NO_FUTURES_ACCOUNT = json(400, { label: 'USER_NOT_FOUND', detail: 'please transfer funds first to create futures account' });
const NOT_FOUND = json(404, { label: 'NOT_FOUND', message: 'Request URL not exists' }); // [E] gateapi-python#13, [V] label list

const ROUTES: Record<string, (key: SimKey, extra: GateSimExtra, request: SimRequest) => SimResponse> = {
  'GET /api/v4/futures/usdt/accounts': (key, extra) => {
    if (!(extra.futuresPermission ?? key.permissions.view)) return NO_FUTURES_PERMISSION;
    if (!key.futures) return NO_FUTURES_ACCOUNT;
    return json(200, FUTURES_ACCOUNT);
  },
  'GET /api/v4/account/detail': (key, extra) => {
    if (extra.accountPermission === false) return NO_ACCOUNT_PERMISSION;
    // [V] docs example of "Retrieve user account information".
    return json(200, {
      user_id: 1667201533,
      ip_whitelist: allowListOf(key, extra),
      currency_pairs: [],
      key: { mode: 1 },
      tier: 2,
      copy_trading_role: 0,
    });
  },
  'GET /api/v4/account/main_keys': (key, extra, request) => {
    if (extra.accountPermission === false) return NO_ACCOUNT_PERMISSION;
    const own = keyInfo(key, extra, request.serverNowMs);
    if (extra.mainKeysShape !== 'list') return json(200, { ...own, key: { mode: 1 } });
    // [V] the docs' example: every key of the main account, ids masked to their first 12 characters.
    const other = { ...own, name: 'other', perms: [{ name: 'futures', read_only: true }], ip_whitelist: [], ...extra.otherKey };
    return json(200, [
      { ...own, key: `${key.apiKey.slice(0, 12)}*****` },
      { ...other, key: '52fd0035f665*****' },
    ]);
  },
};

/**
 * Gate API v4 as the tests see it: serves `/spot/time`, and checks the headers, the 60 s Timestamp
 * window, the key, the HMAC-SHA512 signature over `METHOD\npath\nrawQuery\nsha512(body)\nTimestamp`,
 * the IP allow-list and the account's lock, in that order ([U] the order Gate reports them: rest-v4#8
 * shows a request signed in Postman refused for its Timestamp first), then the permission groups.
 */
export const gateHandler: ExchangeHandler = (request, keys) => {
  if (request.method === 'GET' && request.path === '/api/v4/spot/time') return json(200, { server_time: request.serverNowMs });
  const route = ROUTES[`${request.method} ${request.path}`];
  if (!route) return NOT_FOUND;
  const key = authenticate(request, keys);
  if ('status' in key) return key;
  const extra = (key.extra ?? {}) as GateSimExtra;
  // [E] the newer refusal names the address Gate saw, the one to allow.
  if (key.ipBlocked) return json(403, { label: 'FORBIDDEN', message: `Request IP not in whitelist: ${request.remoteAddress}` });
  if (key.disabled) return ACCOUNT_LOCKED;
  return route(key, extra, request);
};

function authenticate(request: SimRequest, keys: ReadonlyMap<string, SimKey>): SimKey | SimResponse {
  const { key: apiKey, timestamp, sign } = request.headers;
  if (!apiKey || !timestamp || !sign) return MISSING_HEADER;
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(seconds * 1000 - request.serverNowMs) > WINDOW_MS) return REQUEST_EXPIRED;
  const key = keys.get(apiKey);
  if (!key) return INVALID_KEY;
  const bodyHash = createHash('sha512').update(request.body).digest('hex');
  const query = decodeURIComponent(request.query.replace(/\+/g, '%20'));
  const expected = createHmac('sha512', key.secret).update([request.method, request.path, query, bodyHash, timestamp].join('\n')).digest();
  const given = /^[0-9a-f]{128}$/i.test(sign) ? Buffer.from(sign, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return INVALID_SIGNATURE;
  return key;
}

function allowListOf(key: SimKey, extra: GateSimExtra): string[] {
  if (extra.ipWhitelist) return [...extra.ipWhitelist];
  return key.ipRestricted || key.ipBlocked ? ['203.0.113.10'] : [];
}

/** An AccountKeyInfo ([V] gate/gateapi-python docs/AccountKeyInfo.md; dates as the docs' example, Unix seconds). */
function keyInfo(key: SimKey, extra: GateSimExtra, nowMs: number) {
  const daysAgo = (days: number) => Math.floor((nowMs - days * 86_400_000) / 1000);
  const { view, trade, transfer } = key.permissions;
  const perms = [
    ...((extra.futuresPermission ?? view) ? [{ name: 'futures', read_only: !trade }] : []),
    ...(extra.accountPermission === false ? [] : [{ name: 'account', read_only: true }]),
    // [U] Gate's documented perms names have no withdrawal group; the docs' permission table calls it `withdrawal`.
    ...(transfer ? [{ name: 'withdrawal', read_only: false }] : []),
  ];
  return {
    state: extra.state ?? (key.disabled ? 2 : 1),
    mode: 1,
    name: 'key-health',
    user_id: 1667201533,
    perms,
    ip_whitelist: allowListOf(key, extra),
    currency_pairs: [],
    created_at: daysAgo(Math.max(40, extra.updatedDaysAgo ?? 30)),
    update_at: daysAgo(extra.updatedDaysAgo ?? 30),
    last_access: daysAgo(1),
  };
}

// [C] ccxt gate.js parseBalance comment (swap); values made up.
const FUTURES_ACCOUNT = {
  order_margin: '0',
  point: '0',
  bonus: '0',
  history: {
    dnw: '1000',
    pnl: '11.5351',
    refr: '0',
    point_fee: '0',
    fund: '-0.3234',
    bonus_dnw: '0',
    point_refr: '0',
    bonus_offset: '0',
    fee: '-0.2013',
  },
  unrealised_pnl: '13.3151',
  total: '1010.0104',
  available: '998.0104',
  in_dual_mode: false,
  currency: 'USDT',
  position_margin: '12.0000',
  user: '6333333',
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const READ_TRADE = { view: true, trade: true, transfer: false };

/** A key Gate knows: a 32-hex key and 64-hex secret, as Gate issues them. */
function gateKey(more: Partial<SimKey> = {}): { simKey: SimKey; secret: { apiKey: string; apiSecret: string } } {
  const apiKey = hex(16);
  const apiSecret = hex(32);
  return { simKey: { apiKey, secret: apiSecret, permissions: READ_TRADE, futures: true, ...more }, secret: { apiKey, apiSecret } };
}

/** Gate for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'gate',
  handler: gateHandler,
  makeKey: () => gateKey(),
  demoKeys(): DemoKey[] {
    const bot = gateKey({ ipRestricted: true });
    const futuresOnly = gateKey({ extra: { accountPermission: false } });
    const unfunded = gateKey({ futures: false });
    const withdraw = gateKey({ permissions: { ...READ_TRADE, transfer: true } });
    const ipBlocked = gateKey({ ipBlocked: true });
    const open = gateKey();
    const locked = gateKey({ disabled: true });
    const skewed = gateKey();
    const unbound = gateKey({ extra: { updatedDaysAgo: 80 } });
    return [
      { name: 'gate-futures-bot', ...bot, expect: { futures: true, trade: true, ipRestricted: true }, codes: [] },
      { name: 'gate-futures-only', ...futuresOnly, codes: [] },
      { name: 'gate-unfunded', ...unfunded, codes: ['PERMISSION_MISSING'] },
      { name: 'gate-can-withdraw', ...withdraw, codes: ['PERMISSION_EXCESSIVE'] },
      { name: 'gate-ip-blocked', ...ipBlocked, codes: ['IP_NOT_ALLOWED'] },
      { name: 'gate-no-allowlist', ...open, expect: { ipRestricted: true }, codes: ['IP_UNRESTRICTED'] },
      { name: 'gate-wrong-secret', simKey: open.simKey, secret: { ...open.secret, apiSecret: hex(32) }, codes: ['AUTH_INVALID_SIGNATURE'] },
      { name: 'gate-account-locked', ...locked, codes: ['KEY_EXPIRED'] },
      // Created 80 days ago as well: Gate's creation date is the key's age, so rotation is due too.
      { name: 'gate-unbound-80-days', ...unbound, codes: ['KEY_EXPIRING', 'ROTATION_DUE'] },
      { name: 'gate-clock-ahead', ...skewed, codes: ['CLOCK_SKEW_REJECTED'], conditions: { skewMs: -75_000 } },
    ];
  },
};
