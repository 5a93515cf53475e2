import fc from 'fast-check';
import { parseConfig } from '../../lambda/config';
import { buildSignedRequest } from '../../lambda/engine/exchange-requests';
import { readSecret } from '../../lambda/engine/read-secret';
import { ConfigError, HeaderValueError } from '../../lambda/errors';
import { ADAPTERS, EXCHANGE_IDS, type ExchangeId, hasSandbox } from '../../lambda/exchanges/registry';
import type { ExchangeAdapter } from '../../lambda/exchanges/types';
import { locateJsonError } from '../../lambda/json-error';
import { configFor } from '../support/harness';
import { decodedForms, MIN_SECRET_CHARS, normalizeForScan, PIECE_CHARS } from '../support/leak-scan';
import { signAt } from '../support/sign-context';
import { loadSimulatedExchange } from '../support/simulator/simulated-exchange';

/**
 * Bad input, generated: the config parser, every adapter's secret parser, the secret reader and the
 * JSON error locator answer any input with a result or an error that names the field, never an
 * unhandled exception and never the secret's value.
 */

// biome-ignore lint/suspicious/noExplicitAny: every adapter, whatever its credential type.
const adapterOf = (id: ExchangeId) => ADAPTERS[id] as ExchangeAdapter<any>;

/** Runs per property: enough to matter, while the whole file stays under ~10 s on a shared 2-core machine. */
const RUNS = { config: 2000, validConfig: 500, nearValid: 2000, concealed: 500, perAdapter: 500, secretText: 1000, json: 2000, deep: 200 };

/** A document as JSON.parse gives it (own `__proto__` keys included, no undefined, no -0). */
const asParsed = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Every path of a parsed document, as the config's messages write them (`keys[0].expect.trade`); '' is the root. */
function pathsOf(value: unknown, path = '', out: Set<string> = new Set()): Set<string> {
  out.add(path);
  if (Array.isArray(value)) value.forEach((item, i) => void pathsOf(item, `${path}[${i}]`, out));
  else if (typeof value === 'object' && value !== null)
    for (const [name, child] of Object.entries(value)) pathsOf(child, path ? `${path}.${name}` : name, out);
  return out;
}

/**
 * Whether `problem` is `path: message` for one of `paths` (the document's nodes), or for a field
 * missing from one of them (`keys[0].name: is required`); `(root)` is the document itself.
 */
function namesANode(problem: string, paths: ReadonlySet<string>): boolean {
  if (problem.startsWith('(root): ')) return true;
  for (const path of paths) {
    if (path !== '' && problem.startsWith(`${path}: `)) return true;
    const prefix = path === '' ? '' : `${path}.`;
    if (!problem.startsWith(prefix)) continue;
    const rest = problem.slice(prefix.length);
    const colon = rest.indexOf(': ');
    if (colon > 0 && /^[A-Za-z$][\w$]*$/.test(rest.slice(0, colon))) return true;
  }
  return false;
}

/** Fails unless there is at least one problem and each names a node of `input` (checked without jest's expect: it runs thousands of times). */
function expectEveryProblemNamesANode(problems: readonly string[], input: unknown): void {
  const paths = pathsOf(input);
  const stray = problems.filter((problem) => !namesANode(problem, paths));
  if (problems.length === 0 || stray.length > 0)
    throw new Error(`problems that name no node: ${JSON.stringify(stray)} of ${JSON.stringify(problems)}`);
}

/** parseConfig's answer: the config, or the ConfigError's problems; anything else thrown fails the property. */
function parseOutcome(input: unknown): { ok: true } | { ok: false; problems: readonly string[]; message: string } {
  try {
    parseConfig(input);
    return { ok: true };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, problems: error.problems, message: error.message };
  }
}

const TOP_FIELDS = ['schedule', 'alerts', 'defaults', 'concurrency', 'keys', '$schema'];
const KEY_FIELDS = ['name', 'exchange', 'secretId', 'credentials', 'expect', 'rotation', 'timeoutMs', 'baseUrl', 'sandbox'];

const ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
/** `first` then up to `max` of `rest`: quicker to generate than fc.stringMatching. */
const word = (first: readonly string[], rest: readonly string[], min: number, max: number) =>
  fc
    .tuple(fc.constantFrom(...first), fc.string({ unit: fc.constantFrom(...rest), minLength: min, maxLength: max }))
    .map(([head, tail]) => head + tail);
const keyName = word(ALNUM, [...ALNUM, '.', '_', '-'], 0, 20);
const nonBlank = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '');
const envName = word([...ALNUM.slice(0, 52), '_'], [...ALNUM, '_'], 0, 20);
const phone = word([...'123456789'], [...'0123456789'], 6, 14).map((digits) => `+${digits}`);
const rotation = fc
  .integer({ min: 1, max: 3650 })
  .chain((maxAgeDays) => fc.record({ maxAgeDays: fc.constant(maxAgeDays), warnDays: fc.integer({ min: 0, max: maxAgeDays - 1 }) }));
const expectation = fc.record(
  { futures: fc.boolean(), trade: fc.boolean(), transfer: fc.boolean(), ipRestricted: fc.boolean() },
  { requiredKeys: [] },
);

/** A key config the parser must accept. */
const validKey = (name: string) =>
  fc
    .record(
      {
        exchange: fc.constantFrom(...EXCHANGE_IDS),
        source: fc.oneof(
          nonBlank.map((secretId) => ({ secretId })),
          nonBlank.map((file) => ({ credentials: { file } })),
          envName.map((env) => ({ credentials: { env } })),
        ),
        expect: expectation,
        rotation,
        timeoutMs: fc.integer({ min: 100, max: 60000 }),
        host: fc.constantFrom('https://api.example.com', 'http://127.0.0.1:8080', 'https://[::1]:9443', undefined, 'sandbox'),
      },
      { requiredKeys: ['exchange', 'source', 'host'] },
    )
    .map(({ exchange, source, host, ...rest }) => ({
      name,
      exchange,
      ...source,
      ...rest,
      ...(host === 'sandbox' ? (hasSandbox(exchange) ? { sandbox: true } : {}) : host && { baseUrl: host }),
    }));

/** A whole config the parser must accept, with every optional part sometimes present. */
const validConfig = fc
  .uniqueArray(keyName, { minLength: 1, maxLength: 4 })
  .chain((names) =>
    fc.record(
      {
        keys: fc.tuple(...names.map(validKey)),
        schedule: fc.constantFrom('rate(1 minute)', 'rate(5 minutes)', 'rate(2 hours)', 'cron(0 12 * * ? *)', 'cron(0/5 * ? * MON-FRI *)'),
        alerts: fc.record(
          {
            emails: fc.array(fc.constantFrom('ops@example.com', 'a.b@desk.example.net'), { maxLength: 2 }),
            phones: fc.array(phone, { maxLength: 2 }),
            smsMinSeverity: fc.constantFrom('warning', 'unknown', 'critical'),
            repeatAfterHours: fc.double({ min: 0.25, max: 8760, noNaN: true }),
            unknownAfterRuns: fc.integer({ min: 1, max: 1000 }),
          },
          { requiredKeys: [] },
        ),
        defaults: fc.record({ rotation, timeoutMs: fc.integer({ min: 100, max: 60000 }), expect: expectation }, { requiredKeys: [] }),
        concurrency: fc.integer({ min: 1, max: 1000 }),
        $schema: fc.constant('./docs/config.schema.json'),
      },
      { requiredKeys: ['keys'] },
    ),
  )
  .map(asParsed);

/** Where a near-valid config is changed, and how. */
type Mutation =
  | { kind: 'replace'; value: unknown }
  | { kind: 'retype' }
  | { kind: 'delete' }
  | { kind: 'add'; name: string; value: unknown };

/** The document with the node at `path` (a list of segments) changed by `mutation`. */
function mutate(doc: unknown, segments: readonly (string | number)[], mutation: Mutation): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const segment of segments.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
  const last = segments.at(-1);
  if (last === undefined) return mutation.kind === 'replace' ? mutation.value : copy;
  if (mutation.kind === 'replace') parent[last] = mutation.value;
  else if (mutation.kind === 'retype') parent[last] = wrongType(parent[last]);
  else if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last]))
    (parent[last] as Record<string, unknown>)[mutation.name] = mutation.value;
  return copy;
}

/** A JSON value of another type than `value`. */
function wrongType(value: unknown): unknown {
  if (typeof value === 'string') return 42;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return 'true';
  if (Array.isArray(value)) return { items: value };
  if (typeof value === 'object' && value !== null) return [value];
  return 'null';
}

/** Every node's path as segments, for picking one to mutate. */
function segmentsOf(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((item, i) => void segmentsOf(item, [...path, i], out));
  else if (typeof value === 'object' && value !== null)
    for (const [name, child] of Object.entries(value)) segmentsOf(child, [...path, name], out);
  return out;
}

const joinSegments = (segments: readonly (string | number)[]) =>
  segments.reduce<string>((path, s) => (typeof s === 'number' ? `${path}[${s}]` : path ? `${path}.${s}` : s), '');

describe('parseConfig under fuzzing', () => {
  it('answers any JSON document with a config or ConfigError problems that each name a node of it', () => {
    const fieldsBiased = fc.dictionary(fc.oneof(fc.constantFrom(...TOP_FIELDS), fc.string()), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 6,
    });
    const keysBiased = fc
      .array(fc.dictionary(fc.oneof(fc.constantFrom(...KEY_FIELDS), fc.string()), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }), {
        maxLength: 3,
      })
      .map((keys) => ({ keys }));
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fieldsBiased, keysBiased).map(asParsed), (input) => {
        const outcome = parseOutcome(input);
        if (outcome.ok) return;
        refused += 1;
        expectEveryProblemNamesANode(outcome.problems, input);
      }),
      { numRuns: RUNS.config },
    );
    // Arbitrary JSON is almost never a valid config: the property was about refusals.
    expect(refused).toBeGreaterThan(RUNS.config * 0.9);
  });

  it('accepts every config built within the rules', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        expect(parseOutcome(config)).toEqual({ ok: true });
      }),
      { numRuns: RUNS.validConfig },
    );
  });

  it('answers a valid config with one field changed by naming that field, its object or a node of the document', () => {
    const nearValid = validConfig.chain((config) =>
      fc.record({
        config: fc.constant(config),
        segments: fc.constantFrom(...segmentsOf(config)),
        mutation: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }).map((value): Mutation => ({ kind: 'replace', value: asParsed(value) })),
          fc.constant<Mutation>({ kind: 'retype' }),
          fc.constant<Mutation>({ kind: 'delete' }),
          fc
            .record({ name: fc.string({ minLength: 1 }), value: fc.jsonValue({ maxDepth: 1 }) })
            .map(({ name, value }): Mutation => ({ kind: 'add', name, value: asParsed(value) })),
        ),
      }),
    );
    const refused = new Map<Mutation['kind'], number>();
    let accepted = 0;
    fc.assert(
      fc.property(nearValid, ({ config, segments, mutation }) => {
        const input = asParsed(mutate(config, segments, mutation));
        const outcome = parseOutcome(input);
        if (outcome.ok) accepted += 1;
        else refused.set(mutation.kind, (refused.get(mutation.kind) ?? 0) + 1);
        const path = joinSegments(segments);
        if (mutation.kind === 'retype' && path !== '') {
          // A value of the wrong type is refused, and one of the problems names its own path.
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) expect([path, outcome.problems.some((p) => p.startsWith(`${path}: `))]).toEqual([path, true]);
        }
        if (!outcome.ok) expectEveryProblemNamesANode(outcome.problems, input);
      }),
      { numRuns: RUNS.nearValid },
    );
    // Every kind of change was refused somewhere, and some changes (a default left out, a value still in range) were not.
    expect([...refused.keys()].sort()).toEqual(['add', 'delete', 'replace', 'retype']);
    expect(accepted).toBeGreaterThan(0);
  });

  it('never quotes a secret pasted into "credentials" or "credentials.env"', () => {
    const pasted = fc.oneof(
      fc.string({ minLength: 16, maxLength: 200, unit: 'grapheme' }),
      fc.base64String({ minLength: 16, maxLength: 120 }),
      fc.string({ minLength: 16, maxLength: 64 }).map((body) => `-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----\n`),
    );
    fc.assert(
      fc.property(pasted, fc.boolean(), (secret, inEnv) => {
        fc.pre(!/^[A-Za-z_][A-Za-z0-9_]*$/.test(secret) && secret.trim() !== '');
        const input = { keys: [{ name: 'k', exchange: 'okx', credentials: inEnv ? { env: secret } : secret }] };
        const outcome = parseOutcome(input);
        expect(outcome.ok).toBe(false);
        if (outcome.ok) return;
        expect(outcome.problems).toEqual([
          inEnv ? expect.stringMatching(/^keys\[0\]\.credentials\.env: /) : expect.stringMatching(/^keys\[0\]\.credentials: /),
        ]);
        expect(leaksIn(outcome.message, [secret])).toEqual([]);
      }),
      { numRuns: RUNS.concealed },
    );
  });
});

/**
 * The 16-character pieces of `message` that occur in one of `values` (or a whole value of 8 to 15
 * characters that occurs in it), compared as the leak scan compares them. The message's pieces are
 * looked up in the values, not the other way round: a value may be a huge string, a message is short.
 */
function leaksIn(message: string, values: readonly string[]): string[] {
  const texts = decodedForms(message).map(normalizeForScan);
  const leaks: string[] = [];
  for (const value of values.map(normalizeForScan)) {
    if (value.length < MIN_SECRET_CHARS) continue;
    for (const text of texts) {
      if (value.length < PIECE_CHARS) {
        if (text.includes(value)) leaks.push(value);
        continue;
      }
      for (let i = 0; i + PIECE_CHARS <= text.length; i++) {
        const piece = text.slice(i, i + PIECE_CHARS);
        if (value.includes(piece)) leaks.push(piece);
      }
    }
  }
  return leaks;
}

/** Every string in a secret object, for the leak check. */
const stringsIn = (secret: Readonly<Record<string, unknown>>): string[] =>
  Object.values(secret).flatMap((value) =>
    typeof value === 'string' ? [value] : typeof value === 'object' && value ? stringsIn(value as Record<string, unknown>) : [],
  );

const FIELD_NAMES = ['apiKey', 'apiSecret', 'passphrase', 'createdAt'];

/** Text shaped like a secret, or like what gets pasted instead of one. */
const secretText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 80, unit: 'binary' }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 80, unit: 'grapheme' }) },
  // Huge: a secret file that is really a log, or a key pasted a thousand times.
  fc.tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 500, max: 5000 })).map(([unit, times]) => unit.repeat(times)),
  // PEM-looking junk: real armour around text that is not a key, with real or JSON-escaped newlines.
  fc
    .record({
      label: fc.constantFrom(
        'EC PRIVATE KEY',
        'PRIVATE KEY',
        'RSA PRIVATE KEY',
        'PUBLIC KEY',
        'ENCRYPTED PRIVATE KEY',
        'OPENSSH PRIVATE KEY',
      ),
      body: fc.oneof(fc.base64String({ maxLength: 400 }), fc.string({ maxLength: 100 })),
      newline: fc.constantFrom('\n', '\\n', '\r\n', ''),
      closed: fc.boolean(),
    })
    .map(
      ({ label, body, newline, closed }) =>
        `-----BEGIN ${label}-----${newline}${body}${newline}${closed ? `-----END ${label}-----${newline}` : ''}`,
    ),
  // Base64-looking junk, 64 bytes (an Ed25519 CDP secret's size) among others.
  fc
    .oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 200 }))
    .map((bytes) => Buffer.from(bytes).toString('base64')),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 64 }),
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 40 }).map((text) => ` ${text}\n`),
);

/** A secret object: the exchange's fields (each maybe missing) with text or any JSON, plus stray fields. */
const secretObject = fc
  .record({
    fields: fc.dictionary(fc.constantFrom(...FIELD_NAMES), fc.oneof({ weight: 4, arbitrary: secretText }, fc.jsonValue({ maxDepth: 2 }))),
    stray: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
  })
  .map(({ fields, stray }) => asParsed({ ...stray, ...fields }) as Record<string, unknown>);

describe('the value check of the fuzz properties', () => {
  it('finds a value quoted whole, cut short, JSON-escaped or percent-encoded, and nothing in a message without it', () => {
    const value = 'k9Zq/4vX+2mW8pLr0TfYb6Nc1HsJd3Ge';
    for (const message of [`bad ${value}`, `bad …${value.slice(5, 24)}…`, JSON.stringify({ v: `${value}"` }), encodeURIComponent(value)])
      expect([message, leaksIn(message, [value]).length > 0]).toEqual([message, true]);
    expect(leaksIn('The secret field "apiSecret" is not base64.', [value, 'short', 'abcdefghij'])).toEqual([]);
  });
});

/** Valid secrets of the exchange's simulator, each kept, or with one field replaced by generated text or JSON, or left out. */
function nearValidSecret(id: ExchangeId) {
  const sim = loadSimulatedExchange(id);
  const valid = Array.from({ length: 5 }, (_, i) => sim.makeKey(`fuzz${i}`).secret);
  return fc
    .record({
      secret: fc.constantFrom(...valid),
      field: fc.constantFrom(...FIELD_NAMES),
      change: fc.oneof(
        { weight: 4, arbitrary: secretText },
        fc.jsonValue({ maxDepth: 1 }),
        fc.constant(undefined),
        fc.constant<'keep'>('keep'),
      ),
    })
    .map(({ secret, field, change }) => asParsed(change === 'keep' ? secret : { ...secret, [field]: change }) as Record<string, unknown>);
}

describe.each(EXCHANGE_IDS)('%s parseCredentials under fuzzing', (id) => {
  const adapter = adapterOf(id);
  const secrets = fc.oneof(secretObject, nearValidSecret(id));

  it('answers any secret with credentials that sign, or a finding that names a field and quotes no value', () => {
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(secrets, (secret) => {
        const parsed = adapter.parseCredentials(secret);
        outcomes[parsed.ok ? 'accepted' : 'refused'] += 1;
        if (parsed.ok) {
          // Accepted credentials sign every read without throwing, and list what must be hidden; a value no
          // HTTP header can carry is refused when the request is laid out (SECRET_INVALID naming the header).
          expect(adapter.secretValues(parsed.credentials).every((value) => typeof value === 'string')).toBe(true);
          for (const probe of adapter.probes({ futures: true, sandbox: false }))
            try {
              buildSignedRequest(adapter, parsed.credentials, probe.request, signAt(1_700_000_000_123, adapter.origin));
            } catch (error) {
              if (!(error instanceof HeaderValueError)) throw error;
              expect(leaksIn(error.message, stringsIn(secret))).toEqual([]);
            }
          return;
        }
        const { code, message } = parsed.finding;
        // A legacy Coinbase key is recognised and reported as expired by Coinbase, not as a malformed secret.
        if (code === 'KEY_EXPIRED' && id === 'coinbase-advanced') return;
        expect(code).toBe('SECRET_INVALID');
        expect(message).toMatch(/field "(apiKey|apiSecret|passphrase)"|no "(apiKey|apiSecret|passphrase)" field/);
        expect(leaksIn(message, stringsIn(secret))).toEqual([]);
      }),
      { numRuns: RUNS.perAdapter },
    );
    // The generated secrets reach both answers: signing with what was accepted, and the field named in what was not.
    expect(outcomes.accepted).toBeGreaterThan(RUNS.perAdapter / 10);
    expect(outcomes.refused).toBeGreaterThan(RUNS.perAdapter / 3);
  });
});

describe('readSecret under fuzzing', () => {
  const key = configFor([{ name: 'k', exchange: 'okx' }]).keys[0];
  if (!key) throw new Error('no key');

  it('answers any stored text with its JSON fields, or a SECRET_INVALID finding that never quotes it', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200, unit: 'binary' }),
      fc.json({ maxDepth: 3 }),
      fc
        .record({
          createdAt: fc.oneof(
            fc.string(),
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.jsonValue(),
          ),
          apiSecret: secretText,
        })
        .map((secret) => JSON.stringify(secret)),
    );
    await fc.assert(
      fc.asyncProperty(text, async (stored) => {
        const read = await readSecret(key, { load: async () => ({ text: stored }) });
        if (read.ok) {
          expect(typeof read.fields === 'object' && !Array.isArray(read.fields)).toBe(true);
          return;
        }
        expect(read.finding.code).toBe('SECRET_INVALID');
        expect(leaksIn(read.finding.message, [stored])).toEqual([]);
      }),
      { numRuns: RUNS.secretText },
    );
  });
});

/** Whether JSON.parse accepts `text`. */
function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** locateJsonError agrees with JSON.parse, and places an error as `line L, column C: reason` inside the text. */
function agreesWithJsonParse(text: string): void {
  const located = locateJsonError(text);
  expect([text, located === undefined]).toEqual([text, parses(text)]);
  if (located === undefined) return;
  const match = /^line (\d+), column (\d+): \S/.exec(located);
  expect([text, located, match !== null]).toEqual([text, located, true]);
  const lines = text.split('\n');
  const [line, column] = [Number(match?.[1]), Number(match?.[2])];
  expect(line).toBeLessThanOrEqual(lines.length);
  expect(column).toBeLessThanOrEqual((lines[line - 1]?.length ?? 0) + 1);
}

describe('locateJsonError under fuzzing', () => {
  it('agrees with JSON.parse about any string', () => {
    const anyText = fc.oneof(
      fc.string({ maxLength: 60, unit: 'binary' }),
      fc.string({ maxLength: 60, unit: fc.constantFrom(...'{}[]",:0123456789-+.eE \t\n\r\\/u truefalsn'.split('')) }),
    );
    fc.assert(fc.property(anyText, agreesWithJsonParse), { numRuns: RUNS.json });
  });

  it('agrees with JSON.parse about valid JSON and JSON with one character inserted, deleted or replaced', () => {
    const edited = fc
      .record({
        json: fc.json({ maxDepth: 4 }),
        indent: fc.constantFrom(0, 2, '\t'),
        at: fc.nat(),
        edit: fc.constantFrom('insert', 'delete', 'replace', 'none'),
        char: fc.oneof(
          fc.constantFrom(...'{}[]",:-+.eE0\\\t\n\r\u0000\u001f\u2028'.split('')),
          fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
        ),
      })
      .map(({ json, indent, at, edit, char }) => {
        const text = JSON.stringify(JSON.parse(json), null, indent);
        const i = text.length === 0 ? 0 : at % text.length;
        if (edit === 'insert') return text.slice(0, i) + char + text.slice(i);
        if (edit === 'delete') return text.slice(0, i) + text.slice(i + 1);
        if (edit === 'replace') return text.slice(0, i) + char + text.slice(i + 1);
        return text;
      });
    fc.assert(fc.property(edited, agreesWithJsonParse), { numRuns: RUNS.json });
  });

  it('agrees with JSON.parse about deeply nested documents, closed or cut short', () => {
    const deep = fc
      .record({ depth: fc.integer({ min: 1, max: 20_000 }), open: fc.constantFrom('[', '{"a":'), cut: fc.nat({ max: 3 }) })
      .map(({ depth, open, cut }) => {
        const text = `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`;
        return cut === 0 ? text : text.slice(0, text.length - cut);
      });
    fc.assert(fc.property(deep, agreesWithJsonParse), { numRuns: RUNS.deep });
  });
});
