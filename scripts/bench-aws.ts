/**
 * Local stand-ins for the AWS services the checker calls, for the benchmark: Secrets Manager
 * (GetSecretValue, DescribeSecret, ListSecretVersionIds over its JSON protocol), DynamoDB (dynalite,
 * in memory) and SNS (Publish over its query protocol). Each adds a fixed latency before every answer,
 * counts the requests it answers by operation, and serves HTTPS when given a certificate. None checks
 * the SigV4 signature: the point is the client's work and the wire, not AWS's authentication.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** A certificate and its key (PEM) for an endpoint that serves HTTPS. */
export interface TlsCertificate {
  readonly key: string;
  readonly cert: string;
}

/** Options of every local endpoint. */
export interface EndpointOptions {
  /** Added before every answer, ms. @default 0 */
  readonly latencyMs?: number;
  /** Serve HTTPS with this certificate. @default plain HTTP */
  readonly tls?: TlsCertificate;
}

/** A running local endpoint on 127.0.0.1 and an ephemeral port. */
export interface LocalEndpoint {
  readonly origin: string;
  /** Requests answered since the start or the last {@link LocalEndpoint.resetCounts}, by operation. */
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Changes the latency added before every answer from now on, ms. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** The date every bench secret was created: 10 days ago, well inside any rotation window. */
const SECRET_AGE_MS = 10 * 86_400_000;

/**
 * Secrets Manager's JSON protocol (`X-Amz-Target: secretsmanager.<Operation>`, awsJson 1.1) for the
 * secrets in `secrets` (id to SecretString): one current version each, rotation off, created 10 days
 * ago. An unknown id is a ResourceNotFoundException, as Secrets Manager answers.
 */
export function startSecretsManagerEndpoint(secrets: ReadonlyMap<string, string>, options: EndpointOptions = {}): Promise<LocalEndpoint> {
  const createdAt = (Date.now() - SECRET_AGE_MS) / 1000;
  const describe = (id: string) => {
    const versionId = versionOf(id, secrets.get(id) ?? '');
    return { ARN: arnOf(id), Name: id, versionId };
  };
  return serveJson(options, 'application/x-amz-json-1.1', (operation, input) => {
    const id = String(input.SecretId ?? '');
    if (!secrets.has(id))
      return [400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }];
    const { ARN, Name, versionId } = describe(id);
    switch (operation) {
      case 'secretsmanager.GetSecretValue':
        return [
          200,
          { ARN, Name, VersionId: versionId, SecretString: secrets.get(id), VersionStages: ['AWSCURRENT'], CreatedDate: createdAt },
        ];
      case 'secretsmanager.DescribeSecret':
        return [
          200,
          {
            ARN,
            Name,
            RotationEnabled: false,
            CreatedDate: createdAt,
            LastChangedDate: createdAt,
            VersionIdsToStages: { [versionId]: ['AWSCURRENT'] },
          },
        ];
      case 'secretsmanager.ListSecretVersionIds':
        return [200, { ARN, Name, Versions: [{ VersionId: versionId, VersionStages: ['AWSCURRENT'], CreatedDate: createdAt }] }];
      default:
        return [400, { __type: 'UnknownOperationException', message: `${operation} is not served by the bench endpoint` }];
    }
  });
}

/** DynamoDB: dynalite in memory (tables are active at once), behind the same latency and counting as the other endpoints. */
export async function startDynamoDbEndpoint(options: EndpointOptions = {}): Promise<LocalEndpoint> {
  const dynalite = require('dynalite') as (options: { createTableMs: number }) => import('node:http').Server;
  const inner = dynalite({ createTableMs: 0 });
  const [handle] = inner.listeners('request') as Listener[];
  if (!handle) throw new Error('dynalite exposes no request listener');
  return serve(options, (req) => String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown', handle);
}

/** SNS's query protocol, Publish only: answers with a fresh MessageId. */
export function startSnsEndpoint(options: EndpointOptions = {}): Promise<LocalEndpoint> {
  return serve(
    options,
    () => 'Publish',
    (req, res) =>
      void readBody(req).then((body) => {
        const action = new URLSearchParams(body).get('Action');
        if (action !== 'Publish') {
          res.writeHead(400, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${action}</Message></Error></ErrorResponse>`,
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
        );
      }),
  );
}

/** Creates the alert state table (partition key `key`, String) on a local DynamoDB endpoint. */
export async function createStateTable(origin: string, tableName: string, ca?: string): Promise<void> {
  const answer = await postAws(origin, 'DynamoDB_20120810.CreateTable', 'application/x-amz-json-1.0', ca, {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  if (answer.status !== 200) throw new Error(`CreateTable answered ${answer.status}: ${answer.body}`);
}

/**
 * Headers that make a request look signed to an endpoint that checks only their presence (dynalite);
 * nothing is computed, so the benchmark's transport floor pays no signing.
 */
export const UNSIGNED_AWS_HEADERS: Readonly<Record<string, string>> = {
  authorization: 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/service/aws4_request, SignedHeaders=host, Signature=0',
  'x-amz-date': '20260101T000000Z',
};

/** Sends one awsJson request with {@link UNSIGNED_AWS_HEADERS}; for set-up steps, not for measured work. */
export function postAws(
  origin: string,
  target: string,
  contentType: string,
  ca: string | undefined,
  input: unknown,
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(input);
  const send = origin.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      origin,
      {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-amz-target': target, ...UNSIGNED_AWS_HEADERS },
        ...(ca && { ca }),
      },
      (res) => void readBody(res).then((text) => resolve({ status: res.statusCode ?? 0, body: text }), reject),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An awsJson endpoint: `route(operation, input)` gives the status and the JSON answer. */
function serveJson(
  options: EndpointOptions,
  contentType: string,
  route: (operation: string, input: Record<string, unknown>) => [number, unknown],
): Promise<LocalEndpoint> {
  return serve(
    options,
    (req) => String(req.headers['x-amz-target'] ?? 'unknown'),
    (req, res) =>
      void readBody(req).then((body) => {
        let input: Record<string, unknown> = {};
        try {
          input = JSON.parse(body || '{}') as Record<string, unknown>;
        } catch {
          // An unparsable body is answered as one that names no secret.
        }
        const [status, answer] = route(String(req.headers['x-amz-target'] ?? ''), input);
        const text = JSON.stringify(answer);
        const error = status >= 400 ? (answer as { __type?: string }).__type : undefined;
        res.writeHead(status, {
          'content-type': contentType,
          'content-length': String(Buffer.byteLength(text)),
          'x-amzn-requestid': randomUUID(),
          ...(error && { 'x-amzn-errortype': error }),
        });
        res.end(text);
      }),
  );
}

/** Runs `handle` behind the latency, on HTTP or HTTPS, counting requests by `operationOf`. */
async function serve(options: EndpointOptions, operationOf: (req: IncomingMessage) => string, handle: Listener): Promise<LocalEndpoint> {
  let latencyMs = options.latencyMs ?? 0;
  let counts: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const listener: Listener = (req, res) => {
    const operation = operationOf(req);
    counts[operation] = (counts[operation] ?? 0) + 1;
    if (latencyMs > 0) setTimeout(() => handle(req, res), latencyMs);
    else handle(req, res);
  };
  const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);
  // As the exchange simulator's: an idle connection is closed after 2 s, so a pause of more than that starts from none.
  server.keepAliveTimeout = 2000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = {};
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

function arnOf(id: string): string {
  return `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`;
}

/** A stable version id per secret value, shaped like Secrets Manager's (a UUID). */
function versionOf(id: string, value: string): string {
  const hex = createHash('sha256').update(`${id}\n${value}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
