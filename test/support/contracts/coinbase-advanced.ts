import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import ccxt from 'ccxt';
import { coinbaseAdvanced } from '../../../lambda/exchanges/coinbase-advanced';
import type { AdapterContract } from '../contract';
import { simulator } from '../simulator/coinbase-advanced';

const T_S = 1_700_000_000;

function decode(token: string) {
  const [header = '', claims = '', signature = ''] = token.split('.');
  const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: json(header), claims: json(claims), input: `${header}.${claims}`, signature: Buffer.from(signature, 'base64url') };
}

/** Coinbase Advanced: ES256 JWTs are verified (OpenSSL's ECDSA k is random), with header and claims equal to ccxt's. */
export const contract: AdapterContract = {
  adapter: coinbaseAdvanced,
  simulator,
  // Coinbase answers a bare 401 for both; the adapter says the causes cannot be told apart.
  unknownKeyCodes: ['AUTH_INVALID_KEY'],
  wrongSecretCodes: ['AUTH_INVALID_KEY'],
  ccxtSign(request, secret, nowMs) {
    const exchange = new ccxt.coinbase({ apiKey: secret.apiKey, secret: secret.apiSecret });
    exchange.seconds = () => Math.floor(nowMs / 1000);
    exchange.randomBytes = (size: number) => 'ab'.repeat(size);
    exchange.options.timeDifference = 0;
    const signed = exchange.sign(request.path.replace('/api/v3/', ''), ['v3', 'private'], request.method, {});
    return { url: signed.url, headers: signed.headers, body: signed.body };
  },
  compare: {
    verify(ours, theirs, secret) {
      if (!theirs) throw new Error('ccxt signs every Advanced Trade read');
      expect(ours.url).toBe(theirs.url);
      const mine = decode(String(ours.headers.Authorization).replace(/^Bearer /, ''));
      const oracle = decode(String(theirs.headers.Authorization).replace(/^Bearer /, ''));
      expect(mine.header).toEqual(oracle.header);
      expect(mine.claims).toEqual(oracle.claims);
      expect(mine.claims.nbf).toBe(T_S);
      const publicKey = createPublicKey(createPrivateKey(secret.apiSecret ?? ''));
      expect(verify('sha256', Buffer.from(mine.input), { key: publicKey, dsaEncoding: 'ieee-p1363' }, mine.signature)).toBe(true);
    },
  },
  documentedErrors: [
    { status: 401, body: 'Unauthorized\n', code: 'AUTH_INVALID_KEY', source: '[E] coinbase-advanced-py#132, whisper-money#804' },
    {
      status: 429,
      body: '{"error":"rate_limit_exceeded","error_details":"Too many requests","message":"Too many requests"}',
      code: 'RATE_LIMITED',
      source: '[C] ccxt coinbase exact table',
    },
    {
      status: 403,
      body: '{"error":"PERMISSION_DENIED","error_details":"Missing required scopes","message":"Missing required scopes"}',
      code: 'PERMISSION_MISSING',
      source: '[E] coinbase-advanced-py#89',
    },
    {
      status: 400,
      body: '{"error":"unknown","error_details":"Missing required scopes","message":"Missing required scopes"}',
      code: 'PERMISSION_MISSING',
      source: '[E] OctoBot-Tentacles#1431',
    },
    {
      status: 404,
      body: '{"error":"NOT_FOUND","error_details":"FCM account not found","message":"FCM account not found"}',
      code: 'PERMISSION_MISSING',
      source: '[U] assumed: no source shows balance_summary without a futures account',
    },
    { status: 403, body: '{"error":"unknown","message":"Forbidden"}', code: 'PERMISSION_MISSING', source: '[U] another JSON 403' },
  ],
  malformedSecrets: [
    [{ apiSecret: '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----' }, 'has no "apiKey" field'],
    [{ apiKey: 'organizations/o/apiKeys/k' }, 'has no "apiSecret" field'],
    [
      { apiKey: 'organizations/o/apiKeys/k', apiSecret: '-----BEGIN EC PRIVATE KEY-----\nnot-a-key\n-----END EC PRIVATE KEY-----' },
      'field "apiSecret" is not a valid EC private key PEM',
    ],
    [{ apiKey: 'organizations/o/apiKeys/k', apiSecret: 'c2hvcnQtYmFzZTY0LXNlY3JldA==' }, 'field "apiSecret" is base64 but not 64 bytes'],
  ],
};
