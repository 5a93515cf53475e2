import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { generate as generateCertificate } from 'selfsigned';

/** A key the simulated exchange knows, with what it may do and how it is broken. */
export interface SimKey {
  apiKey: string;
  /** As stored by the exchange: the HMAC secret text, or a public key PEM for JWT keys. */
  secret: string;
  passphrase?: string;
  permissions: { view: boolean; trade: boolean; transfer: boolean };
  /** Whether the futures account / product is enabled for this key. */
  futures: boolean;
  /** The exchange refuses requests from our IP for this key. */
  ipBlocked?: boolean;
  /** The key has an IP allow-list (that we are on, unless ipBlocked). */
  ipRestricted?: boolean;
  /** The key is expired, frozen or disabled. */
  disabled?: boolean;
  /** ISO date the exchange will expire the key, where the exchange tells. */
  expiresAt?: string;
  /** What only one exchange's simulator reads (its handler documents the fields). */
  extra?: Readonly<Record<string, unknown>>;
}

/** A request as the exchange handler sees it. */
export interface SimRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** Raw query without `?` ('' if none). */
  query: string;
  headers: Record<string, string>;
  body: string;
  /** The simulated exchange's clock (real time plus skew), ms. */
  serverNowMs: number;
  remoteAddress: string;
}

/** What the handler answers. */
export interface SimResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** One exchange's behaviour: verify the request like the exchange does and answer like it. */
export type ExchangeHandler = (request: SimRequest, keys: ReadonlyMap<string, SimKey>) => SimResponse;

/** Ways to misbehave on demand. */
export type Misbehaviour =
  | { kind: 'status'; status: number; body: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'malformed-json' }
  /** The connection is dropped before any answer (ECONNRESET on our side). */
  | { kind: 'reset' }
  /** A 400 whose body quotes the request's headers and body back, as some exchanges' error pages do. */
  | { kind: 'echo' }
  /**
   * The exchange's own answer announced in full (status, headers, Content-Length), then the connection
   * closed after the headers or after half of the body.
   */
  | { kind: 'cut'; after: 'headers' | 'half-body' }
  /** The exchange's own answer, its headers at once and its body one byte every `intervalMs`. */
  | { kind: 'trickle'; intervalMs: number }
  /** A 200 whose JSON body never ends, written as fast as the client reads it, until the client closes the connection. */
  | { kind: 'endless' };

/** Ready-made misbehaviours with the bodies real exchanges and their CDNs send. */
export const MISBEHAVIOURS = {
  unavailableHtml: {
    kind: 'status',
    status: 503,
    headers: { 'content-type': 'text/html' },
    body: '<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request. Please try again later.</p></body></html>',
  },
  rateLimitedHtml: {
    kind: 'status',
    status: 429,
    headers: { 'content-type': 'text/html', 'retry-after': '1' },
    body: '<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>',
  },
  geoBlocked: {
    kind: 'status',
    status: 451,
    headers: { 'content-type': 'application/json' },
    body: '{"message":"Unavailable For Legal Reasons"}',
  },
  hang: { kind: 'hang' },
  malformedJson: { kind: 'malformed-json' },
  connectionReset: { kind: 'reset' },
  echo: { kind: 'echo' },
  cutAfterHeaders: { kind: 'cut', after: 'headers' },
  cutMidBody: { kind: 'cut', after: 'half-body' },
  trickle: { kind: 'trickle', intervalMs: 50 },
  endless: { kind: 'endless' },
  rateLimitedForAnHour: {
    kind: 'status',
    status: 429,
    headers: { 'content-type': 'application/json', 'retry-after': '3600' },
    body: '{"message":"Too many requests"}',
  },
} as const satisfies Record<string, Misbehaviour>;

interface Trouble {
  pathPrefix: string;
  misbehaviour: Misbehaviour;
  remaining: number;
}

/** A request as the simulator saw it, for assertions (headers kept, so tests can look for their values in our output). */
export interface SeenRequest {
  method: string;
  path: string;
  /** Raw query without `?` ('' if none). */
  query: string;
  headers: Record<string, string>;
}

/** Options for {@link startSimulator}. */
export interface SimulatorOptions {
  /** Added before every answer, ms. @default 0 */
  latencyMs?: number;
  /** The exchange's clock minus ours, ms (positive: the exchange is ahead of us). @default 0 */
  skewMs?: number;
  keys?: SimKey[];
  /** Serve HTTPS with a certificate made at start for 127.0.0.1 and localhost ({@link Simulator.ca}); clients must trust it explicitly. @default false */
  tls?: boolean;
}

/** A running simulated exchange on 127.0.0.1 and an ephemeral port. */
export interface Simulator {
  readonly origin: string;
  /** The certificate (PEM) to trust when the simulator serves HTTPS; `undefined` over plain HTTP. */
  readonly ca: string | undefined;
  readonly keys: Map<string, SimKey>;
  readonly seen: SeenRequest[];
  latencyMs: number;
  skewMs: number;
  /** Misbehave on requests whose path starts with `pathPrefix` ('' for all), `times` times (default: until cleared). */
  misbehave(pathPrefix: string, misbehaviour: Misbehaviour, times?: number): void;
  /** Clears misbehaviours and the request log. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts a simulated exchange that answers with `handler`. */
export async function startSimulator(handler: ExchangeHandler, options: SimulatorOptions = {}): Promise<Simulator> {
  const keys = new Map((options.keys ?? []).map((k) => [k.apiKey, k]));
  const troubles: Trouble[] = [];
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const state = { latencyMs: options.latencyMs ?? 0, skewMs: options.skewMs ?? 0 };

  const certificate = options.tls ? await makeLoopbackCertificate() : undefined;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void collectBody(req).then((body) => answer(req, res, body));
  };
  const server: Server | HttpsServer = certificate ? createHttpsServer(certificate, listener) : createServer(listener);
  server.keepAliveTimeout = 2000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    const headers = lowerCaseHeaders(req);
    seen.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search.replace(/^\?/, ''), headers });
    const trouble = troubles.find((t) => url.pathname.startsWith(t.pathPrefix) && t.remaining > 0);
    if (trouble) trouble.remaining -= 1;
    if (trouble?.misbehaviour.kind === 'hang') return;
    if (trouble?.misbehaviour.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (trouble?.misbehaviour.kind === 'endless') {
      streamEndlessly(res);
      return;
    }
    const respond = () => {
      const serverNowMs = Date.now() + state.skewMs;
      let out: SimResponse;
      if (trouble?.misbehaviour.kind === 'status') out = trouble.misbehaviour;
      else if (trouble?.misbehaviour.kind === 'echo') out = json(400, { error: 'bad request', received: { headers, body, url: req.url } });
      else {
        const request: SimRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.search.replace(/^\?/, ''),
          headers,
          body,
          serverNowMs,
          remoteAddress: req.socket.remoteAddress ?? '127.0.0.1',
        };
        out = safeHandle(handler, request, keys);
        if (trouble?.misbehaviour.kind === 'malformed-json')
          out = { ...out, status: 200, body: `${out.body.slice(0, Math.max(1, out.body.length - 3))}` };
      }
      res.writeHead(out.status, {
        'content-type': 'application/json',
        date: new Date(serverNowMs).toUTCString(),
        ...out.headers,
        // A cut answer announces its full length, so the client can tell that it ended early.
        ...(trouble?.misbehaviour.kind === 'cut' && { 'content-length': String(Buffer.byteLength(out.body)) }),
      });
      if (trouble?.misbehaviour.kind === 'cut') cutShort(req, res, out.body, trouble.misbehaviour.after);
      else if (trouble?.misbehaviour.kind === 'trickle') trickle(res, out.body, trouble.misbehaviour.intervalMs);
      else res.end(out.body);
    };
    if (state.latencyMs > 0) setTimeout(respond, state.latencyMs);
    else respond();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${certificate ? 'https' : 'http'}://127.0.0.1:${port}`,
    ca: certificate?.cert,
    keys,
    seen,
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms;
    },
    get skewMs() {
      return state.skewMs;
    },
    set skewMs(ms: number) {
      state.skewMs = ms;
    },
    misbehave(pathPrefix, misbehaviour, times = Number.POSITIVE_INFINITY) {
      troubles.unshift({ pathPrefix, misbehaviour, remaining: times });
    },
    reset() {
      troubles.length = 0;
      seen.length = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends the headers (and half of `body`), then closes the connection once they are on the wire. */
function cutShort(req: IncomingMessage, res: ServerResponse, body: string, after: 'headers' | 'half-body'): void {
  const close = () => req.socket.destroy();
  if (after === 'half-body') {
    const bytes = Buffer.from(body);
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), close);
    return;
  }
  res.flushHeaders();
  // Socket writes complete in order: this one's callback runs once the headers have gone out.
  req.socket.write('', close);
}

/** Sends `body` one byte every `intervalMs`, stopping when the client goes away. */
function trickle(res: ServerResponse, body: string, intervalMs: number): void {
  const bytes = Buffer.from(body);
  let sent = 0;
  res.flushHeaders();
  const timer = setInterval(() => {
    if (sent >= bytes.length) {
      clearInterval(timer);
      res.end();
      return;
    }
    res.write(bytes.subarray(sent, sent + 1));
    sent += 1;
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
}

/** A 200 JSON array that never closes, written as fast as the client takes it (waiting on `drain`), until the connection closes. */
function streamEndlessly(res: ServerResponse): void {
  const chunk = Buffer.from('{"asset":"USDT","balance":"0"},'.repeat(512));
  let open = true;
  res.on('close', () => {
    open = false;
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"data":[');
  const pump = () => {
    while (open && res.write(chunk)) {
      // Keep writing while the socket's buffer takes it.
    }
    if (open) res.once('drain', pump);
  };
  pump();
}

/**
 * A self-signed certificate (EC P-256, SHA-256) for 127.0.0.1 and localhost, made fresh so that no
 * private key is kept anywhere; it is its own CA, so a client trusts exactly it and nothing else.
 * Certificates trusted side by side need distinct `commonName`s: a chain is matched to its CA by name.
 */
export async function makeLoopbackCertificate(commonName = 'key-health simulator'): Promise<{ key: string; cert: string }> {
  const pems = await generateCertificate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

function safeHandle(handler: ExchangeHandler, request: SimRequest, keys: ReadonlyMap<string, SimKey>): SimResponse {
  try {
    return handler(request, keys);
  } catch (error) {
    return { status: 500, body: JSON.stringify({ message: `simulator error: ${(error as Error).message}` }) };
  }
}

function collectBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** JSON answer helper. */
export function json(status: number, body: unknown, headers?: Record<string, string>): SimResponse {
  return { status, body: JSON.stringify(body), ...(headers && { headers }) };
}
