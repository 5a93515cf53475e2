import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext } from 'node:tls';
import { AnswerTooLargeError, assertSecureUrl, extractPath, type HttpRequest, type Transport } from './http-client';

/**
 * The most of an answer's body that is read: a key check's answer is a few KB (a Binance account
 * listing every symbol's position, the largest, is some 200 KB), so past this the answer is not one
 * the API sends, and reading on would let an endless body hold the check and its memory.
 */
export const MAX_BODY_BYTES = 1_000_000;

// Keep-alive agents shared by every request of the process: many keys on one exchange reuse sockets.
const HTTP_AGENT = new HttpAgent({ keepAlive: true });
const HTTPS_AGENT = new HttpsAgent({ keepAlive: true });

/**
 * The transport of a real process, on node:http/https with keep-alive (several times faster than
 * global fetch for many concurrent requests). Plain HTTP is refused except to loopback; a redirect
 * comes back as the answer it is (node:http never follows one); a body is read up to
 * {@link MAX_BODY_BYTES}, then the response is aborted.
 */
export const nodeTransport: Transport = (request, signal) => sendWith(HTTPS_AGENT, request, signal);

/** Options for {@link createNodeTransport}. */
export interface NodeTransportOptions {
  /** The certificates (PEM) that HTTPS answers must chain to, instead of Node's bundled roots; certificates are still verified. */
  readonly ca: string | readonly string[];
}

/**
 * {@link nodeTransport} with its own keep-alive pool that trusts only `options.ca`, for a benchmark or
 * test against a local HTTPS simulator; the process-wide trust store is left as it is.
 */
export function createNodeTransport(options: NodeTransportOptions): Transport {
  // One context for every connection: given `ca` alone, each TLS connection would parse the PEMs again.
  const agent = new HttpsAgent({ keepAlive: true, secureContext: createSecureContext({ ca: [options.ca].flat() }) });
  return (request, signal) => sendWith(agent, request, signal);
}

/** Sends one request, HTTPS through `httpsAgent`. */
const sendWith = (httpsAgent: HttpsAgent, request: HttpRequest, signal: AbortSignal): ReturnType<Transport> =>
  new Promise((resolve, reject) => {
    assertSecureUrl(request.url);
    assertOwnHost(request);
    const secure = request.url.startsWith('https:');
    const send = secure ? httpsRequest : httpRequest;
    const req = send(
      request.url,
      { method: request.method, headers: request.headers, agent: secure ? httpsAgent : HTTP_AGENT, signal },
      (res) =>
        readBody(request, res, () => req.destroy()).then(
          (body) => resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res), body }),
          reject,
        ),
    );
    req.on('error', reject);
    req.end(request.body);
  });

/** A `Host` header would send the request to another site behind the same address; only the URL's host is used. */
function assertOwnHost(request: HttpRequest): void {
  const host = Object.entries(request.headers).find(([name]) => name.toLowerCase() === 'host')?.[1];
  if (host !== undefined && host.toLowerCase() !== new URL(request.url).host)
    throw new Error(`Refusing to send a request for ${new URL(request.url).host} with a Host header naming another host`);
}

/** Reads the whole body, or rejects: when the connection closes before its end, or at the size limit (then `abort` stops the download). */
function readBody(request: HttpRequest, res: IncomingMessage, abort: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const status = res.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => {
      reject(new AnswerTooLargeError(request.method, extractPath(request.url), status, MAX_BODY_BYTES));
      chunks.length = 0;
      // Destroying the socket, not pausing or discarding: an endless body stops costing bytes at once.
      abort();
    };
    const cut = () => reject(new Error(`the connection closed after ${size} bytes of the HTTP ${status} answer`));
    res.on('error', cut);
    res.on('aborted', cut);
    res.on('close', () => {
      if (!res.complete) cut();
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // An answer that says in advance it is too long is not read at all.
    if (Number(res.headers['content-length']) > MAX_BODY_BYTES) {
      tooLarge();
      return;
    }
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge();
      else chunks.push(chunk);
    });
  });
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
