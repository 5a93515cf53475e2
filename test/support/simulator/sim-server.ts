import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
  | { kind: 'echo' };

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
}

/** A running simulated exchange on 127.0.0.1 and an ephemeral port. */
export interface Simulator {
  readonly origin: string;
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

  const server: Server = createServer((req, res) => {
    void collectBody(req).then((body) => answer(req, res, body));
  });
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
      });
      res.end(out.body);
    };
    if (state.latencyMs > 0) setTimeout(respond, state.latencyMs);
    else respond();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
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
