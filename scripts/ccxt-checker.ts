/**
 * The benchmark's point of comparison: a minimal key checker built on ccxt, with the same AWS parts
 * as key-health's handler (secret from Secrets Manager, alert state in DynamoDB, alert through SNS),
 * so that the comparison is about the exchange half. Only bundled and imported by `npm run bench`;
 * never deployed.
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
  const exchange = new ccxt.coinbase({ apiKey, secret: apiSecret });
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
