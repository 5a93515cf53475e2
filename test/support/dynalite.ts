import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, type DynamoDBClientConfig, ScanCommand } from '@aws-sdk/client-dynamodb';
import { STATE_TABLE_PARTITION_KEY } from '../../lambda/aws/state-store';

// dynalite ships no type declarations; it returns a plain node:http server.
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** A DynamoDB implementation running in this process, for tests of the conditional writes themselves. */
export interface LocalDynamo {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** A client of it, one SDK attempt per call so that fault tests stay quick. */
  readonly client: DynamoDBClient;
  /** A new client of it with these settings added. */
  newClient(config?: DynamoDBClientConfig): DynamoDBClient;
  /** Creates a table as the stack does (partition key `key`, String; on demand) and returns its name. */
  createTable(name?: string): Promise<string>;
  /** Deletes every item of a table, for tests that keep one table name. */
  clearTable(name: string): Promise<void>;
  /** Stops the server and the clients it made. */
  stop(): Promise<void>;
}

let tables = 0;

/** A table name no other test of this process uses (DynamoDB wants 3 to 255 characters). */
export function freshTableName(prefix = 'AlertState'): string {
  tables += 1;
  return `${prefix}-${tables}-${randomBytes(3).toString('hex')}`;
}

/** Starts dynalite in memory on a free loopback port; call once per test file (beforeAll) and `stop` afterwards. */
export async function startDynalite(): Promise<LocalDynamo> {
  // Tables are ACTIVE at once: the state store never waits for a table to be created.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = (config: DynamoDBClientConfig = {}) => {
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      // dynalite accepts any credentials; these are not AWS's.
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      ...config,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();
  return {
    endpoint,
    client,
    newClient,
    async createTable(name = freshTableName()) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: STATE_TABLE_PARTITION_KEY, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: STATE_TABLE_PARTITION_KEY, KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return name;
    },
    async clearTable(name) {
      const { Items = [] } = await client.send(
        new ScanCommand({ TableName: name, ProjectionExpression: '#key', ExpressionAttributeNames: { '#key': STATE_TABLE_PARTITION_KEY } }),
      );
      for (const item of Items) await client.send(new DeleteItemCommand({ TableName: name, Key: item }));
    },
    async stop() {
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One command a tapped client sent. */
export interface TappedCall {
  /** `GetItemCommand`, `UpdateItemCommand`, … */
  readonly command: string;
  readonly input: Readonly<Record<string, unknown>>;
}

/** A fault to inject: thrown instead of sending the command, or after the table applied it (an answer lost on the way back). */
export interface InjectedFault {
  readonly error: Error;
  readonly when: 'before' | 'after';
}

/** What {@link tapClient} gives a test: the calls so far, a hook that may fail any of them, and one that may hold an answer back. */
export interface ClientTap {
  readonly calls: TappedCall[];
  fault: ((call: TappedCall) => InjectedFault | undefined) | undefined;
  /** Awaited after the table answered and before the caller sees the answer (to force an interleaving). */
  hold: ((call: TappedCall) => Promise<void> | undefined) | undefined;
}

/**
 * Records every command `client` sends and lets the test fail chosen ones, at the SDK's edge (its
 * first middleware step): the store sees the error exactly as the SDK throws it after its own retries.
 */
export function tapClient(client: DynamoDBClient): ClientTap {
  const tap: ClientTap = { calls: [], fault: undefined, hold: undefined };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call = { command: context.commandName ?? 'unknown', input: args.input as Record<string, unknown> };
      tap.calls.push(call);
      const fault = tap.fault?.(call);
      if (fault?.when === 'before') throw fault.error;
      const output = await next(args);
      await tap.hold?.(call);
      if (fault?.when === 'after') throw fault.error;
      return output;
    },
    { step: 'initialize', name: 'testTap' },
  );
  return tap;
}
