import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { assertSecureUrl, type Transport } from './http-client';

/** Bodies past this are cut: a health check never needs more, and a broken proxy cannot exhaust memory. */
const MAX_BODY_BYTES = 1_000_000;

// Keep-alive agents shared by every request of the process: many keys on one exchange reuse sockets.
const HTTP_AGENT = new HttpAgent({ keepAlive: true });
const HTTPS_AGENT = new HttpsAgent({ keepAlive: true });

/**
 * The transport of a real process, on node:http/https with keep-alive (several times faster than
 * global fetch for many concurrent requests). Plain HTTP is refused except to loopback.
 */
export const nodeTransport: Transport = (request, signal) =>
  new Promise((resolve, reject) => {
    assertSecureUrl(request.url);
    const secure = request.url.startsWith('https:');
    const send = secure ? httpsRequest : httpRequest;
    const req = send(
      request.url,
      { method: request.method, headers: request.headers, agent: secure ? HTTPS_AGENT : HTTP_AGENT, signal },
      (res) => readBody(res).then((body) => resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res), body }), reject),
    );
    req.on('error', reject);
    req.end(request.body);
  });

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
