import type { ErrorRule, ExchangeAdapter, ExchangeRequest } from '../exchanges/types';
import { type Finding, type FindingCode, makeFinding } from '../findings';
import type { HttpResponse } from '../http/http-client';

/** A response sorted into success (with its parsed JSON) or one finding code. */
export type Classification =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly code: FindingCode; readonly finding: Finding; readonly rule?: ErrorRule };

const EXCERPT_CHARS = 200;

/**
 * Sorts an answer with the adapter's error table first (so a 200 carrying an error code is
 * caught), then 2xx JSON as success, then the rules shared by all exchanges: 429/418 rate limit,
 * 451 geo-block, 5xx unavailable, anything else unexpected.
 */
export function classifyResponse(adapter: ExchangeAdapter, request: ExchangeRequest, response: HttpResponse): Classification {
  const where = `${adapter.displayName} answered HTTP ${response.status} to ${request.method} ${request.path}`;
  const excerpt = excerptBody(response.body);
  for (const rule of adapter.errors) {
    if (!matchesRule(rule, response)) continue;
    const note = rule.note ? ` ${rule.note}` : '';
    return { ok: false, code: rule.code, rule, finding: makeFinding(rule.code, `${where}: ${excerpt}.${note}`) };
  }
  if (response.status >= 200 && response.status < 300) {
    try {
      return { ok: true, body: JSON.parse(response.body) };
    } catch {
      return fail('UNEXPECTED_RESPONSE', `${where} with a body that is not JSON: ${excerpt}`);
    }
  }
  if (response.status === 429 || response.status === 418) {
    const retryAfter = response.headers['retry-after'];
    const wait = retryAfter ? ` (Retry-After: ${retryAfter.slice(0, 40)})` : '';
    return fail('RATE_LIMITED', `${where}: rate limited${wait}: ${excerpt}`);
  }
  if (response.status === 451) return fail('LOCATION_BLOCKED', `${where}: unavailable for legal reasons (geo-blocked): ${excerpt}`);
  if (response.status >= 500) return fail('EXCHANGE_UNAVAILABLE', `${where}: ${excerpt}`);
  return fail('UNEXPECTED_RESPONSE', `${where}: ${excerpt}`);
}

function fail(code: FindingCode, message: string): Classification {
  return { ok: false, code, finding: makeFinding(code, message) };
}

function matchesRule(rule: ErrorRule, response: HttpResponse): boolean {
  if (rule.status !== undefined) {
    const statuses = typeof rule.status === 'number' ? [rule.status] : rule.status;
    if (!statuses.includes(response.status)) return false;
  }
  // `search` ignores `lastIndex`, so a rule written with the `g` flag matches on every call, not every other one.
  return rule.body === undefined || response.body.search(rule.body) !== -1;
}

/** A short, single-line excerpt of a body for messages: tags stripped from HTML, whitespace folded. */
export function excerptBody(body: string): string {
  if (body.trim() === '') return '(empty body)';
  const looksHtml = /^\s*</.test(body);
  const text = (looksHtml ? body.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ') : body)
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text;
}

/** Replaces every occurrence of the given secret values (4+ characters) with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first: a shorter value inside a longer one (a passphrase prefixing the secret) must not leave the rest showing.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length < 4) continue;
    out = out.split(secret).join('[redacted]');
  }
  return out;
}
