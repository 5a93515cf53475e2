import { createPrivateKey, type KeyObject, sign } from 'node:crypto';

/** The JWS algorithms key-health signs with. */
export type JwtAlgorithm = 'ES256' | 'EdDSA';

/** A JOSE header; its fields are serialised in the order given. */
export type JwtHeader = { readonly alg: JwtAlgorithm } & Readonly<Record<string, unknown>>;

/**
 * Signs `header.claims` as a compact JWS. Header and claims are serialised in their key order, so a
 * caller that builds them like another library gets the same signing input byte for byte.
 */
export function signJwt(header: JwtHeader, claims: Readonly<Record<string, unknown>>, key: KeyObject): string {
  const input = Buffer.from(`${encodeSegment(header)}.${encodeSegment(claims)}`);
  // RFC 7518 §3.4: an ES256 signature is the raw 64-byte r‖s, not the DER that OpenSSL produces by default.
  const signature = header.alg === 'ES256' ? sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }) : sign(null, input, key);
  return `${input.toString('ascii')}.${signature.toString('base64url')}`;
}

// PKCS#8 wrapping of a bare Ed25519 seed (RFC 8410): SEQUENCE { version 0, AlgorithmIdentifier 1.3.101.112, OCTET STRING { seed } }.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The Ed25519 private key of a 32-byte seed. */
export function createEd25519Key(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new Error(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
