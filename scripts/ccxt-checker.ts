/**
 * The benchmark's point of comparison: a minimal key checker built on ccxt, with the same AWS parts
 * as key-health's handler (secret from Secrets Manager, alert through SNS). Only bundled and
 * imported by `npm run bench`; never deployed.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import ccxt from 'ccxt';

const secretsManager = new SecretsManagerClient({});
const sns = new SNSClient({});

/** Checks one Coinbase Advanced key the way a ccxt user would: server time, key permissions, futures balance. */
export async function handler(event: { secretId: string; topicArn: string }): Promise<{ ok: boolean; error?: string }> {
  const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: event.secretId }));
  const { apiKey, apiSecret } = JSON.parse(secret.SecretString ?? '{}') as { apiKey: string; apiSecret: string };
  const exchange = new ccxt.coinbase({ apiKey, secret: apiSecret });
  try {
    await exchange.fetchTime();
    await exchange.v3PrivateGetBrokerageKeyPermissions();
    await exchange.v3PrivateGetBrokerageCfmBalanceSummary();
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.name : 'error';
    await sns.send(new PublishCommand({ TopicArn: event.topicArn, Subject: `key check failed: ${message}`, Message: message }));
    return { ok: false, error: message };
  }
}
