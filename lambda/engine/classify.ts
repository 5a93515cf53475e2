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
 * caught): rules naming the exchange's own error code, compared exactly with the parsed field,
 * then the others in order; then 2xx JSON without an error field as success; then the rules
 * shared by all exchanges: 429/418 rate limit, 451 geo-block, 5xx unavailable, anything else unexpected.
 * The body excerpt in messages passes through `redactText` first.
 */
export function classifyResponse(
  adapter: ExchangeAdapter,
  request: ExchangeRequest,
  response: HttpResponse,
  redactText: (text: string) => string = (text) => text,
): Classification {
  const where = `${adapter.displayName} answered HTTP ${response.status} to ${request.method} ${request.path}`;
  // Redacted before it is cut short, so no part of a value the exchange quotes back can show; made only
  // for a message: redacting every value in all its quoted forms was 5% of a healthy check's CPU (npm run bench -- --profile).
  const excerpt = () => excerptBody(redactText(response.body));
  const parsed = parseJson(response.body);
  const errorCode = parsed.ok ? readErrorCode(adapter, parsed.value) : undefined;
  const exact = adapter.errors.filter((rule) => rule.error !== undefined);
  const loose = adapter.errors.filter((rule) => rule.error === undefined);
  for (const rule of [...exact, ...loose]) {
    if (!matchesRule(rule, response, errorCode)) continue;
    const note = rule.note ? ` ${rule.note}` : '';
    return { ok: false, code: rule.code, rule, finding: makeFinding(rule.code, `${where}: ${excerpt()}.${note}`) };
  }
  if (response.status >= 200 && response.status < 300) {
    if (!parsed.ok) return fail('UNEXPECTED_RESPONSE', `${where} with a body that is not JSON: ${excerpt()}`);
    if (errorCode !== undefined) return fail('UNEXPECTED_RESPONSE', `${where} with error ${JSON.stringify(errorCode)}: ${excerpt()}`);
    return { ok: true, body: parsed.value };
  }
  if (response.status === 429 || response.status === 418) {
    const retryAfter = response.headers['retry-after'];
    const wait = retryAfter ? ` (Retry-After: ${retryAfter.slice(0, 40)})` : '';
    return fail('RATE_LIMITED', `${where}: rate limited${wait}: ${excerpt()}`);
  }
  if (response.status === 451) return fail('LOCATION_BLOCKED', `${where}: unavailable for legal reasons (geo-blocked): ${excerpt()}`);
  if (response.status >= 500) return fail('EXCHANGE_UNAVAILABLE', `${where}: ${excerpt()}`);
  return fail('UNEXPECTED_RESPONSE', `${where}: ${excerpt()}`);
}

function fail(code: FindingCode, message: string): Classification {
  return { ok: false, code, finding: makeFinding(code, message) };
}

function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

/** The adapter's reading of the error field; an adapter that throws on an odd shape reads as no field. */
function readErrorCode(adapter: ExchangeAdapter, body: unknown): string | undefined {
  try {
    return adapter.readError?.(body);
  } catch {
    return undefined;
  }
}

function matchesRule(rule: ErrorRule, response: HttpResponse, errorCode: string | undefined): boolean {
  if (rule.error !== undefined) {
    const codes: readonly string[] = typeof rule.error === 'string' ? [rule.error] : rule.error;
    if (errorCode === undefined || !codes.includes(errorCode)) return false;
  }
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

/** Replaces every occurrence of the given secret values (4+ characters) with `[redacted]`, also as JSON or a URL quotes them. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = new Set(secrets.filter((secret) => secret.length >= 4).flatMap(quotedForms));
  // Longest first: a shorter value inside a longer one (a passphrase prefixing the secret) must not leave the rest showing.
  for (const secret of [...forms].sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * A value as it is, and as an exchange quoting the request back may write it: inside a JSON string
 * (`"` and `\` escaped) or in a URL (percent-encoded, as encodeURIComponent or a form encodes it).
 */
function quotedForms(secret: string): string[] {
  const forms = [secret, JSON.stringify(secret).slice(1, -1), new URLSearchParams({ v: secret }).toString().slice(2)];
  try {
    forms.push(encodeURIComponent(secret));
  } catch {
    // A lone surrogate cannot be percent-encoded, so no URL carries the value in that form.
  }
  return forms;
}
