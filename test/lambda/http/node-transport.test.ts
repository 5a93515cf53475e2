import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SYSTEM_CLOCK } from '../../../lambda/clock';
import { RequestTimeoutError } from '../../../lambda/errors';
import { AnswerTooLargeError, type HttpRequest, RedirectRefusedError, sendRequest } from '../../../lambda/http/http-client';
import { MAX_BODY_BYTES, nodeTransport } from '../../../lambda/http/node-transport';

/** A local server that records what reached it and how each answer ended. */
interface TestServer {
  readonly origin: string;
  readonly host: string;
  readonly requests: string[];
  /** Resolves when the answer to the `n`th request (from 1) has closed, with the bytes of body written by then. */
  closed(n: number): Promise<number>;
  close(): Promise<void>;
}

async function serve(answer: (req: IncomingMessage, res: ServerResponse, written: (bytes: number) => void) => void): Promise<TestServer> {
  const requests: string[] = [];
  const ends: Promise<number>[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    let bytes = 0;
    ends.push(new Promise((resolve) => res.on('close', () => resolve(bytes))));
    answer(req, res, (more) => {
      bytes += more;
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    async closed(n) {
      for (let waited = 0; ends.length < n && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      const end = ends[n - 1];
      if (!end) throw new Error(`request ${n} never arrived`);
      return end;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `chunk` for as long as the client reads, honouring backpressure, until the connection closes. */
function writeForever(res: ServerResponse, chunk: Buffer, written: (bytes: number) => void): void {
  let open = true;
  res.on('close', () => {
    open = false;
  });
  const pump = () => {
    while (open && res.write(chunk)) written(chunk.length);
    if (open) {
      written(chunk.length);
      res.once('drain', pump);
    }
  };
  pump();
}

const get = (url: string, headers: Record<string, string> = {}): HttpRequest => ({ method: 'GET', url, headers });
const send = (request: HttpRequest) => nodeTransport(request, new AbortController().signal);

describe('nodeTransport', () => {
  const servers: TestServer[] = [];
  const start = async (answer: Parameters<typeof serve>[0]) => {
    const server = await serve(answer);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('returns the status, the lower-case headers and the whole body', async () => {
    const server = await start((_req, res) => {
      res.writeHead(201, { 'X-Answer': 'yes', 'content-type': 'application/json' });
      res.end('{"ok":1}');
    });
    const answer = await send(get(`${server.origin}/path?q=1`));
    expect([answer.status, answer.headers['x-answer'], answer.body]).toEqual([201, 'yes', '{"ok":1}']);
    expect(server.requests).toEqual(['GET /path?q=1']);
  });

  it('stops an endless body at the size limit and closes the connection instead of reading on', async () => {
    const chunk = Buffer.from('{"asset":"USDT","balance":"0"},'.repeat(2048));
    const server = await start((_req, res, written) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      writeForever(res, chunk, written);
    });
    const startedAt = Date.now();
    const error = await send(get(`${server.origin}/fapi/v3/balance?signature=abc`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnswerTooLargeError);
    expect((error as Error).message).toBe(
      `GET /fapi/v3/balance was answered HTTP 200 with a body cut at ${MAX_BODY_BYTES} bytes, longer than any answer of the API (endless or not meant for this request); the rest was not read`,
    );
    // The server sees its answer closed: what it managed to write is the limit plus what the sockets' buffers held.
    const written = await server.closed(1);
    expect(written).toBeGreaterThan(MAX_BODY_BYTES);
    expect(written).toBeLessThan(MAX_BODY_BYTES + 32 * 1024 * 1024);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('refuses an answer whose Content-Length is over the limit without reading its body', async () => {
    const server = await start((_req, res, written) => {
      res.writeHead(200, { 'content-length': String(MAX_BODY_BYTES + 1) });
      res.write('[');
      written(1);
    });
    await expect(send(get(`${server.origin}/big`))).rejects.toThrow(`cut at ${MAX_BODY_BYTES} bytes`);
    expect(await server.closed(1)).toBe(1);
  });

  it.each([
    ['after the headers', 0],
    ['mid-body', 5],
  ])('rejects an answer whose connection closes %s, never returning the part that came', async (_label, sent) => {
    const server = await start((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.flushHeaders();
      req.socket.write(sent > 0 ? '{"a":' : '', () => req.socket.destroy());
    });
    // With headers flushed separately the body's bytes follow on the socket itself, framed by the Content-Length.
    await expect(send(get(`${server.origin}/x`))).rejects.toThrow(`the connection closed after ${sent} bytes of the HTTP 200 answer`);
  });

  it('returns a redirect as it is: nothing goes to the host it points to', async () => {
    const elsewhere = await start((_req, res) => res.end('{"stolen":true}'));
    const server = await start((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.origin}/collect` });
      res.end();
    });
    const answer = await send(get(`${server.origin}/api`, { 'X-Signature': 'deadbeef' }));
    expect([answer.status, answer.headers.location]).toEqual([302, `${elsewhere.origin}/collect`]);
    expect(elsewhere.requests).toEqual([]);
  });

  it('refuses a Host header naming a host other than the URL’s, before anything is sent', async () => {
    const server = await start((_req, res) => res.end('{}'));
    await expect(send(get(`${server.origin}/x`, { Host: 'api.example.com' }))).rejects.toThrow(
      `Refusing to send a request for ${server.host} with a Host header naming another host`,
    );
    expect(server.requests).toEqual([]);
    await expect(send(get(`${server.origin}/x`, { host: server.host }))).resolves.toMatchObject({ status: 200 });
  });
});

describe('sendRequest over nodeTransport', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('times out a body that trickles in: the per-attempt timeout covers the whole answer, not only its headers', async () => {
    server = await serve((_req, res, written) => {
      res.writeHead(200, { 'content-length': '200' });
      res.flushHeaders();
      const timer = setInterval(() => {
        res.write('x');
        written(1);
      }, 20);
      res.on('close', () => clearInterval(timer));
    });
    const url = `${server.origin}/slow`;
    const startedAt = Date.now();
    const error = await sendRequest(nodeTransport, SYSTEM_CLOCK, {
      timeoutMs: 150,
      deadlineAtMs: Date.now() + 10_000,
      retries: 0,
      backoffMs: 1,
      maxRetryAfterMs: 0,
      build: () => get(url),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - startedAt).toBeLessThan(150 + 500);
    // Bytes had been arriving when the timeout struck, and the connection was closed.
    const written = await server.closed(1);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(200);
  });

  it('refuses a redirect at once, without following or retrying it', async () => {
    server = await serve((_req, res) => {
      res.writeHead(307, { location: 'https://collector.example.net:8443/steal?signature=abc' });
      res.end();
    });
    const url = `${server.origin}/api/v3/account`;
    const error = await sendRequest(nodeTransport, SYSTEM_CLOCK, {
      timeoutMs: 1000,
      deadlineAtMs: Date.now() + 10_000,
      retries: 2,
      backoffMs: 1,
      maxRetryAfterMs: 0,
      build: () => get(url),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectRefusedError);
    expect((error as RedirectRefusedError).targetHost).toBe('collector.example.net:8443');
    expect(server.requests).toHaveLength(1);
  });
});
