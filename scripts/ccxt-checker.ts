/**
 * The benchmark's point of comparison: a minimal key checker built on ccxt, with the same AWS parts
 * as key-health's handler (secret from Secrets Manager, alert state in DynamoDB, alert through SNS),
 * so that the comparison is about the exchange half. Only bundled and run by `npm run bench`; never
 * deployed.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import ccxt from 'ccxt';

const secretsManager = new SecretsManagerClient({});
const sns = new SNSClient({});
const dynamodb = new DynamoDBClient({});

/** Checks one Coinbase Advanced key the way a ccxt user would: server time, key permissions, futures balance. */
export async function handler(event: { secretId: string; topicArn: string; table: string }): Promise<{ ok: boolean; error?: string }> {
  const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: event.secretId }));
  const { apiKey, apiSecret } = JSON.parse(secret.SecretString ?? '{}') as { apiKey: string; apiSecret: string };
  // The same time read as key-health's (ccxt's default is the v2 API's /v2/time).
  const exchange = new ccxt.coinbase({ apiKey, secret: apiSecret, options: { fetchTime: 'v3PublicGetBrokerageTime' } });
  redirectForBench(exchange);
  try {
    await exchange.fetchTime();
    await exchange.v3PrivateGetBrokerageKeyPermissions();
    await exchange.v3PrivateGetBrokerageCfmBalanceSummary();
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.name : 'error';
    const previous = await dynamodb.send(new GetItemCommand({ TableName: event.table, Key: { key: { S: event.secretId } } }));
    if (previous.Item?.status?.S === 'critical') return { ok: false, error: message };
    await sns.send(new PublishCommand({ TopicArn: event.topicArn, Subject: `key check failed: ${message}`, Message: message }));
    return { ok: false, error: message };
  }
}

/**
 * Under the benchmark, sends each request to the simulator once ccxt has signed it, so that the JWT
 * names api.coinbase.com as on the real API (the simulator checks that claim, as Coinbase does).
 */
function redirectForBench(exchange: InstanceType<typeof ccxt.coinbase>): void {
  const origin = process.env.KEY_HEALTH_BENCH_COINBASE_ORIGIN;
  if (!origin) return;
  const fetch = exchange.fetch.bind(exchange);
  exchange.fetch = (url: string, ...rest: Parameters<typeof fetch> extends [string, ...infer R] ? R : never) =>
    fetch(url.replace('https://api.coinbase.com', origin), ...rest);
}
