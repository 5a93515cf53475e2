import type { KeyConfig } from '../../lambda/config';

/** One Coinbase Exchange key whose secret lives in Secrets Manager, for the Secrets Manager adapter's tests. */
export const SECRET_ID = 'trading/coinbase-futures';
export const SECRET_TEXT = JSON.stringify({ apiKey: 'k-123', apiSecret: 'c3VwZXItc2VjcmV0LXZhbHVl', passphrase: 'open sesame 42' });
export const KEY: KeyConfig = {
  name: 'coinbase-futures',
  exchange: 'coinbase-exchange',
  secretId: SECRET_ID,
  expect: { futures: true, transfer: false },
  rotation: { maxAgeDays: 90, warnDays: 14 },
  timeoutMs: 5000,
  sandbox: false,
};
