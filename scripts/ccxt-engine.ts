/**
 * The exchange half of the ccxt checker alone (no AWS SDK), for the benchmark's like-for-like
 * comparison with key-health's engine (scripts/engine-entry.ts). Never deployed.
 */
import ccxt from 'ccxt';

/** Reads server time, key permissions and the futures balance of a Coinbase Advanced key with ccxt. */
export async function handler(secret: { apiKey: string; apiSecret: string }): Promise<void> {
  const exchange = new ccxt.coinbase({ apiKey: secret.apiKey, secret: secret.apiSecret });
  await exchange.fetchTime();
  await exchange.v3PrivateGetBrokerageKeyPermissions();
  await exchange.v3PrivateGetBrokerageCfmBalanceSummary();
}
