import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DecryptionFailure,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidRequestException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerSource } from '../../../lambda/aws/secrets-manager';
import { readSecret } from '../../../lambda/engine/read-secret';
import { SecretUnreadableError } from '../../../lambda/errors';
import type { FindingCode } from '../../../lambda/findings';
import { KEY, SECRET_ID, SECRET_TEXT } from '../../support/secrets-manager-fixture';

/** An error shaped as the SDK throws a service's answer: its name, fault side and HTTP status. */
function serviceError(name: string, status: number): SecretsManagerServiceException {
  return new SecretsManagerServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    message: `${name} from AWS`,
    $metadata: { httpStatusCode: status },
  });
}

describe('SecretsManagerSource when Secrets Manager fails (as the SDK reports it after its own retries)', () => {
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  const sm = mockClient(client);
  beforeEach(() => {
    sm.reset();
    sm.on(DescribeSecretCommand).resolves({});
  });

  const faults: Array<[string, Error, FindingCode, 'unknown' | 'critical', string]> = [
    ['ThrottlingException', serviceError('ThrottlingException', 400), 'RATE_LIMITED', 'unknown', 'request quota'],
    ['KMSThrottlingException', serviceError('KMSThrottlingException', 400), 'RATE_LIMITED', 'unknown', 'request quota'],
    [
      'InternalServiceError',
      new InternalServiceError({ message: 'x', $metadata: { httpStatusCode: 500 } }),
      'SECRET_STORE_UNAVAILABLE',
      'unknown',
      'could not be asked',
    ],
    [
      'a 503 page that is not JSON',
      Object.assign(new SyntaxError('Unexpected token <'), { $metadata: { httpStatusCode: 503 } }),
      'SECRET_STORE_UNAVAILABLE',
      'unknown',
      'could not be asked',
    ],
    [
      'a dropped connection',
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }),
      'SECRET_STORE_UNAVAILABLE',
      'unknown',
      'could not be asked',
    ],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }),
      'SECRET_STORE_UNAVAILABLE',
      'unknown',
      'network path',
    ],
    ['AccessDeniedException', serviceError('AccessDeniedException', 400), 'SECRET_UNREADABLE', 'critical', 'may read it'],
    [
      'DecryptionFailure (a KMS key that cannot decrypt)',
      new DecryptionFailure({ message: 'x', $metadata: { httpStatusCode: 400 } }),
      'SECRET_UNREADABLE',
      'critical',
      'kms:Decrypt',
    ],
    ['KMSAccessDeniedException', serviceError('KMSAccessDeniedException', 400), 'SECRET_UNREADABLE', 'critical', 'kms:Decrypt'],
    ['KMSDisabledException', serviceError('KMSDisabledException', 400), 'SECRET_UNREADABLE', 'critical', 'kms:Decrypt'],
    [
      'InvalidRequestException (scheduled for deletion)',
      new InvalidRequestException({ message: 'x', $metadata: { httpStatusCode: 400 } }),
      'SECRET_UNREADABLE',
      'critical',
      'may read it',
    ],
  ];
  it.each(faults.map(([label, error, code, severity, remedy]) => ({ label, error, code, severity, remedy })))(
    'turns $label into $code ($severity)',
    async ({ error, code, severity, remedy }) => {
      sm.on(GetSecretValueCommand).rejects(error);
      const read = await readSecret(KEY, new SecretsManagerSource(client));
      expect(read.ok).toBe(false);
      if (read.ok) return;
      expect(read.finding).toMatchObject({ code, severity });
      expect(read.finding.message).toMatch(/^Cannot read the secret "trading\/coinbase-futures": /);
      expect(read.finding.remediation).toContain(remedy);
      expect(`${read.finding.message}${read.finding.remediation}`).not.toContain('from AWS');
      expect(sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
    },
  );

  it.each([
    ['ThrottlingException', true, serviceError('ThrottlingException', 400)],
    ['InternalServiceError', true, new InternalServiceError({ message: 'x', $metadata: { httpStatusCode: 500 } })],
    ['AccessDeniedException', false, serviceError('AccessDeniedException', 400)],
  ])('says whether %s is worth trying again: %p', async (_label, retryable, error) => {
    sm.on(GetSecretValueCommand).rejects(error);
    const failure = await new SecretsManagerSource(client).load(KEY).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SecretUnreadableError);
    expect((failure as SecretUnreadableError).retryable).toBe(retryable);
  });

  it('names KMS errors by what they mean for the secret', async () => {
    sm.on(GetSecretValueCommand).rejects(serviceError('KMSDisabledException', 400));
    await expect(new SecretsManagerSource(client).load(KEY)).rejects.toThrow(
      `Cannot read the secret "${SECRET_ID}": KMSDisabledException: the secret's KMS key is disabled`,
    );
  });

  it('reports a binary secret as unreadable with the command that stores it as text', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array(Buffer.from(SECRET_TEXT)), VersionId: 'v1' });
    const read = await readSecret(KEY, new SecretsManagerSource(client));
    expect(read.ok ? null : read.finding).toMatchObject({
      code: 'SECRET_UNREADABLE',
      severity: 'critical',
      message: `Cannot read the secret "${SECRET_ID}": the secret is stored as binary (SecretBinary); key-health reads a JSON SecretString.`,
      remediation: expect.stringContaining(`put-secret-value --secret-id "${SECRET_ID}" --secret-string file://secret.json`),
    });
    expect(JSON.stringify(read)).not.toContain('open sesame');
  });
});

/** A stand-in for the Secrets Manager endpoint: answers each request as the test says, and counts them. */
interface FakeEndpoint {
  readonly origin: string;
  /** GetSecretValue requests seen. */
  reads: number;
  answer: (req: IncomingMessage, res: ServerResponse) => void;
}

describe('SecretsManagerSource with the real SDK against a failing endpoint', () => {
  let server: Server;
  let endpoint: FakeEndpoint;
  const clients: SecretsManagerClient[] = [];

  beforeAll(async () => {
    const state: Omit<FakeEndpoint, 'origin'> = { reads: 0, answer: () => undefined };
    server = createServer((req, res) => {
      if (req.headers['x-amz-target'] === 'secretsmanager.GetSecretValue') state.reads += 1;
      state.answer(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = Object.assign(state, { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    endpoint.reads = 0;
  });

  function sourceFor(maxAttempts: number): SecretsManagerSource {
    const client = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: endpoint.origin,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts,
      requestHandler: { connectionTimeout: 500, requestTimeout: 300, throwOnRequestTimeout: true },
    });
    clients.push(client);
    return new SecretsManagerSource(client);
  }

  const json = (status: number, type: string) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ __type: type, message: `${type} from AWS` }));
  };

  it.each<[string, FindingCode, (req: IncomingMessage, res: ServerResponse) => void]>([
    ['a ThrottlingException answer', 'RATE_LIMITED', json(400, 'ThrottlingException')],
    ['an InternalServiceError answer', 'SECRET_STORE_UNAVAILABLE', json(500, 'InternalServiceError')],
    [
      'a 503 HTML page',
      'SECRET_STORE_UNAVAILABLE',
      (_req, res) => {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html>Service Unavailable</html>');
      },
    ],
    ['a connection reset', 'SECRET_STORE_UNAVAILABLE', (req) => req.socket.destroy()],
    ['no answer within the request timeout', 'SECRET_STORE_UNAVAILABLE', () => undefined],
    ['an AccessDeniedException answer', 'SECRET_UNREADABLE', json(400, 'AccessDeniedException')],
    ['a DecryptionFailure answer', 'SECRET_UNREADABLE', json(400, 'DecryptionFailure')],
  ])('reads %s as %s', async (_label, code, answer) => {
    endpoint.answer = answer;
    const read = await readSecret(KEY, sourceFor(1));
    expect(read.ok ? null : read.finding.code).toBe(code);
    expect(endpoint.reads).toBe(1);
  });

  it('gives its verdict only after the SDK retried a server error itself', async () => {
    endpoint.answer = json(500, 'InternalServiceError');
    const read = await readSecret(KEY, sourceFor(3));
    expect(read.ok ? null : read.finding).toMatchObject({ code: 'SECRET_STORE_UNAVAILABLE', severity: 'unknown' });
    expect(endpoint.reads).toBe(3);
  });
});
