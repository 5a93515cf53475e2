import { parseConfig } from '../../lambda/config';
import { classifyResponse } from '../../lambda/engine/classify';
import { buildSignedRequest } from '../../lambda/engine/exchange-requests';
import type { ErrorRule, ExchangeAdapter, ExchangeRequest } from '../../lambda/exchanges/types';
import { FINDING_CODES, type FindingCode, worstStatus } from '../../lambda/findings';
import type { HttpRequest } from '../../lambda/http/http-client';
import type { KeyResult, Report } from '../../lambda/report';
import { codesOf, MemorySecrets, runAgainst } from './harness';
import { signAt } from './sign-context';
import { MISBEHAVIOURS, type Misbehaviour, type Simulator, startSimulator } from './simulator/sim-server';
import { loadSimulatedExchange, type SimulatedExchange } from './simulator/simulated-exchange';

/** A request as ccxt's `sign()` builds it. */
export interface OracleRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
}

/** An error answer the exchange documents (or the community has seen), and the code it must map to. */
export interface DocumentedError {
  readonly status: number;
  readonly body: string;
  readonly code: FindingCode;
  /** Where the body comes from: a doc page, an SDK file, an issue ([V], [C], [E]). */
  readonly source: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A secret's fields, as stored. */
export type SecretFields = Readonly<Record<string, string>>;

/**
 * What one adapter brings to the contract suite: its simulator, how to make a key it knows, the
 * oracle for its signing, its documented error bodies and malformed secrets. Every adapter that
 * passes the suite signs like ccxt, sends only allow-listed reads, reads the exchange's clock, maps
 * every documented error, names bad secret fields, keeps secrets out of its output, and meets the
 * network's failure modes with the right code.
 */
export interface AdapterContract {
  // biome-ignore lint/suspicious/noExplicitAny: the suite takes adapters of every credential type.
  readonly adapter: ExchangeAdapter<any>;
  /** Its simulator: the handler, and keys it knows (`makeKey`) with the `expect` that makes them healthy. */
  readonly simulator: SimulatedExchange;
  /** What a secret that is not the key's own (another key's `apiSecret`) is reported as. */
  readonly wrongSecretCodes: readonly FindingCode[];
  /** What a key the exchange never issued is reported as. */
  readonly unknownKeyCodes: readonly FindingCode[];
  /**
   * ccxt's request for the same read, its clock frozen at `nowMs` and its random bytes pinned to
   * 0xab (as `signAt` pins ours); `null` where ccxt has no equivalent read (the suite then needs `verify`).
   */
  ccxtSign(request: ExchangeRequest, secret: SecretFields, nowMs: number): OracleRequest | null;
  /**
   * How ours and ccxt's compare: `authHeaders` byte for byte (with the URL and body), or `verify`
   * for signatures that are not deterministic (ES256), which asserts on its own.
   */
  readonly compare:
    | { readonly authHeaders: readonly string[] }
    | { verify(ours: HttpRequest, theirs: OracleRequest | null, secret: SecretFields): void };
  readonly documentedErrors: readonly DocumentedError[];
  /** Secrets that are malformed, each with the words the finding must contain (naming the field). */
  readonly malformedSecrets: readonly (readonly [Readonly<Record<string, unknown>>, string])[];
}

const T_MS = 1_700_000_000_123;
/**
 * JSON a 200 may carry that no read of any adapter documents: bare values and the success envelopes
 * of the exchanges with nothing inside. An adapter that takes one for a healthy answer is fooled by
 * any proxy or captive portal that answers 200.
 */
const NEUTRAL_BODIES = [
  '{}',
  '[]',
  'null',
  '{"ok":true}',
  '{"success":true}',
  '{"data":[]}',
  '{"data":{}}',
  '{"result":{}}',
  '{"code":"0","msg":"","data":[]}',
  '{"retCode":0,"retMsg":"OK","result":{}}',
  '{"result":"success"}',
  '{"jsonrpc":"2.0","result":{}}',
];
/** How far past its deadline a run may end: scheduling on a busy machine, not a wait of ours. */
const DEADLINE_GRACE_MS = 800;
const PLAIN_HEADERS = new Set(['accept', 'user-agent', 'host', 'connection', 'content-type', 'content-length', 'x-auth-version']);
/** A signed timestamp (epoch ms, or ISO like OKX's) is public, and may equal a time the report shows. */
const TIMESTAMP = /^\d+$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** The contract fixture of exchange `id`: by convention `test/support/contracts/<id>.ts` exports it as `contract`. */
export function loadAdapterContract(id: string): AdapterContract {
  const loaded = (require(`./contracts/${id}`) as { contract?: AdapterContract }).contract;
  if (!loaded || loaded.adapter.id !== id)
    throw new Error(`test/support/contracts/${id}.ts must export the contract of ${id} as "contract"`);
  if (loaded.simulator !== loadSimulatedExchange(id)) throw new Error(`the contract of ${id} must use test/support/simulator/${id}.ts`);
  return loaded;
}

/** Runs the whole contract suite for one adapter against its simulator. */
export function describeAdapterContract(contract: AdapterContract): void {
  const { adapter } = contract;
  describe(`${adapter.id} adapter contract`, () => {
    let sim: Simulator;
    /** A second exchange of the same kind, on its own port: a redirect's target, and the healthy exchange beside a broken one. */
    let other: Simulator;
    const secrets = new MemorySecrets();
    let counter = 0;

    beforeAll(async () => {
      sim = await startSimulator(contract.simulator.handler);
      other = await startSimulator(contract.simulator.handler);
    });
    afterAll(async () => {
      await sim.close();
      await other.close();
    });
    beforeEach(() => {
      for (const each of [sim, other]) {
        each.reset();
        each.skewMs = 0;
      }
    });

    /**
     * Registers a fresh key with the simulator (unless `known` is false; with `other` too when `alsoOther`)
     * and stores `secret` for it.
     */
    function prepare(options: { known?: boolean; alsoOther?: boolean; secret?: (own: SecretFields) => Record<string, unknown> } = {}) {
      const name = `k${++counter}`;
      const { simKey, secret } = contract.simulator.makeKey(name);
      if (options.known !== false) sim.keys.set(simKey.apiKey, simKey);
      if (options.alsoOther) other.keys.set(simKey.apiKey, simKey);
      const stored = options.secret ? options.secret(secret) : secret;
      secrets.set(name, stored);
      return { name, secret, stored };
    }

    /** Checks the keys in one run, each on its own exchange (`sim` unless given). */
    async function checkAll(
      keys: readonly { name: string; on?: Simulator; timeoutMs?: number }[],
      more: { retries?: number; deadlineMs?: number } = {},
    ): Promise<Report> {
      const config = parseConfig({
        keys: keys.map((key) => ({
          name: key.name,
          exchange: adapter.id,
          secretId: key.name,
          baseUrl: (key.on ?? sim).origin,
          ...(contract.simulator.expect && { expect: contract.simulator.expect }),
          ...(key.timeoutMs && { timeoutMs: key.timeoutMs }),
        })),
      });
      return runAgainst(config, secrets, { retries: more.retries ?? 1, ...(more.deadlineMs && { deadlineMs: more.deadlineMs }) });
    }

    async function check(
      name: string,
      more: { timeoutMs?: number; retries?: number; deadlineMs?: number } = {},
    ): Promise<{ report: Report; result: KeyResult }> {
      const report = await checkAll([{ name, ...(more.timeoutMs && { timeoutMs: more.timeoutMs }) }], more);
      const [result] = report.results;
      if (!result) throw new Error('no result');
      return { report, result };
    }

    /** The status and codes of a healthy key of this exchange (Kraken Futures' keys carry a dated finding). */
    function healthy(): [string, FindingCode[]] {
      const standing = contract.simulator.standingCodes?.(Date.now()) ?? [];
      return [standing.length === 0 ? 'ok' : worstStatus(standing.map((code) => FINDING_CODES[code].severity)), [...standing]];
    }

    /** Times `work` on the wall clock. */
    async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
      const startedAt = Date.now();
      const value = await work();
      return [value, Date.now() - startedAt];
    }

    const allProbes = () => [...adapter.probes({ futures: true, sandbox: false }), ...adapter.probes({ futures: false, sandbox: false })];

    it('signs every probe as ccxt does with a frozen clock', () => {
      const { secret } = contract.simulator.makeKey('oracle');
      const parsed = adapter.parseCredentials(secret);
      if (!parsed.ok) throw new Error(parsed.finding.message);
      for (const probe of adapter.probes({ futures: true, sandbox: false })) {
        const ours = buildSignedRequest(
          adapter,
          parsed.credentials,
          probe.request,
          signAt(T_MS, probe.request.origin ?? adapter.origin),
        ).http;
        const theirs = contract.ccxtSign(probe.request, secret, T_MS);
        if ('verify' in contract.compare) {
          contract.compare.verify(ours, theirs, secret);
          continue;
        }
        if (!theirs) throw new Error(`no ccxt oracle for ${probe.request.method} ${probe.request.path}`);
        expect([probe.label, ours.url]).toEqual([probe.label, theirs.url]);
        expect([probe.label, ours.body ?? '']).toEqual([probe.label, theirs.body ?? '']);
        for (const header of contract.compare.authHeaders) {
          const theirValue = Object.entries(theirs.headers).find(([name]) => name.toLowerCase() === header.toLowerCase())?.[1];
          expect([probe.label, header, ours.headers[header]]).toEqual([probe.label, header, theirValue]);
        }
      }
    });

    it('allow-lists exactly its time read and its probes, and sends nothing else', async () => {
      const reads = new Set(allProbes().map((p) => `${p.request.method} ${p.request.path}`));
      if (adapter.time) {
        expect(adapter.time.request.method).toBe('GET');
        reads.add(`GET ${adapter.time.request.path}`);
      }
      expect([...adapter.allowList].sort()).toEqual([...reads].sort());
      const { name } = prepare();
      await check(name);
      expect(sim.seen.length).toBeGreaterThan(0);
      for (const request of sim.seen) expect(adapter.allowList).toContain(`${request.method} ${request.path}`);
    });

    it('reports a healthy key as ok, with the exchange clock read', async () => {
      const { name } = prepare();
      // The exchange 1 s ahead of us: inside every window (under half of the narrowest, 5 s, even with a
      // Date header's ±500 ms), and the safe direction where being ahead is fatal.
      sim.skewMs = 1000;
      const { result } = await check(name);
      const standing = contract.simulator.standingCodes?.(Date.now()) ?? [];
      const expected = standing.length === 0 ? 'ok' : worstStatus(standing.map((code) => FINDING_CODES[code].severity));
      expect([result.status, result.findings.map((f) => f.code)]).toEqual([expected, [...standing]]);
      expect(result.clock.source).toEqual(adapter.time ? 'time-endpoint' : expect.stringMatching(/^(date-header|response-body)$/));
      // A Date header has one-second resolution: its estimate is within ±500 ms plus the round trip.
      expect(Math.abs((result.clock.offsetMs ?? Number.NaN) + 1000)).toBeLessThan(adapter.time ? 250 : 800);
      expect(result.latencyMs).not.toBeNull();
    });

    it('reports an unknown key and a wrong secret with their codes', async () => {
      const unknown = prepare({ known: false });
      expect(codesOf((await check(unknown.name)).report, unknown.name)).toEqual([...contract.unknownKeyCodes].sort());
      const other = contract.simulator.makeKey('other').secret;
      const wrong = prepare({ secret: (own) => ({ ...own, apiSecret: other.apiSecret ?? '' }) });
      expect(codesOf((await check(wrong.name)).report, wrong.name)).toEqual([...contract.wrongSecretCodes].sort());
    });

    it('maps every documented error body to its code, and every error rule has a documented body', () => {
      const request = adapter.probes({ futures: true, sandbox: false })[0]?.request;
      if (!request) throw new Error('no probe');
      const used = new Set<ErrorRule>();
      for (const documented of contract.documentedErrors) {
        const response = {
          status: documented.status,
          headers: { 'content-type': 'application/json', ...documented.headers },
          body: documented.body,
          sentAtMs: 0,
          receivedAtMs: 1,
          attempts: 1,
        };
        const classified = classifyResponse(adapter, request, response);
        expect([documented.source, documented.body, classified.ok ? 'ok' : classified.code]).toEqual([
          documented.source,
          documented.body,
          documented.code,
        ]);
        if (!classified.ok && classified.rule) used.add(classified.rule);
      }
      const unused = adapter.errors.filter((rule) => !used.has(rule));
      expect(unused.map((rule) => `${rule.code} ${String(rule.error ?? rule.body ?? rule.status)}`)).toEqual([]);
    });

    it('names the bad field of a malformed secret, never its value', () => {
      expect(contract.malformedSecrets.length).toBeGreaterThan(0);
      for (const [secret, words] of contract.malformedSecrets) {
        const parsed = adapter.parseCredentials(secret);
        expect([words, parsed.ok ? 'parsed' : parsed.finding.code]).toEqual([words, 'SECRET_INVALID']);
        if (parsed.ok) continue;
        expect(parsed.finding.message).toContain(words);
        for (const value of Object.values(secret))
          if (typeof value === 'string' && value.length >= 8) expect(parsed.finding.message).not.toContain(value);
      }
    });

    it('keeps secret values and every signed header and query value out of the report, even when the exchange quotes them back', async () => {
      const { name, secret } = prepare();
      sim.misbehave('', MISBEHAVIOURS.echo);
      const { report } = await check(name, { retries: 0 });
      const printed = JSON.stringify(report);
      expect(printed).toContain('[redacted]');
      // A value cut short is still a leak: no 16-character piece of a secret value may show.
      for (const value of Object.values(secret)) for (const piece of piecesOf(value, 16)) expect(printed).not.toContain(piece);
      const signedValues = sim.seen.flatMap((request) =>
        [
          ...Object.entries(request.headers).filter(([header]) => !PLAIN_HEADERS.has(header)),
          ...new URLSearchParams(request.query).entries(),
        ].flatMap(([, value]) => (value.length < 12 || TIMESTAMP.test(value) ? [] : [value])),
      );
      for (const value of signedValues) expect(printed).not.toContain(value);
    });

    const window = adapter.clockWindow;
    if (window) {
      it('blames the clock, not the key, when our clock is ahead beyond the window', async () => {
        const { name } = prepare();
        sim.skewMs = -(window.aheadMs + (adapter.time ? 1500 : 3000));
        const { result } = await check(name);
        expect(result.findings.map((f) => f.code)).toEqual(['CLOCK_SKEW_REJECTED']);
        expect(result.findings[0]?.message).toMatch(/Measured offset \+\d+ ms/);
      });

      it('warns of drift that uses more than half of the window, before the exchange refuses it', async () => {
        const { name } = prepare();
        // The wider side, so the estimate's error (±500 ms for a Date header) stays well inside the window.
        const behind = window.behindMs >= window.aheadMs;
        const offsetMs = Math.round((behind ? window.behindMs : window.aheadMs) * 0.75);
        sim.skewMs = behind ? offsetMs : -offsetMs;
        const { result } = await check(name);
        expect(result.findings.map((f) => f.code)).toEqual(['CLOCK_DRIFT']);
        expect(result.status).toBe('warning');
      });
    }

    it.each<[string, FindingCode, Misbehaviour]>([
      ['a hang past the timeout', 'EXCHANGE_UNAVAILABLE', MISBEHAVIOURS.hang],
      ['a 503 with an HTML page', 'EXCHANGE_UNAVAILABLE', MISBEHAVIOURS.unavailableHtml],
      ['a 429 with Retry-After', 'RATE_LIMITED', MISBEHAVIOURS.rateLimitedHtml],
      ['a 451', 'LOCATION_BLOCKED', MISBEHAVIOURS.geoBlocked],
      ['a connection reset', 'EXCHANGE_UNAVAILABLE', MISBEHAVIOURS.connectionReset],
      ['malformed JSON', 'UNEXPECTED_RESPONSE', MISBEHAVIOURS.malformedJson],
    ])('reports %s as %s, never as healthy', async (_label, code, misbehaviour) => {
      const { name } = prepare();
      sim.misbehave('', misbehaviour);
      const { result } = await check(name, { timeoutMs: 300, retries: 0 });
      expect(result.findings.map((f) => f.code)).toEqual([code]);
      expect(result.findings[0]?.message).not.toMatch(/<[a-z!]/i);
    });

    it.each<[string, Misbehaviour, RegExp]>([
      ['its headers', MISBEHAVIOURS.cutAfterHeaders, /closed after 0 bytes of the HTTP \d{3} answer/],
      ['half of its body', MISBEHAVIOURS.cutMidBody, /closed after [1-9]\d* bytes of the HTTP \d{3} answer/],
    ])('reports a connection closed after %s as EXCHANGE_UNAVAILABLE, never the part that came', async (_label, misbehaviour, words) => {
      const { name } = prepare();
      sim.misbehave('', misbehaviour);
      const { result } = await check(name, { timeoutMs: 2000, retries: 0 });
      expect([result.status, result.findings.map((f) => f.code)]).toEqual(['unknown', ['EXCHANGE_UNAVAILABLE']]);
      expect(result.findings[0]?.message).toMatch(words);
    });

    it('times out a body that trickles a byte at a time: the timeout covers the whole answer, not its headers', async () => {
      const { name } = prepare();
      // The healthy answer, headers at once and a byte every 50 ms: whole, it would take seconds and pass.
      sim.misbehave('', MISBEHAVIOURS.trickle);
      const [{ result }, elapsedMs] = await timed(() => check(name, { timeoutMs: 150, retries: 0 }));
      expect(result.findings.map((f) => f.code)).toEqual(['EXCHANGE_UNAVAILABLE']);
      expect(result.findings[0]?.message).toContain('timed out after 150 ms');
      expect(elapsedMs).toBeLessThan(150 + DEADLINE_GRACE_MS);
    });

    it('cuts a body that never ends at a bounded size, at once, and says so', async () => {
      const { name } = prepare();
      sim.misbehave('', MISBEHAVIOURS.endless);
      // A long timeout and retries allowed: the cut, not the timeout, must end each read, and it is not retried.
      const [{ result }, elapsedMs] = await timed(() => check(name, { timeoutMs: 20_000, retries: 2 }));
      expect([result.status, result.findings.map((f) => f.code)]).toEqual(['unknown', ['UNEXPECTED_RESPONSE']]);
      expect(result.findings[0]?.message).toMatch(/answered HTTP 200 with a body cut at 1000000 bytes/);
      expect(elapsedMs).toBeLessThan(5000);
      const sent = sim.seen.map((request) => `${request.method} ${request.path}`);
      expect(sent).toEqual([...new Set(sent)]);
    });

    it.each([301, 302, 303, 307, 308])(
      'never follows a %d redirect: nothing reaches the other host, and the finding names only that host',
      async (status) => {
        // The target knows the key too: had the redirect been followed, the key would look healthy.
        const { name } = prepare({ alsoOther: true });
        const target = new URL(other.origin).host;
        sim.misbehave('', { kind: 'status', status, headers: { location: `${other.origin}/collect?token=abc123` }, body: '' });
        const { result } = await check(name, { retries: 2 });
        expect(other.seen).toEqual([]);
        expect([result.status, result.findings.map((f) => f.code)]).toEqual(['unknown', ['UNEXPECTED_RESPONSE']]);
        expect(result.findings[0]?.message).toContain(`HTTP ${status}, a redirect to ${target};`);
        expect(result.findings[0]?.message).not.toMatch(/collect|token|abc123/);
        const sent = sim.seen.map((request) => `${request.method} ${request.path}`);
        expect(sent).toEqual([...new Set(sent)]);
      },
    );

    it('reports a 429 whose Retry-After is an hour away as RATE_LIMITED at once, without waiting or retrying', async () => {
      const { name } = prepare();
      sim.misbehave('', MISBEHAVIOURS.rateLimitedForAnHour);
      const [{ result }, elapsedMs] = await timed(() => check(name, { retries: 2 }));
      expect(result.findings.map((f) => f.code)).toEqual(['RATE_LIMITED']);
      expect(result.findings[0]?.message).toContain('Retry-After: 3600');
      expect(elapsedMs).toBeLessThan(1000);
      const sent = sim.seen.map((request) => `${request.method} ${request.path}`);
      expect(sent).toEqual([...new Set(sent)]);
    });

    it('does not wait for a Retry-After that ends past the run deadline, even one it would otherwise honour', async () => {
      const { name } = prepare();
      // 4 s is under the 5 s the retry policy waits for, but past the 2 s deadline.
      sim.misbehave('', { ...MISBEHAVIOURS.rateLimitedForAnHour, headers: { 'retry-after': '4' } });
      const [{ result }, elapsedMs] = await timed(() => check(name, { retries: 2, deadlineMs: 2000 }));
      expect(result.findings.map((f) => f.code)).toEqual(['RATE_LIMITED']);
      expect(elapsedMs).toBeLessThan(1000);
    });

    it.each(NEUTRAL_BODIES)('never reports a key ok from a 200 with %s for every request', async (body) => {
      const { name } = prepare();
      sim.misbehave('', { kind: 'status', status: 200, body });
      const { result } = await check(name, { retries: 0 });
      expect(result.status).not.toBe('ok');
      expect(result.findings.map((f) => f.code)).toContain('UNEXPECTED_RESPONSE');
    });

    it('refuses a 200 with a neutral body on every probe on its own, the other reads answering as the exchange does', async () => {
      const paths = [...new Set(allProbes().map((probe) => probe.request.path))];
      for (const path of paths)
        for (const body of NEUTRAL_BODIES) {
          const { name } = prepare();
          sim.reset();
          sim.misbehave(path, { kind: 'status', status: 200, body }, Number.POSITIVE_INFINITY);
          const { result } = await check(name, { retries: 0 });
          const refused = result.findings.find((f) => f.code === 'UNEXPECTED_RESPONSE');
          expect([path, body, result.status, refused?.message.includes(path)]).toEqual([path, body, 'unknown', true]);
        }
    });

    it("does not let one exchange's failure touch another key's check in the same run", async () => {
      const broken = prepare();
      const fine = prepare({ known: false, alsoOther: true });
      sim.misbehave('', MISBEHAVIOURS.hang);
      const report = await checkAll(
        [
          { name: broken.name, timeoutMs: 100 },
          { name: fine.name, on: other },
        ],
        { retries: 0 },
      );
      const [brokenResult, fineResult] = report.results;
      expect(brokenResult?.findings.map((f) => f.code)).toEqual(['EXCHANGE_UNAVAILABLE']);
      expect([fineResult?.status, fineResult?.findings.map((f) => f.code)]).toEqual(healthy());
      expect(fineResult?.clock.offsetMs).not.toBeNull();
      expect(other.seen.length).toBeGreaterThan(0);
    });

    it('ends the run within its deadline when the exchange hangs, whatever the per-request timeout', async () => {
      const { name } = prepare();
      sim.misbehave('', MISBEHAVIOURS.hang);
      const deadlineMs = 200;
      const [{ result }, elapsedMs] = await timed(() => check(name, { timeoutMs: 30_000, retries: 2, deadlineMs }));
      expect(result.findings.map((f) => f.code)).toEqual(['EXCHANGE_UNAVAILABLE']);
      expect(elapsedMs).toBeLessThan(deadlineMs + DEADLINE_GRACE_MS);
    });
  });
}

/** Every `size`-character piece of `value` at a stride of `size`, ignoring PEM armour and line breaks. */
function piecesOf(value: string, size: number): string[] {
  const text = value.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const pieces: string[] = [];
  for (let i = 0; i + size <= text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces.length > 0 ? pieces : [value];
}
