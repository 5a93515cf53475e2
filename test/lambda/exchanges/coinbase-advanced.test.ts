import { generateKeyPairSync, type KeyObject, randomBytes, verify } from 'node:crypto';
import ccxt from 'ccxt';
import { buildCdpJwt, type CoinbaseAdvancedCredentials, coinbaseAdvanced } from '../../../lambda/exchanges/coinbase-advanced';
import type { ExchangeRequest } from '../../../lambda/exchanges/types';
import { codesOf, configFor, MemorySecrets, runAgainst } from '../../support/harness';
import { signAt } from '../../support/sign-context';
import { createCoinbaseAdvancedHandler } from '../../support/simulator/coinbase-advanced';
import { MISBEHAVIOURS, type SimKey, type Simulator, startSimulator } from '../../support/simulator/sim-server';

const T_S = 1700000000;
const KEY_PERMISSIONS: ExchangeRequest = { method: 'GET', path: '/api/v3/brokerage/key_permissions' };

function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKey,
    sec1: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function ed25519Key() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const secret = Buffer.concat([Buffer.from(jwk.d ?? '', 'base64url'), Buffer.from(jwk.x ?? '', 'base64url')]).toString('base64');
  return { publicKey, secret, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const EC = ecKey();
const OTHER_EC = ecKey();
const ED = ed25519Key();
const EC_NAME = 'organizations/0c1d2e3f-0000-4000-8000-000000000001/apiKeys/9a8b7c6d-0000-4000-8000-000000000002';
const ED_NAME = '5e4d3c2b-0000-4000-8000-000000000003';

function parse(secret: Record<string, unknown>): CoinbaseAdvancedCredentials {
  const parsed = coinbaseAdvanced.parseCredentials(secret);
  if (!parsed.ok) throw new Error(parsed.finding.message);
  return parsed.credentials;
}

function decode(token: string) {
  const [header, claims, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString()),
    claims: JSON.parse(Buffer.from(claims ?? '', 'base64url').toString()),
    input: Buffer.from(`${header}.${claims}`),
    signature: Buffer.from(signature ?? '', 'base64url'),
  };
}

function verifyJwt(token: string, publicKey: KeyObject, alg: 'ES256' | 'EdDSA'): boolean {
  const { input, signature } = decode(token);
  return alg === 'ES256'
    ? verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)
    : verify(null, input, publicKey, signature);
}

function ccxtToken(apiKey: string, secret: string): string {
  const exchange = new ccxt.coinbase({ apiKey, secret });
  exchange.seconds = () => T_S;
  exchange.randomBytes = (n: number) => 'ab'.repeat(n);
  exchange.options.timeDifference = 0;
  const signed = exchange.sign('brokerage/key_permissions', ['v3', 'private'], 'GET', {});
  return String(signed.headers.Authorization).slice('Bearer '.length);
}

describe('coinbase-advanced signing', () => {
  it('builds the ES256 signing input of ccxt 4.5.84 byte for byte and signs it verifiably', () => {
    const oracle = ccxtToken(EC_NAME, EC.sec1);
    const ours = buildCdpJwt(parse({ apiKey: EC_NAME, apiSecret: EC.sec1 }), KEY_PERMISSIONS, T_S * 1000 + 123, 'ab'.repeat(16));
    expect(decode(ours).header).toEqual(decode(oracle).header);
    expect(decode(ours).claims).toEqual({
      aud: ['retail_rest_api_proxy'],
      iss: 'coinbase-cloud',
      nbf: T_S,
      exp: T_S + 120,
      sub: EC_NAME,
      iat: T_S,
      uri: 'GET api.coinbase.com/api/v3/brokerage/key_permissions',
    });
    // ECDSA in node:crypto draws a random k and ccxt uses RFC 6979, so only the signing input can match.
    expect(decode(ours).input.equals(decode(oracle).input)).toBe(true);
    expect(decode(ours).signature).toHaveLength(64);
    expect(verifyJwt(ours, EC.publicKey, 'ES256')).toBe(true);
    expect(verifyJwt(oracle, EC.publicKey, 'ES256')).toBe(true);
  });

  it('produces the Ed25519 JWT of ccxt 4.5.84 byte for byte, signed with the seed only', () => {
    const oracle = ccxtToken(ED_NAME, ED.secret);
    const ours = buildCdpJwt(parse({ apiKey: ED_NAME, apiSecret: ED.secret }), KEY_PERMISSIONS, T_S * 1000 + 999, 'ab'.repeat(16));
    expect(ours).toBe(oracle);
    expect(decode(ours).header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: ED_NAME, nonce: 'ab'.repeat(16) });
    expect(decode(ours).claims.uris).toEqual(['GET api.coinbase.com/api/v3/brokerage/key_permissions']);
    expect(verifyJwt(ours, ED.publicKey, 'EdDSA')).toBe(true);
  });

  it('signs every attempt with a fresh nonce and names api.coinbase.com whatever the origin', () => {
    const credentials = parse({ apiKey: EC_NAME, apiSecret: EC.sec1 });
    const first = coinbaseAdvanced.sign(KEY_PERMISSIONS, credentials, signAt(T_S * 1000, 'http://127.0.0.1:8080', 'random'));
    const second = coinbaseAdvanced.sign(KEY_PERMISSIONS, credentials, signAt(T_S * 1000, 'http://127.0.0.1:8080', 'random'));
    const [a, b] = [first, second].map((s) => decode(String(s.headers.Authorization).replace(/^Bearer /, '')));
    expect(a?.header.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(a?.header.nonce).not.toBe(b?.header.nonce);
    expect(a?.claims.uri).toBe('GET api.coinbase.com/api/v3/brokerage/key_permissions');
    expect(first.sensitive).toContain(String(first.headers.Authorization).replace(/^Bearer /, ''));
  });
});

describe('coinbase-advanced secret parsing', () => {
  it.each([
    ['an SEC1 EC PEM', EC.sec1, 'ES256'],
    ['a PEM with JSON-escaped newlines', EC.sec1.replace(/\n/g, '\\n'), 'ES256'],
    ['a PKCS#8 EC PEM', EC.pkcs8, 'ES256'],
    ['a base64 Ed25519 key', ED.secret, 'EdDSA'],
  ])('accepts %s', (_label, apiSecret, algorithm) => {
    const credentials = parse({ apiKey: algorithm === 'ES256' ? EC_NAME : ED_NAME, apiSecret });
    expect(credentials.algorithm).toBe(algorithm);
    const token = buildCdpJwt(credentials, KEY_PERMISSIONS, Date.now(), 'ab'.repeat(16));
    expect(verifyJwt(token, algorithm === 'ES256' ? EC.publicKey : ED.publicKey, algorithm as 'ES256' | 'EdDSA')).toBe(true);
  });

  const ed25519Pkcs8 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const legacySecret = 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY';
  it.each([
    [{ apiSecret: EC.sec1 }, 'SECRET_INVALID', 'has no "apiKey" field'],
    [{ apiKey: EC_NAME, apiSecret: '   ' }, 'SECRET_INVALID', 'field "apiSecret" must be a non-empty string'],
    [
      { apiKey: EC_NAME, apiSecret: '-----BEGIN EC PRIVATE KEY-----\nbm90IGEga2V5\n-----END EC PRIVATE KEY-----' },
      'SECRET_INVALID',
      'is not a valid EC private key PEM',
    ],
    [{ apiKey: EC_NAME, apiSecret: ed25519Pkcs8 }, 'SECRET_INVALID', 'not an EC P-256 key'],
    [{ apiKey: ED_NAME, apiSecret: randomBytes(48).toString('base64') }, 'SECRET_INVALID', 'not 64 bytes'],
    [{ apiKey: ED_NAME, apiSecret: 'not base64 & not a PEM' }, 'SECRET_INVALID', 'neither an EC private key PEM nor a base64 Ed25519 key'],
    [{ apiKey: EC.sec1, apiSecret: EC.sec1 }, 'SECRET_INVALID', 'field "apiKey" must be the key name'],
    [{ apiKey: 'Ab12Cd34Ef56Gh78', apiSecret: legacySecret }, 'KEY_EXPIRED', 'February 2025'],
  ])('rejects %o as %s', (secret, code, expected) => {
    const parsed = coinbaseAdvanced.parseCredentials(secret);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.finding.code).toBe(code);
    expect(parsed.finding.message).toContain(expected);
    for (const value of Object.values(secret).filter((v) => v.trim().length >= 4))
      expect(parsed.finding.message).not.toContain(value.trim());
  });

  it('lists the PEM and its body lines as values to redact', () => {
    const values = coinbaseAdvanced.secretValues(parse({ apiKey: EC_NAME, apiSecret: EC.sec1.replace(/\n/g, '\\n') }));
    expect(values).toContain(EC.sec1.trim());
    for (const line of EC.sec1.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'))) expect(values).toContain(line);
  });
});

describe('coinbase-advanced against the simulator', () => {
  const PERMS = { view: true, trade: true, transfer: false };
  const KEYS: SimKey[] = [
    { apiKey: EC_NAME, secret: EC.publicPem, permissions: PERMS, futures: true },
    { apiKey: ED_NAME, secret: ED.publicPem, permissions: PERMS, futures: true },
    { apiKey: 'organizations/o/apiKeys/transfer', secret: EC.publicPem, permissions: { ...PERMS, transfer: true }, futures: true },
    { apiKey: 'organizations/o/apiKeys/view-only', secret: EC.publicPem, permissions: { ...PERMS, trade: false }, futures: true },
    { apiKey: 'organizations/o/apiKeys/no-futures', secret: EC.publicPem, permissions: PERMS, futures: false },
    { apiKey: 'organizations/o/apiKeys/ip-blocked', secret: EC.publicPem, permissions: PERMS, futures: true, ipBlocked: true },
    { apiKey: 'organizations/o/apiKeys/disabled', secret: EC.publicPem, permissions: PERMS, futures: true, disabled: true },
  ];
  const verifiedClaims: Record<string, unknown>[] = [];
  const secrets = new MemorySecrets();
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator(createCoinbaseAdvancedHandler({ onVerified: (claims) => verifiedClaims.push({ ...claims }) }), {
      keys: KEYS,
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.skewMs = 0;
    verifiedClaims.length = 0;
  });

  const key = (name: string, apiKey: string, apiSecret: string, extra: Record<string, unknown> = {}) => {
    secrets.set(name, { apiKey, apiSecret });
    return { name, exchange: 'coinbase-advanced' as const, ...extra };
  };
  const check = (k: ReturnType<typeof key>, options: { retries?: number } = {}) => runAgainst(configFor([k], sim.origin), secrets, options);

  it.each([
    ['ES256', EC_NAME, EC.sec1],
    ['Ed25519', ED_NAME, ED.secret],
  ])('reports a healthy %s key with its permissions and a measured clock', async (alg, apiKey, apiSecret) => {
    sim.skewMs = 30_000;
    const report = await check(key(`healthy-${alg}`, apiKey, apiSecret));
    const [result] = report.results;
    expect(result?.status).toBe('ok');
    expect(result?.findings).toEqual([]);
    expect(result?.permissions).toEqual({ view: true, trade: true, transfer: false, futures: true, ipRestricted: null });
    expect(result?.clock.source).toBe('time-endpoint');
    expect(result?.clock.offsetMs).toBeGreaterThan(-30_100);
    expect(result?.clock.offsetMs).toBeLessThan(-29_900);
    expect(result?.clock.toleranceMs).toBe(119_000);
  });

  it('signs a uri claim that names api.coinbase.com although the request went to 127.0.0.1', async () => {
    expect(sim.origin).toMatch(/^http:\/\/127\.0\.0\.1:/);
    const report = await check(key('uri', EC_NAME, EC.sec1));
    expect(report.status).toBe('ok');
    expect(verifiedClaims.map((c) => c.uri).sort()).toEqual([
      'GET api.coinbase.com/api/v3/brokerage/cfm/balance_summary',
      'GET api.coinbase.com/api/v3/brokerage/key_permissions',
    ]);
  });

  it.each([
    ['unknown key', 'organizations/o/apiKeys/unknown', EC.sec1, {}, ['AUTH_INVALID_KEY']],
    ['wrong secret', EC_NAME, OTHER_EC.sec1, {}, ['AUTH_INVALID_KEY']],
    ['disabled key', 'organizations/o/apiKeys/disabled', EC.sec1, {}, ['AUTH_INVALID_KEY']],
    ['IP-blocked key', 'organizations/o/apiKeys/ip-blocked', EC.sec1, {}, ['AUTH_INVALID_KEY']],
    ['transfer-enabled key', 'organizations/o/apiKeys/transfer', EC.sec1, {}, ['PERMISSION_EXCESSIVE']],
    ['view-only key expected to trade', 'organizations/o/apiKeys/view-only', EC.sec1, { expect: { trade: true } }, ['PERMISSION_MISSING']],
    ['key without a futures account', 'organizations/o/apiKeys/no-futures', EC.sec1, {}, ['PERMISSION_MISSING']],
    ['legacy key', 'Ab12Cd34Ef56Gh78', 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY', {}, ['KEY_EXPIRED']],
  ])('diagnoses a %s', async (label, apiKey, apiSecret, extra, codes) => {
    const report = await check(key(label.replace(/\W+/g, '-'), apiKey, apiSecret, extra));
    expect(codesOf(report, label.replace(/\W+/g, '-'))).toEqual(codes);
  });

  it('sends a 401 twice, freshly signed, before calling the key invalid', async () => {
    const report = await check(key('unknown', 'organizations/o/apiKeys/unknown', EC.sec1));
    const finding = report.results[0]?.findings[0];
    expect(finding?.message).toContain('Unauthorized');
    expect(finding?.message).toContain('2-minute window');
    expect(sim.seen.filter((r) => r.path === '/api/v3/brokerage/key_permissions')).toHaveLength(2);
  });

  it('reads a missing futures account into permissions with the exchange’s words', async () => {
    const report = await check(key('no-futures', 'organizations/o/apiKeys/no-futures', EC.sec1));
    const [result] = report.results;
    expect(result?.permissions.futures).toBe(false);
    expect(result?.findings[0]?.message).toContain('futures (FCM) account is not enabled');
  });

  it('reads a 404 that speaks of futures as a missing futures account', async () => {
    sim.misbehave('/api/v3/brokerage/cfm', {
      kind: 'status',
      status: 404,
      body: '{"error":"NOT_FOUND","error_details":"FCM account not found","message":"FCM account not found"}',
    });
    const report = await check(key('fcm-404', EC_NAME, EC.sec1));
    expect(codesOf(report, 'fcm-404')).toEqual(['PERMISSION_MISSING']);
    expect(report.results[0]?.permissions.futures).toBe(false);
  });

  it('believes a good key after a lone 401 that the retry does not repeat', async () => {
    sim.misbehave(
      '/api/v3/brokerage/key_permissions',
      { kind: 'status', status: 401, body: 'Unauthorized\n', headers: { 'content-type': 'text/plain' } },
      1,
    );
    const report = await check(key('lone-401', EC_NAME, EC.sec1));
    expect(codesOf(report, 'lone-401')).toEqual([]);
    expect(report.results[0]?.permissions.trade).toBe(true);
    expect(sim.seen.filter((r) => r.path === '/api/v3/brokerage/key_permissions')).toHaveLength(2);
  });

  it.each([
    ['behind by 200 s (JWT already expired)', 200_000],
    ['ahead by 5 s (nbf in the future)', -5_000],
  ])('blames the clock, not the key, when our clock is %s', async (_label, skewMs) => {
    sim.skewMs = skewMs;
    const report = await check(key('skewed', EC_NAME, EC.sec1));
    expect(codesOf(report, 'skewed')).toEqual(['CLOCK_SKEW_REJECTED']);
    const message = report.results[0]?.findings[0]?.message ?? '';
    expect(message).toContain('the key works, the clock is wrong');
    const measured = Number(/Measured offset ([+-]?\d+) ms/.exec(message)?.[1]);
    expect(Math.abs(measured + skewMs)).toBeLessThan(100);
    expect(report.results[0]?.permissions).toMatchObject({ view: true, trade: true, futures: true });
  });

  it.each([
    ['503 with an HTML page', MISBEHAVIOURS.unavailableHtml, 'EXCHANGE_UNAVAILABLE'],
    ['429 with an HTML page', MISBEHAVIOURS.rateLimitedHtml, 'RATE_LIMITED'],
    [
      'rate_limit_exceeded in JSON',
      {
        kind: 'status',
        status: 429,
        body: '{"error":"rate_limit_exceeded","error_details":"Too many requests","message":"Too many requests"}',
      },
      'RATE_LIMITED',
    ],
    ['451', MISBEHAVIOURS.geoBlocked, 'LOCATION_BLOCKED'],
    ['a CDN 403 page', { kind: 'status', status: 403, body: '<html><body><h1>403 Forbidden</h1></body></html>' }, 'UNEXPECTED_RESPONSE'],
    ['malformed JSON', MISBEHAVIOURS.malformedJson, 'UNEXPECTED_RESPONSE'],
  ] as const)('maps %s to its code', async (_label, misbehaviour, code) => {
    sim.misbehave('/api/v3/brokerage/key_permissions', misbehaviour);
    const report = await check(key('m', EC_NAME, EC.sec1), { retries: 0 });
    expect(codesOf(report, 'm')).toEqual([code]);
    expect(report.results[0]?.findings[0]?.message).not.toContain('<');
  });

  it('gives up on a connection that never answers after the timeout', async () => {
    sim.misbehave('/api/v3/brokerage/key_permissions', MISBEHAVIOURS.hang);
    const report = await check(key('hang', EC_NAME, EC.sec1, { timeoutMs: 300 }), { retries: 0 });
    expect(codesOf(report, 'hang')).toEqual(['EXCHANGE_UNAVAILABLE']);
    expect(report.results[0]?.findings[0]?.message).toContain('timed out after 300 ms: GET /api/v3/brokerage/key_permissions');
  });

  it('keeps secrets and JWTs out of the report', async () => {
    sim.skewMs = 200_000;
    const escaped = EC.sec1.replace(/\n/g, '\\n');
    const config = configFor(
      [key('s-ec', EC_NAME, escaped), key('s-ed', ED_NAME, ED.secret), key('s-wrong', EC_NAME, OTHER_EC.sec1)],
      sim.origin,
    );
    const report = await runAgainst(config, secrets);
    expect(codesOf(report, 's-ec')).toEqual(['CLOCK_SKEW_REJECTED']);
    // Re-signed with the exchange's time the wrong secret still fails, so the key is blamed and the clock only warned about.
    expect(codesOf(report, 's-wrong')).toEqual(['AUTH_INVALID_KEY', 'CLOCK_DRIFT']);
    const text = JSON.stringify(report);
    for (const pem of [EC.sec1, OTHER_EC.sec1])
      for (const line of pem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'))) expect(text).not.toContain(line);
    expect(text).not.toContain(ED.secret);
    expect(text).not.toContain(escaped);
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(text).not.toContain('PRIVATE KEY');
  });
});
