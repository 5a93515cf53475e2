import { createHmac } from 'node:crypto';
import ccxt from 'ccxt';
import { deribit, signClientSignature } from '../../../lambda/exchanges/deribit';
import type { ExchangeRequest } from '../../../lambda/exchanges/types';
import type { HttpRequest } from '../../../lambda/http/http-client';
import type { AdapterContract, OracleRequest, SecretFields } from '../contract';
import { simulator } from '../simulator/deribit';

/** Our nonce under `signAt`: 8 random bytes, all 0xab, as hex. */
const PINNED_NONCE = 'ab'.repeat(8);

/**
 * ccxt's request for one of our reads with its clock frozen: `deribit.sign()` for the private read (its
 * nonce pinned to ours), and for `public/auth` the client-signature login of ccxt pro's
 * `authenticate()` (captured instead of sent), laid out as a REST query by ccxt's own `sign()`.
 */
function signWithCcxt(request: ExchangeRequest, secret: SecretFields, nowMs: number): OracleRequest {
  const credentials = { apiKey: secret.apiKey, secret: secret.apiSecret };
  const rest = new ccxt.deribit(credentials);
  rest.milliseconds = () => nowMs;
  // ccxt signs `nonce().toString()`, so a string nonce passes through as it is.
  rest.nonce = (() => PINNED_NONCE) as unknown as () => number;
  rest.options.timeDifference = 0;
  const [, , , api, path] = request.path.split('/');
  if (api === 'private') {
    const params = Object.fromEntries(new URLSearchParams(request.query));
    const signed = rest.sign(path, 'private', request.method, params);
    return { url: signed.url, headers: signed.headers, body: signed.body };
  }
  const pro = new ccxt.pro.deribit(credentials);
  pro.milliseconds = () => nowMs;
  let login: { params: Record<string, unknown> } | undefined;
  // authenticate() builds the login and hands it to watch() before its first await; nothing is sent.
  pro.watch = (_url: string, _hash: string, message: { params: Record<string, unknown> }) => {
    login = message;
    return new Promise(() => undefined);
  };
  void pro.authenticate();
  if (!login) throw new Error('ccxt pro deribit did not build a public/auth login');
  const signed = rest.sign(path, 'public', request.method, login.params);
  return { url: signed.url, headers: signed.headers ?? {}, body: signed.body };
}

/**
 * Deribit: the `deri-hmac-sha256` header byte for byte against ccxt (nonce pinned); the `public/auth`
 * login field for field against ccxt pro, whose nonce is its millisecond timestamp where ours is random,
 * so its signature is proven by recomputing the documented formula for each side.
 */
function verifyAgainstCcxt(ours: HttpRequest, theirs: OracleRequest | null, secret: SecretFields): void {
  if (!theirs) throw new Error(`no ccxt oracle for ${ours.url}`);
  const url = new URL(ours.url);
  if (url.pathname !== '/api/v2/public/auth') {
    expect(ours.url).toBe(theirs.url);
    expect(ours.body ?? '').toBe(theirs.body ?? '');
    expect(ours.headers.Authorization).toBe(theirs.headers.Authorization);
    const fields = Object.fromEntries(
      (ours.headers.Authorization ?? '')
        .replace('deri-hmac-sha256 ', '')
        .split(',')
        .map((part) => part.split('=')),
    );
    expect(fields.nonce).toBe(PINNED_NONCE);
    const signed = `${fields.ts}\n${fields.nonce}\nGET\n${url.pathname}${url.search}\n\n`;
    expect(fields.sig).toBe(
      createHmac('sha256', secret.apiSecret ?? '')
        .update(signed)
        .digest('hex'),
    );
    return;
  }
  const theirUrl = new URL(theirs.url);
  const mine = url.searchParams;
  const ccxts = theirUrl.searchParams;
  expect(`${url.origin}${url.pathname}`).toBe(`${theirUrl.origin}${theirUrl.pathname}`);
  expect(ours.headers.Authorization).toBeUndefined();
  expect([...mine.keys()]).toEqual([...ccxts.keys()]);
  for (const field of ['grant_type', 'client_id', 'timestamp', 'data']) expect([field, mine.get(field)]).toEqual([field, ccxts.get(field)]);
  expect(mine.get('nonce')).toBe(PINNED_NONCE);
  const documented = (params: URLSearchParams) =>
    createHmac('sha256', secret.apiSecret ?? '')
      .update(`${params.get('timestamp')}\n${params.get('nonce')}\n${params.get('data')}`)
      .digest('hex');
  expect(mine.get('signature')).toBe(documented(mine));
  expect(ccxts.get('signature')).toBe(documented(ccxts));
  expect(signClientSignature(secret.apiSecret ?? '', ccxts.get('timestamp') ?? '', ccxts.get('nonce') ?? '', '')).toBe(
    ccxts.get('signature'),
  );
}

/** Deribit's JSON-RPC error envelope around `error`, as its answers carry it. */
function rpcError(code: number, message: string, data?: Record<string, string>): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    error: { message, code, ...(data && { data }) },
    testnet: false,
    usIn: 1616444742558343,
    usOut: 1616444742558590,
    usDiff: 247,
  });
}

const LIST = '[V] docs.deribit.com RPC error codes (v2.1.1, code and message), in the envelope of its error example';

/** Deribit: HMAC header and client-signature login against ccxt 4.5.84, JSON-RPC error codes. */
export const contract: AdapterContract = {
  adapter: deribit,
  simulator,
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_SIGNATURE'],
  ccxtSign: signWithCcxt,
  compare: { verify: verifyAgainstCcxt },
  documentedErrors: [
    {
      status: 400,
      body: '{"jsonrpc":"2.0","error":{"message":"invalid_credentials","code":13004},"testnet":false,"usIn":1616444742558343,"usOut":1616444742558590,"usDiff":247}',
      code: 'AUTH_INVALID_KEY',
      source: '[E] ccxt/ccxt#8696 (body), status of a 2026 probe',
    },
    {
      status: 401,
      body: rpcError(13009, 'unauthorized'),
      code: 'AUTH_INVALID_SIGNATURE',
      source: '[E] knowm/XChange#3783: 13009 with HTTP 401',
    },
    {
      status: 400,
      body: rpcError(13009, 'invalid_token', { reason: 'token has expired', param: 'access_token' }),
      code: 'AUTH_INVALID_SIGNATURE',
      source: '[V] docs.deribit.com/articles/errors (error response example)',
    },
    { status: 400, body: rpcError(10000, 'authorization_required'), code: 'AUTH_INVALID_SIGNATURE', source: LIST },
    { status: 400, body: rpcError(13021, 'forbidden'), code: 'PERMISSION_MISSING', source: LIST },
    { status: 400, body: rpcError(9999, 'api_not_enabled'), code: 'PERMISSION_MISSING', source: '[C] ccxt 4.5.84 deribit exceptions' },
    { status: 400, body: rpcError(11098, 'account_locked'), code: 'KEY_EXPIRED', source: LIST },
    { status: 400, body: rpcError(13002, 'account_blocked'), code: 'KEY_EXPIRED', source: '[C] ccxt 4.5.84 deribit exceptions' },
    { status: 400, body: rpcError(12005, 'country_is_banned'), code: 'LOCATION_BLOCKED', source: LIST },
    { status: 429, body: rpcError(10028, 'too_many_requests'), code: 'RATE_LIMITED', source: LIST },
    { status: 400, body: rpcError(10028, 'too_many_requests'), code: 'RATE_LIMITED', source: LIST },
    { status: 400, body: rpcError(10066, 'too_many_concurrent_requests'), code: 'RATE_LIMITED', source: LIST },
    { status: 400, body: rpcError(10040, 'retry'), code: 'EXCHANGE_UNAVAILABLE', source: LIST },
    { status: 400, body: rpcError(10041, 'settlement_in_progress'), code: 'EXCHANGE_UNAVAILABLE', source: LIST },
    { status: 400, body: rpcError(11051, 'system_maintenance'), code: 'EXCHANGE_UNAVAILABLE', source: LIST },
    { status: 500, body: rpcError(11094, 'internal_server_error'), code: 'EXCHANGE_UNAVAILABLE', source: LIST },
    { status: 400, body: rpcError(13025, 'method_switched_off_by_admin'), code: 'EXCHANGE_UNAVAILABLE', source: LIST },
    { status: 400, body: rpcError(13028, 'temporarily_unavailable'), code: 'EXCHANGE_UNAVAILABLE', source: LIST },
    { status: 400, body: rpcError(13503, 'unavailable'), code: 'EXCHANGE_UNAVAILABLE', source: LIST },
    { status: 400, body: rpcError(13888, 'timed_out'), code: 'EXCHANGE_UNAVAILABLE', source: LIST },
    // A 200 that carries an error is never a success [V: errors come in the same envelope as results].
    { status: 200, body: rpcError(13009, 'unauthorized'), code: 'AUTH_INVALID_SIGNATURE', source: LIST },
    // Our own request malformed: not a key problem, and never healthy.
    {
      status: 400,
      body: rpcError(-32602, 'Invalid params', { reason: 'invalid currency', param: 'currency' }),
      code: 'UNEXPECTED_RESPONSE',
      source: '[C] ccxt 4.5.84 deribit.handleErrors comment',
    },
  ],
  malformedSecrets: [
    [{ apiSecret: 'W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS' }, 'has no "apiKey" field'],
    [{ apiKey: 'fo7WAPRm4P' }, 'has no "apiSecret" field'],
    [{ apiKey: 'fo7WAPRm4P', apiSecret: 42 }, 'field "apiSecret" must be a non-empty string'],
    [{ apiKey: 'fo7W APRm4P', apiSecret: 'W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS' }, 'field "apiKey" must be the Client ID'],
    [{ apiKey: 'fo7WAPRm4P', apiSecret: 'W0H6FJW4IRPZ1MOQ 8FP6KMC5RZDUUKXS' }, 'field "apiSecret" contains whitespace'],
    [
      { apiKey: 'fo7WAPRm4P', apiSecret: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ…\n-----END PRIVATE KEY-----' },
      'field "apiSecret" holds a PEM key',
    ],
  ],
};
