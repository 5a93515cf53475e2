import { classifyResponse, excerptBody, redact } from '../../../lambda/engine/classify';
import type { ErrorRule, ExchangeAdapter, ExchangeRequest } from '../../../lambda/exchanges/types';
import type { HttpResponse } from '../../../lambda/http/http-client';

/** Only what classifyResponse reads: a name and an error table. */
const adapterWith = (errors: readonly ErrorRule[]) => ({ displayName: 'Fake Exchange', errors }) as unknown as ExchangeAdapter;

const REQUEST: ExchangeRequest = { method: 'GET', path: '/accounts' };
const respond = (status: number, body: string, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  body,
  headers,
  sentAtMs: 0,
  receivedAtMs: 10,
  attempts: 1,
});

const RULES: ErrorRule[] = [
  { body: /"code":\s*-2015/, code: 'AUTH_INVALID_KEY', note: 'The key, IP or permissions are wrong.' },
  { status: [401, 403], body: /signature/i, code: 'AUTH_INVALID_SIGNATURE' },
  { status: 403, code: 'PERMISSION_MISSING' },
  { status: 503, body: /maintenance/, code: 'EXCHANGE_UNAVAILABLE' },
];

const classify = (response: HttpResponse, rules: readonly ErrorRule[] = RULES) => classifyResponse(adapterWith(rules), REQUEST, response);
const codeOf = (response: HttpResponse, rules?: readonly ErrorRule[]) => {
  const result = classify(response, rules);
  return result.ok ? 'ok' : result.code;
};

describe('classifyResponse', () => {
  it('returns the parsed JSON of a 2xx answer', () => {
    expect(classify(respond(200, '[{"id":1}]'))).toEqual({ ok: true, body: [{ id: 1 }] });
    expect(classify(respond(204, 'null'))).toEqual({ ok: true, body: null });
  });

  it.each([
    ['a 200 carrying an exchange error code', 200, '{"code":-2015,"msg":"Invalid API-key"}', 'AUTH_INVALID_KEY'],
    ['a status listed in an array (401)', 401, '{"message":"invalid signature"}', 'AUTH_INVALID_SIGNATURE'],
    ['a status listed in an array (403)', 403, '{"message":"Invalid Signature"}', 'AUTH_INVALID_SIGNATURE'],
    ['a status the array does not list', 400, '{"message":"invalid signature"}', 'UNEXPECTED_RESPONSE'],
    ['a status with any body', 403, '{"message":"forbidden"}', 'PERMISSION_MISSING'],
    ['a 5xx whose body matches a rule', 503, 'down for maintenance', 'EXCHANGE_UNAVAILABLE'],
  ])('applies the adapter rules first: %s', (_, status, body, code) => {
    expect(codeOf(respond(status, body))).toBe(code);
  });

  it('uses the first matching rule', () => {
    const rules: ErrorRule[] = [
      { status: 401, code: 'AUTH_INVALID_KEY' },
      { status: 401, code: 'AUTH_INVALID_SIGNATURE' },
    ];
    expect(codeOf(respond(401, '{}'), rules)).toBe('AUTH_INVALID_KEY');
  });

  it('matches a rule written with the g flag on every call', () => {
    const rules: ErrorRule[] = [{ body: /expired/g, code: 'KEY_EXPIRED' }];
    const response = respond(401, '{"message":"key expired"}');
    expect([codeOf(response, rules), codeOf(response, rules), codeOf(response, rules)]).toEqual([
      'KEY_EXPIRED',
      'KEY_EXPIRED',
      'KEY_EXPIRED',
    ]);
  });

  it('returns the rule that matched, with its note in the message', () => {
    const result = classify(respond(200, '{"code":-2015,"msg":"Invalid API-key"}'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rule).toBe(RULES[0]);
    expect(result.finding.message).toBe(
      'Fake Exchange answered HTTP 200 to GET /accounts: {"code":-2015,"msg":"Invalid API-key"}. The key, IP or permissions are wrong.',
    );
  });

  it.each([
    [429, 'RATE_LIMITED'],
    [418, 'RATE_LIMITED'],
    [451, 'LOCATION_BLOCKED'],
    [500, 'EXCHANGE_UNAVAILABLE'],
    [502, 'EXCHANGE_UNAVAILABLE'],
    [503, 'EXCHANGE_UNAVAILABLE'],
    [599, 'EXCHANGE_UNAVAILABLE'],
    [400, 'UNEXPECTED_RESPONSE'],
    [404, 'UNEXPECTED_RESPONSE'],
    [302, 'UNEXPECTED_RESPONSE'],
    [199, 'UNEXPECTED_RESPONSE'],
  ])('falls back to the shared rules: HTTP %d is %s', (status, code) => {
    expect(codeOf(respond(status, 'nope'), [])).toBe(code);
  });

  it('quotes Retry-After on a rate limit', () => {
    const result = classify(respond(429, '{"message":"slow down"}', { 'retry-after': '30' }), []);
    expect(result.ok ? '' : result.finding.message).toBe(
      'Fake Exchange answered HTTP 429 to GET /accounts: rate limited (Retry-After: 30): {"message":"slow down"}',
    );
  });

  it.each([
    ['HTML', '<html><body>OK</body></html>', 'OK'],
    ['empty', '', '(empty body)'],
    ['truncated JSON', '{"accounts": [', '{"accounts": ['],
  ])('finds a 2xx %s body UNEXPECTED_RESPONSE with an excerpt', (_, body, excerpt) => {
    const result = classify(respond(200, body), []);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('UNEXPECTED_RESPONSE');
    expect(result.finding.severity).toBe('unknown');
    expect(result.finding.message).toBe(`Fake Exchange answered HTTP 200 to GET /accounts with a body that is not JSON: ${excerpt}`);
  });
});

describe('excerptBody', () => {
  it('strips tags, scripts and styles from HTML and folds whitespace', () => {
    const html =
      '<!DOCTYPE html>\n<html><head><style>body { color: red }</style><script>var x = "<b>";</script><title>503</title></head>\n<body><h1>Service   Unavailable</h1></body></html>';
    expect(excerptBody(html)).toBe('503 Service Unavailable');
  });

  it('keeps a JSON body as it is, on one line', () => {
    expect(excerptBody('{\n  "message": "invalid   signature"\n}')).toBe('{ "message": "invalid signature" }');
  });

  it.each([
    [199, 199],
    [200, 200],
    [201, 200],
    [5000, 200],
  ])('cuts a %d-character body to %d characters', (length, expected) => {
    const excerpt = excerptBody('x'.repeat(length));
    expect(excerpt).toHaveLength(expected);
    expect(excerpt.endsWith('…')).toBe(length > 200);
  });

  it.each(['', '   ', '\n\t'])('names the empty body %j', (body) => {
    expect(excerptBody(body)).toBe('(empty body)');
  });
});

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('key abcd1234 sig zzzz then abcd1234 again', ['abcd1234', 'zzzz'])).toBe(
      'key [redacted] sig [redacted] then [redacted] again',
    );
  });

  it.each([
    ['abc', 'abc'],
    ['abcd', '[redacted]'],
  ])('ignores values shorter than 4 characters: %j', (secret, expected) => {
    expect(redact(secret, [secret])).toBe(expected);
  });

  it('ignores the empty string instead of splitting between every character', () => {
    expect(redact('message', [''])).toBe('message');
  });

  it('leaves no part of a longer secret that contains a shorter one', () => {
    const out = redact('secret=passphrase-and-more-secret', ['passphrase', 'passphrase-and-more-secret']);
    expect(out).toBe('secret=[redacted]');
  });
});
