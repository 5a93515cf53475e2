import { createPrivateKey, type KeyObject } from 'node:crypto';
import { makeFinding } from '../findings';
import { createEd25519Key, type JwtAlgorithm, signJwt } from './jwt';
import { makeSecretInvalidFinding, readSecretFields } from './secret-fields';
import { decodeBase64 } from './signing';
import type { CredentialsResult, ExchangeAdapter, ExchangeRequest } from './types';

/** Credentials of a CDP key: its name and the private key that signs one JWT per request. */
export interface CoinbaseAdvancedCredentials {
  readonly keyName: string;
  readonly algorithm: JwtAlgorithm;
  readonly privateKey: KeyObject;
  /** The secret as parsed (PEM with real newlines, or base64), kept only so it can be redacted. */
  readonly secretText: string;
}

const ID = 'coinbase-advanced';
const FIELDS = ['apiKey', 'apiSecret'] as const;
const TIME_PATH = '/api/v3/brokerage/time';
const KEY_PERMISSIONS_PATH = '/api/v3/brokerage/key_permissions';
const FUTURES_BALANCE_PATH = '/api/v3/brokerage/cfm/balance_summary';
/** The host the `uri` claim names: always production, whatever origin the request goes to. */
const URI_HOST = 'api.coinbase.com';
/** [V] "Your JWT expires after 2 minutes… generate a different JWT for each unique API request." */
const JWT_LIFETIME_S = 120;
/** [V] docs.cloud.coinbase.com/advanced-trade-api/docs/rest-api-auth-legacy: legacy keys had a 16-character name and a 32-character secret. */
const LEGACY_KEY = /^[A-Za-z0-9]{16}$/;
const LEGACY_SECRET = /^[A-Za-z0-9]{32}$/;

/**
 * Builds the Bearer JWT of one request. Claims follow ccxt 4.5.84 `createAuthToken` [C], key order
 * included: ES256 like coinbase-advanced-py [V] (`iss: coinbase-cloud`, `aud: retail_rest_api_proxy`,
 * `uri`), EdDSA like cdp-sdk [V] (`iss: cdp`, `aud: cdp_service`, `uris`). `uri` is
 * `METHOD host+path` without scheme or query, and always names api.coinbase.com: a `baseUrl`
 * override changes where the request goes, never what is signed.
 */
export function buildCdpJwt(credentials: CoinbaseAdvancedCredentials, request: ExchangeRequest, nowMs: number, nonce: string): string {
  const now = Math.floor(nowMs / 1000);
  const uri = `${request.method} ${URI_HOST}${request.path}`;
  const es256 = credentials.algorithm === 'ES256';
  const claims = {
    aud: [es256 ? 'retail_rest_api_proxy' : 'cdp_service'],
    iss: es256 ? 'coinbase-cloud' : 'cdp',
    nbf: now,
    exp: now + JWT_LIFETIME_S,
    sub: credentials.keyName,
    iat: now,
    ...(es256 ? { uri } : { uris: [uri] }),
  };
  return signJwt({ alg: credentials.algorithm, typ: 'JWT', kid: credentials.keyName, nonce }, claims, credentials.privateKey);
}

/**
 * Coinbase Advanced Trade with CDP keys, incl. US futures (CFM): a fresh ES256 or EdDSA JWT per
 * request ([V] docs.cdp.coinbase.com/get-started/authentication/jwt-authentication). `key_permissions` proves the key and reads its scopes; the CFM
 * balance summary proves the futures account.
 */
export const coinbaseAdvanced: ExchangeAdapter<CoinbaseAdvancedCredentials> = {
  id: ID,
  displayName: 'Coinbase Advanced',
  guide: {
    api: 'Coinbase Advanced Trade with CDP keys, incl. US futures (CFM)',
    secret:
      'A CDP API key (Coinbase Developer Platform). `apiKey` is the key name (`organizations/{org_id}/apiKeys/{key_id}`, or the key id for Ed25519 keys); `apiSecret` is the private key exactly as downloaded: an EC PEM (`-----BEGIN EC PRIVATE KEY-----`; JSON-escaped `\\n` newlines are fine, PKCS#8 `BEGIN PRIVATE KEY` too) or, for an Ed25519 key, the base64 of 64 bytes. A legacy Coinbase key (16-character key, 32-character secret, from coinbase.com/settings/api) is reported as `KEY_EXPIRED`: Coinbase expired all legacy keys in February 2025.',
    secretExample: {
      apiKey: 'organizations/1f2e…/apiKeys/9a8b…',
      apiSecret: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI…\n-----END EC PRIVATE KEY-----\n',
    },
    clock: "1 s ahead, 119 s behind (a JWT lives 120 s; Coinbase's `nbf` leeway is undocumented)",
    notes:
      'Coinbase answers a bare `401 Unauthorized` for an unknown key, a wrong secret, an expired JWT and (reportedly) a blocked IP alike; the request is sent once more before it is believed (Coinbase is known for an occasional lone 401), and the message says the causes cannot be told apart. IP allow-list and exchange-side expiry are not reported.',
  },
  origin: 'https://api.coinbase.com',
  // [V] docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/sandbox: api-sandbox.coinbase.com is a
  // static mock that takes no authentication and serves only accounts and orders, so it cannot say
  // anything about a key. No sandbox, then: `sandbox: true` is refused rather than reported healthy.
  sandboxOrigin: null,
  allowList: [`GET ${TIME_PATH}`, `GET ${KEY_PERMISSIONS_PATH}`, `GET ${FUTURES_BALANCE_PATH}`],
  // [U] The server's nbf/exp leeway is undocumented, and none was found reported.
  // Ahead: nbf = now and RFC 7519 leeway is optional, so assume no more than nbf's whole-second
  // truncation, 1 s. Behind: the JWT is dead once we trail by its 120 s lifetime, less up to 1 s that
  // truncating exp to whole seconds takes off.
  clockWindow: { aheadMs: 1_000, behindMs: 119_000 },
  time: {
    request: { method: 'GET', path: TIME_PATH },
    // `{"iso": "…", "epochSeconds": "1700000000", "epochMillis": "1700000000123"}`: strings [V schema, E fields].
    read(body) {
      const raw = (body as { epochMillis?: unknown } | null)?.epochMillis;
      const millis = typeof raw === 'number' || (typeof raw === 'string' && raw.trim() !== '') ? Number(raw) : Number.NaN;
      if (!Number.isFinite(millis)) throw new Error('field "epochMillis" is not a number');
      return millis;
    },
  },

  parseCredentials(secret) {
    const fields = readSecretFields(secret, FIELDS, ID);
    if (!fields.ok) return fields;
    const keyName = fields.values.apiKey.trim();
    // A secret pasted into JSON by hand often keeps the PEM's newlines as a literal backslash-n.
    const text = fields.values.apiSecret.replace(/\\n/g, '\n').trim();
    if (keyName.includes('-----BEGIN'))
      return invalid('field "apiKey" must be the key name (organizations/…/apiKeys/… or the key id), not a PEM');
    if (text.includes('-----BEGIN')) return parsePem(keyName, text);
    const bytes = decodeBase64(text);
    // [V] cdp-sdk: an Ed25519 secret is base64 of the 32-byte seed followed by the 32-byte public key; only the seed signs.
    if (bytes?.length === 64)
      return {
        ok: true,
        credentials: { keyName, algorithm: 'EdDSA', privateKey: createEd25519Key(bytes.subarray(0, 32)), secretText: text },
      };
    if (LEGACY_KEY.test(keyName) && LEGACY_SECRET.test(text))
      return {
        ok: false,
        finding: makeFinding(
          'KEY_EXPIRED',
          'The secret holds a legacy Coinbase API key (16-character key, 32-character secret). Coinbase expired all legacy API keys in February 2025; create a CDP API key on the Coinbase Developer Platform and store its key name and private key.',
        ),
      };
    if (bytes)
      return invalid(
        'field "apiSecret" is base64 but not 64 bytes (an Ed25519 CDP secret is a 32-byte seed followed by the 32-byte public key)',
      );
    return invalid('field "apiSecret" is neither an EC private key PEM nor a base64 Ed25519 key');
  },

  secretValues: (c) => [c.secretText, ...c.secretText.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'))],

  sign(request, credentials, { nowMs, random }) {
    // A fresh 16-byte header nonce per JWT, as ccxt and cdp-sdk send.
    const token = buildCdpJwt(credentials, request, nowMs, random(16).toString('hex'));
    return { headers: { Authorization: `Bearer ${token}` }, sensitive: [token, token.slice(token.lastIndexOf('.') + 1)] };
  },

  probes: () => [
    {
      label: 'key permissions',
      purpose: 'introspection',
      tells: 'view, trade, transfer',
      request: { method: 'GET', path: KEY_PERMISSIONS_PATH },
      // `{"can_view": true, "can_trade": true, "can_transfer": false, "portfolio_uuid": "…", "portfolio_type": "DEFAULT"}` [E].
      read: (body) => ({
        permissions: { view: readFlag(body, 'can_view'), trade: readFlag(body, 'can_trade'), transfer: readFlag(body, 'can_transfer') },
      }),
    },
    {
      label: 'futures balance summary',
      purpose: 'futures',
      tells: 'the US futures (CFM) account',
      request: { method: 'GET', path: FUTURES_BALANCE_PATH },
      read(body) {
        const summary = (body as { balance_summary?: unknown } | null)?.balance_summary;
        if (typeof summary !== 'object' || summary === null) throw new Error('no "balance_summary" object');
        return { permissions: { futures: true } };
      },
      deniedMeans: { futures: false },
    },
  ],

  // Error bodies follow the grpc-gateway envelope `{"error", "error_details", "message"}` [V schema].
  // The envelope's `error` is the machine-readable id ccxt matches exactly [C].
  readError(body) {
    const error = (body as { error?: unknown } | null)?.error;
    return typeof error === 'string' ? error : undefined;
  },
  errors: [
    // [C] ccxt's exact-match table: both ids mean RateLimitExceeded.
    { error: ['rate_limit_exceeded', 'resource_exhausted'], code: 'RATE_LIMITED' },
    // [E] coinbase-advanced-py#89: {"error":"PERMISSION_DENIED",…}; [C] invalid_scope.
    { error: ['PERMISSION_DENIED', 'invalid_scope'], code: 'PERMISSION_MISSING' },
    // [E] OctoBot-Tentacles#1431: {"error":"unknown","error_details":"Missing required scopes",…} with no
    // status shown, hence before the 401 row.
    { body: /missing required scopes/i, code: 'PERMISSION_MISSING' },
    // [U] What balance_summary answers without a US futures (FCM) account was not found in any source; a
    // PERMISSION_DENIED is caught above, and a 400/404 that speaks of futures is read the same way.
    {
      status: [400, 404],
      body: /\bFCM\b|futures|derivatives/i,
      code: 'PERMISSION_MISSING',
      note: 'The account has no US futures (CFM) account, or the key cannot see it.',
    },
    // [E] 401 `Unauthorized` alike for every authentication failure, a key pinned to other IPs included
    // (whisper-money#804); good keys also get lone 401s (coinbase-advanced-py#132), so the engine sends
    // it once more before believing it.
    {
      status: 401,
      code: 'AUTH_INVALID_KEY',
      confirm: true,
      note: 'Coinbase answers this one way for an unknown or deleted key, a secret that is not this key’s, a JWT outside its 2-minute window and (per community reports) an IP outside the key’s allow-list; it came twice, freshly signed.',
    },
    // [U] Another JSON 403 is taken as a refusal of scope; a CDN's HTML 403 stays unclassified.
    { status: 403, body: /^\s*\{/, code: 'PERMISSION_MISSING' },
  ],
};

function parsePem(keyName: string, pem: string): CredentialsResult<CoinbaseAdvancedCredentials> {
  let privateKey: KeyObject;
  try {
    // Reads SEC1 (`BEGIN EC PRIVATE KEY`, what Coinbase issues) and PKCS#8 (`BEGIN PRIVATE KEY`).
    // SEC1 goes in as DER: OpenSSL 3 then skips its decoder search (0.5 ms -> 0.2 ms per key, measured).
    const sec1 = /^-----BEGIN EC PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END EC PRIVATE KEY-----\s*$/.exec(pem.trim());
    privateKey = sec1?.[1]
      ? createPrivateKey({ key: Buffer.from(sec1[1].replace(/\s+/g, ''), 'base64'), format: 'der', type: 'sec1' })
      : createPrivateKey(pem);
  } catch {
    return invalid('field "apiSecret" is not a valid EC private key PEM');
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    return invalid('field "apiSecret" is a private key PEM but not an EC P-256 key (ES256)');
  return { ok: true, credentials: { keyName, algorithm: 'ES256', privateKey, secretText: pem } };
}

function invalid(problem: string): CredentialsResult<CoinbaseAdvancedCredentials> {
  return { ok: false, finding: makeSecretInvalidFinding(problem, FIELDS, ID) };
}

function readFlag(body: unknown, field: string): boolean {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'boolean') throw new Error(`field "${field}" is not a boolean`);
  return value;
}
