import { createSecureContext } from 'node:tls';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createNodeTransport, nodeTransport } from '../../lambda/http/node-transport';
import { floorPlan } from '../../scripts/bench';
import { createStateTable, type LocalEndpoint, startDynamoDbEndpoint, startSecretsManagerEndpoint } from '../../scripts/bench-aws';
import { lambdaNodeArgs, perKey, readFunctionDefaults } from '../../scripts/bench-setup';
import type { World } from '../../scripts/bench-simulator';
import { json, makeLoopbackCertificate, type Simulator, startSimulator } from '../support/simulator/sim-server';

const credentials = { accessKeyId: 'AKIAKEYHEALTHTEST000', secretAccessKey: 'not-a-secret' };

describe('the local AWS endpoints of the benchmark', () => {
  let certificate: { key: string; cert: string };
  const endpoints: LocalEndpoint[] = [];
  const clientConfig = (endpoint: string) => ({
    endpoint,
    region: 'us-east-1',
    credentials,
    requestHandler: { httpsAgent: { secureContext: createSecureContext({ ca: certificate.cert }) } },
  });

  beforeAll(async () => {
    certificate = await makeLoopbackCertificate('key-health bench test');
  });
  afterAll(async () => {
    await Promise.all(endpoints.map((endpoint) => endpoint.close()));
  });

  it('answers the Secrets Manager SDK over HTTPS with the value, its current version and a missing secret as AWS does', async () => {
    const secrets = new Map([['trading/bench-0', '{"apiKey":"k","apiSecret":"s"}']]);
    const endpoint = await startSecretsManagerEndpoint(secrets, { tls: certificate });
    endpoints.push(endpoint);
    const client = new SecretsManagerClient(clientConfig(endpoint.origin));

    const value = await client.send(new GetSecretValueCommand({ SecretId: 'trading/bench-0' }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'trading/bench-0' }));
    const missing = await client.send(new GetSecretValueCommand({ SecretId: 'trading/none' })).catch((error: Error) => error);

    expect(value.SecretString).toBe('{"apiKey":"k","apiSecret":"s"}');
    expect(value.CreatedDate).toBeInstanceOf(Date);
    expect(described.VersionIdsToStages).toEqual({ [value.VersionId as string]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBe(false);
    expect((missing as Error).name).toBe('ResourceNotFoundException');
    expect(endpoint.counts()).toEqual({ 'secretsmanager.GetSecretValue': 2, 'secretsmanager.DescribeSecret': 1 });
    client.destroy();
  });

  it('keeps alert state in DynamoDB (dynalite) for the SDK, counting each operation', async () => {
    const endpoint = await startDynamoDbEndpoint({ tls: certificate });
    endpoints.push(endpoint);
    await createStateTable(endpoint.origin, 'bench-state', certificate.cert);
    endpoint.resetCounts();
    const client = new DynamoDBClient(clientConfig(endpoint.origin));

    await client.send(
      new UpdateItemCommand({
        TableName: 'bench-state',
        Key: { key: { S: 'bench-0' } },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'ok' } },
      }),
    );
    const read = await client.send(new GetItemCommand({ TableName: 'bench-state', Key: { key: { S: 'bench-0' } }, ConsistentRead: true }));

    expect(read.Item?.status?.S).toBe('ok');
    expect(endpoint.counts()).toEqual({ UpdateItem: 1, GetItem: 1 });
    client.destroy();
  });
});

describe('the TLS simulator', () => {
  let sim: Simulator;
  const request = () => ({ method: 'GET' as const, url: `${sim.origin}/time`, headers: {} });

  beforeAll(async () => {
    sim = await startSimulator(() => json(200, { time: 1 }), { tls: true });
  });
  afterAll(() => sim.close());

  it('serves HTTPS on loopback and hands out the certificate to trust', () => {
    expect(sim.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.ca).toContain('BEGIN CERTIFICATE');
  });

  it('is reached by a transport given its certificate', async () => {
    const answer = await createNodeTransport({ ca: sim.ca as string })(request(), AbortSignal.timeout(5000));

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ time: 1 });
  });

  it('is refused by the default transport, which trusts only the usual roots', async () => {
    const refused = await nodeTransport(request(), AbortSignal.timeout(5000)).catch((error: NodeJS.ErrnoException) => error);

    expect((refused as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('is refused by a transport that trusts another certificate', async () => {
    const other = await makeLoopbackCertificate('another simulator');
    const refused = await createNodeTransport({ ca: other.cert })(request(), AbortSignal.timeout(5000)).catch(
      (error: NodeJS.ErrnoException) => error,
    );

    expect(refused).not.toHaveProperty('status');
    expect((refused as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});

describe('the benchmark arithmetic', () => {
  const world: World = {
    exchangeOrigin: 'https://127.0.0.1:1',
    secretsManager: 'https://127.0.0.1:2',
    dynamodb: 'https://127.0.0.1:3',
    sns: 'https://127.0.0.1:4',
    tableName: 'bench-state',
    topicArn: 'arn:aws:sns:us-east-1:123456789012:bench',
    ca: [],
    keys: [],
  };
  const counts = {
    exchange: 201,
    secretsManager: { 'secretsmanager.GetSecretValue': 100 },
    dynamodb: { GetItem: 100 },
    sns: {},
  };

  it('counts requests per key by service, the shared time read included', () => {
    expect(perKey(counts, 100)).toEqual({ total: 4.01, byService: { exchange: 2.01, secretsManager: 1, dynamodb: 1, sns: 0 } });
  });

  it('gives the floor the same requests per key as the checker sent, unsigned, with the time read once', () => {
    const plan = floorPlan(world, 'coinbase-advanced', 100, counts, 100, 4);

    expect(plan.secretsManager).toEqual(['secretsmanager.GetSecretValue']);
    expect(plan.stateReads).toBe(1);
    expect(plan.stateWrites).toBe(0);
    expect(plan.exchange.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v3/brokerage/key_permissions',
      'GET /api/v3/brokerage/cfm/balance_summary',
    ]);
    expect(plan.shared.map((r) => r.path)).toEqual(['/api/v3/brokerage/time']);
  });

  it('refuses a floor that would not send what the checker sent', () => {
    expect(() => floorPlan(world, 'coinbase-advanced', 100, { ...counts, exchange: 250 }, 100, 4)).toThrow(/sent 250 exchange requests/);
  });

  it("passes the checking process the heap limits of Lambda's Node.js bootstrap", () => {
    expect(lambdaNodeArgs(256)).toEqual(['--max-semi-space-size=12', '--max-old-space-size=231']);
  });

  it('reads the function defaults from the stack, and fails when it cannot', () => {
    expect(readFunctionDefaults('memorySize: props.memorySize ?? 512,\ntimeout: props.timeout ?? Duration.minutes(3),')).toEqual({
      memoryMb: 512,
      timeoutMs: 180_000,
    });
    expect(readFunctionDefaults().memoryMb).toBeGreaterThanOrEqual(128);
    expect(() => readFunctionDefaults('memorySize: 256')).toThrow(/no longer states/);
  });
});
