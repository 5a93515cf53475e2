import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { SimulatedExchange } from './simulated-exchange';

/**
 * What only Deribit's simulator reads from `SimKey.extra`:
 * - `scope`: the scope `public/auth` grants, instead of one built from `permissions`;
 * - `locked`: the account is locked (11098 account_locked);
 * - `subaccount`: the key belongs to a subaccount (no `mainaccount` in its scope).
 */
interface DeribitExtra {
  readonly scope?: string;
  readonly locked?: boolean;
  readonly subaccount?: boolean;
}

/** [V] docs.deribit.com/articles/authentication: a signed timestamp "is valid for 60 seconds since generation". */
const TIMESTAMP_VALID_MS = 60_000;

/**
 * Deribit API v2 as the tests see it: the public clock, `public/auth` with a client signature (which
 * answers the key's scope) and `private/get_account_summary` behind the `deri-hmac-sha256` header.
 * Each checks the Client ID, the 60-second timestamp window and the signature, then the account and the
 * scope, and answers with Deribit's JSON-RPC error bodies.
 */
export const deribitHandler: ExchangeHandler = (request, keys) => {
  if (request.method !== 'GET') return rpcError(request, -32601, 'Method not found');
  if (request.path === '/api/v2/public/get_time') return rpcResult(request, request.serverNowMs);
  if (request.path === '/api/v2/public/auth') return answerAuth(request, keys);
  if (request.path === '/api/v2/private/get_account_summary') return answerAccountSummary(request, keys);
  // [V] JSON-RPC "Method not found" (-32601) in Deribit's error list.
  return rpcError(request, -32601, 'Method not found');
};

/** [V] public/auth, grant_type client_signature: signature = hex HMAC-SHA256(secret, timestamp\nnonce\ndata). */
function answerAuth(request: SimRequest, keys: ReadonlyMap<string, SimKey>): SimResponse {
  const params = new URLSearchParams(request.query);
  if (params.get('grant_type') !== 'client_signature') return invalidParams(request, 'grant_type');
  const clientId = params.get('client_id');
  const timestamp = params.get('timestamp');
  const signature = params.get('signature');
  if (!clientId) return invalidParams(request, 'client_id');
  if (!timestamp) return invalidParams(request, 'timestamp');
  if (!signature) return invalidParams(request, 'signature');
  const key = keys.get(clientId);
  const refused = checkKey(request, key, timestamp);
  if (refused || !key) return refused ?? invalidCredentials(request);
  const expected = createHmac('sha256', key.secret).update(`${timestamp}\n${params.get('nonce') ?? ''}\n${params.get('data') ?? ''}`);
  if (!sameHex(signature, expected.digest())) return unauthorized(request);
  if (readExtra(key).locked) return rpcError(request, 11098, 'account_locked');
  return rpcResult(request, {
    access_token: `${Date.now()}.${randomBytes(6).toString('base64url')}.${randomBytes(48).toString('base64url')}`,
    expires_in: 900,
    refresh_token: `${Date.now()}.${randomBytes(6).toString('base64url')}.${randomBytes(48).toString('base64url')}`,
    scope: scopeOf(key),
    enabled_features: [],
    token_type: 'bearer',
  });
}

/** [V] "Deribit Signature Credentials (HTTP REST)": ts\nnonce\nMETHOD\nURI(?query)\nbody\n, and "Scope: account:read". */
function answerAccountSummary(request: SimRequest, keys: ReadonlyMap<string, SimKey>): SimResponse {
  const credentials = parseAuthorization(request.headers.authorization);
  // [V] 10000 authorization_required: "Authorization issue, invalid or absent signature etc."
  if (!credentials) return rpcError(request, 10000, 'authorization_required');
  const key = keys.get(credentials.id);
  const refused = checkKey(request, key, credentials.ts);
  if (refused || !key) return refused ?? invalidCredentials(request);
  const uri = request.query ? `${request.path}?${request.query}` : request.path;
  const expected = createHmac('sha256', key.secret)
    .update(`${credentials.ts}\n${credentials.nonce}\n${request.method}\n${uri}\n${request.body}\n`)
    .digest();
  if (!sameHex(credentials.sig, expected)) return unauthorized(request);
  if (readExtra(key).locked) return rpcError(request, 11098, 'account_locked');
  if (
    !scopeOf(key)
      .split(' ')
      .some((word) => word === 'account:read' || word === 'account:read_write')
  )
    return rpcError(request, 13021, 'forbidden');
  const currency = new URLSearchParams(request.query).get('currency');
  // [C] ccxt deribit.handleErrors quotes this answer for a bad currency.
  if (currency !== 'BTC' && currency !== 'ETH' && currency !== 'USDC')
    return rpcError(request, -32602, 'Invalid params', { reason: 'invalid currency', param: 'currency' });
  return rpcResult(request, {
    currency,
    balance: 0.5,
    equity: 0.5123,
    available_funds: 0.49,
    available_withdrawal_funds: 0.49,
    margin_balance: 0.5123,
    initial_margin: 0.0223,
    maintenance_margin: 0.0101,
    total_pl: 0.0123,
    session_upl: 0.0012,
    session_rpl: 0,
    portfolio_margining_enabled: false,
    delta_total: 0.1,
  });
}

/**
 * The key and timestamp checks both endpoints share, in the order assumed for Deribit: the Client ID
 * (unknown or disabled: 13004), then the timestamp. [U] Deribit documents no answer for a timestamp
 * outside its window, nor whether one from the future is refused; this answers 13009 unauthorized for
 * either direction, as for a bad signature.
 */
function checkKey(request: SimRequest, key: SimKey | undefined, timestamp: string): SimResponse | undefined {
  if (!key || key.disabled) return invalidCredentials(request);
  const ts = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(request.serverNowMs - ts) > TIMESTAMP_VALID_MS) return unauthorized(request);
  return undefined;
}

/** `deri-hmac-sha256 id=…,ts=…,sig=…,nonce=…`; the docs show it with and without a space after each comma. */
function parseAuthorization(header: string | undefined): { id: string; ts: string; sig: string; nonce: string } | undefined {
  const match = /^deri-hmac-sha256\s+(.+)$/.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const fields = new Map(
    match[1].split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const [id, ts, sig, nonce] = ['id', 'ts', 'sig', 'nonce'].map((name) => fields.get(name));
  if (!id || !ts || !sig || nonce === undefined) return undefined;
  return { id, ts, sig, nonce };
}

/** The scope `public/auth` grants the key, in Deribit's order (alphabetical, as a 2020 login log shows [E]). */
function scopeOf(key: SimKey): string {
  const extra = readExtra(key);
  if (extra.scope !== undefined) return extra.scope;
  const words = [
    key.permissions.view ? 'account:read' : 'account:none',
    'block_trade:read',
    'connection',
    ...(extra.subaccount ? [] : ['mainaccount']),
    key.permissions.trade ? 'trade:read_write' : 'trade:read',
    key.permissions.transfer ? 'wallet:read_write' : 'wallet:read',
  ];
  return words.join(' ');
}

function readExtra(key: SimKey): DeribitExtra {
  return (key.extra ?? {}) as DeribitExtra;
}

function sameHex(given: string, expected: Buffer): boolean {
  const bytes = /^[0-9a-f]+$/i.test(given) ? Buffer.from(given, 'hex') : Buffer.alloc(0);
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/** [E] ccxt/ccxt#8696: `{"jsonrpc":"2.0","error":{"message":"invalid_credentials","code":13004},"testnet":false,…}`. */
function invalidCredentials(request: SimRequest): SimResponse {
  return rpcError(request, 13004, 'invalid_credentials');
}

/** [V] 13009 "unauthorized": "Wrong or expired authorization token or bad signature". */
function unauthorized(request: SimRequest): SimResponse {
  return rpcError(request, 13009, 'unauthorized');
}

/** [V] -32602 "Invalid params", with `data.reason` and `data.param` as ccxt quotes it [C]. */
function invalidParams(request: SimRequest, param: string): SimResponse {
  return rpcError(request, -32602, 'Invalid params', { reason: 'must be present', param });
}

/** The JSON-RPC envelope with Deribit's extra fields: `testnet`, and the request's times in microseconds [V]. */
function envelope(request: SimRequest): Record<string, unknown> {
  const usIn = request.serverNowMs * 1000;
  return { jsonrpc: '2.0', testnet: false, usIn, usOut: usIn + 120, usDiff: 120 };
}

function rpcResult(request: SimRequest, result: unknown): SimResponse {
  return json(200, { ...envelope(request), result });
}

/**
 * [E] a 2026 probe of www.deribit.com answered JSON-RPC errors with HTTP 400 (a 2020 report shows 401,
 * knowm/XChange#3783); the adapter reads `error.code`, never the status.
 */
function rpcError(request: SimRequest, code: number, message: string, data?: Record<string, string>): SimResponse {
  return json(400, { ...envelope(request), error: { message, code, ...(data && { data }) } });
}

/** A Client Secret shaped like Deribit's (43 base64url characters, e.g. B6RsF9rrLY5e…-UC7whyPJ34BMA-kKYpes [V]). */
function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

const READ_ONLY = { view: true, trade: false, transfer: false };

function simKeyOf(apiKey: string, secret: string, more: Partial<SimKey> = {}): SimKey {
  return { apiKey, secret, permissions: READ_ONLY, futures: true, ...more };
}

/** Deribit for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'deribit',
  handler: deribitHandler,
  makeKey(label) {
    const apiKey = `drb${label}${randomBytes(4).toString('hex')}`;
    const apiSecret = newClientSecret();
    return { simKey: simKeyOf(apiKey, apiSecret), secret: { apiKey, apiSecret } };
  },
  demoKeys() {
    const reader = newClientSecret();
    const trader = newClientSecret();
    const noAccount = newClientSecret();
    const locked = newClientSecret();
    const clock = newClientSecret();
    return [
      {
        name: 'drb-reader',
        simKey: simKeyOf('drbReader1', reader),
        secret: { apiKey: 'drbReader1', apiSecret: reader },
        codes: [],
      },
      {
        name: 'drb-withdrawer',
        simKey: simKeyOf('drbTrader1', trader, { permissions: { view: true, trade: true, transfer: true } }),
        secret: { apiKey: 'drbTrader1', apiSecret: trader },
        codes: ['PERMISSION_EXCESSIVE'],
      },
      {
        name: 'drb-wrong-secret',
        secret: { apiKey: 'drbReader1', apiSecret: newClientSecret() },
        codes: ['AUTH_INVALID_SIGNATURE'],
      },
      {
        name: 'drb-deleted',
        secret: { apiKey: 'drbGone01', apiSecret: newClientSecret() },
        codes: ['AUTH_INVALID_KEY'],
      },
      {
        name: 'drb-no-account-scope',
        simKey: simKeyOf('drbNoAcct1', noAccount, { permissions: { view: false, trade: true, transfer: false } }),
        secret: { apiKey: 'drbNoAcct1', apiSecret: noAccount },
        codes: ['PERMISSION_MISSING', 'PERMISSION_MISSING'],
      },
      {
        name: 'drb-locked',
        simKey: simKeyOf('drbLocked1', locked, { extra: { locked: true } }),
        secret: { apiKey: 'drbLocked1', apiSecret: locked },
        codes: ['KEY_EXPIRED'],
      },
      {
        name: 'drb-clock-behind',
        simKey: simKeyOf('drbClock01', clock),
        secret: { apiKey: 'drbClock01', apiSecret: clock },
        codes: ['CLOCK_SKEW_REJECTED'],
        // Deribit's clock 90 s ahead of ours: every timestamp we sign is older than its 60 s.
        conditions: { skewMs: 90_000 },
      },
      {
        name: 'drb-asymmetric',
        secret: { apiKey: 'drbEd25519', apiSecret: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI…\n-----END PRIVATE KEY-----\n' },
        codes: ['SECRET_INVALID'],
      },
    ];
  },
};
