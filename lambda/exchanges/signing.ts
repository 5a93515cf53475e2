import { createHmac } from 'node:crypto';

/** HMAC of `message` with `key`, in the given encoding. */
export function computeHmac(
  algorithm: 'sha256' | 'sha512',
  key: string | Buffer,
  message: string | Buffer,
  encoding: 'hex' | 'base64',
): string {
  return createHmac(algorithm, key).update(message).digest(encoding);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict base64 (standard alphabet, padded); `undefined` when the text is not base64. */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.trim();
  if (compact.length === 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}
