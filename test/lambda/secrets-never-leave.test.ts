import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerSource } from '../../lambda/aws/secrets-manager';
import { runCli } from '../../lambda/cli/main';
import { SYSTEM_CLOCK } from '../../lambda/clock';
import { DAY_MS } from '../../lambda/duration';
import { buildSignedRequest } from '../../lambda/engine/exchange-requests';
import { DEFAULT_RETRY } from '../../lambda/engine/runtime';
import { AlertDeliveryError } from '../../lambda/errors';
import { ADAPTERS, EXCHANGE_IDS, type ExchangeId } from '../../lambda/exchanges/registry';
import type { ExchangeAdapter } from '../../lambda/exchanges/types';
import type { FindingCode } from '../../lambda/findings';
import { createHandler, type LambdaContext } from '../../lambda/handler';
import type { Transport } from '../../lambda/http/http-client';
import { nodeTransport } from '../../lambda/http/node-transport';
import type { LogEntry } from '../../lambda/log';
import type { KeyResult, Report } from '../../lambda/report';
import { synth } from '../lib/stack-fixture';
import { type ClientTap, type LocalDynamo, startDynalite, tapClient } from '../support/dynalite';
import { collectStrings, LeakScanner } from '../support/leak-scan';
import { signAt } from '../support/sign-context';
import { MISBEHAVIOURS, type SeenRequest, type SimKey, type Simulator, startSimulator } from '../support/simulator/sim-server';
import { type DemoKey, loadSimulatedExchange } from '../support/simulator/simulated-exchange';

/**
 * Canary secrets in every exchange's secret formats, run through every way key-health speaks (the
 * CLI's table and JSON, the Lambda's report, log lines, metric lines, SNS messages, alert state,
 * thrown errors, the CDK template): no secret value, and no signature, token, signed payload or
 * passphrase that was sent, may show, whole or as any 16-character piece.
 */

type Kind = 'healthy' | 'wrong-secret' | 'unknown-key' | 'echo' | 'format' | 'demo' | 'malformed' | 'unreadable';

/** How a secret fails to be read: on the CLI's side, and the error (or odd answer) Secrets Manager gives. */
interface Unreadable {
  readonly cli: 'secrets-manager' | 'missing-file' | 'unset-env';
  /** What GetSecretValue throws, or resolves with when it is not an Error; `text` is the secret it would have held. */
  readonly failure: (text: string) => unknown;
}

interface Scenario {
  readonly name: string;
  readonly exchange: ExchangeId;
  readonly kind: Kind;
  /** The stored secret: a JSON object, or raw text. */
  readonly secret: Readonly<Record<string, unknown>> | string;
  readonly simKey?: SimKey;
  readonly conditions?: DemoKey['conditions'];
  readonly expect?: Readonly<Record<string, boolean>>;
  /** The codes the check must report, where the scenario fixes them. */
  readonly codes?: readonly FindingCode[];
  readonly unreadable?: Unreadable;
}

const ECHO = { misbehave: MISBEHAVIOURS.echo };
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:key-health-alerts';
const CONTEXT: LambdaContext = { getRemainingTimeInMillis: () => 60_000, functionName: 'key-health-checker', awsRequestId: 'req-canary' };
const PLAIN_HEADERS = new Set(['accept', 'user-agent', 'host', 'connection', 'content-type', 'content-length', 'transfer-encoding']);
/** A signed timestamp (epoch s or ms, or ISO like OKX's) is public, and may equal a time the report shows. */
const TIMESTAMP = /^\d+$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
/** Generous, and a bounded number of keys at once: on a loaded machine a slow answer must not turn a key unknown. */
const TIMEOUT_MS = 10_000;
const CONCURRENCY = 50;
const TEN_DAYS_AGO = new Date(Date.now() - 10 * DAY_MS).toISOString().slice(0, 10);

const canary = () => `canary-${randomBytes(12).toString('hex')}`;

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** Malformed secrets, each built from a fresh valid one so that every field is a canary of its own. */
const MALFORMED: ReadonlyArray<readonly [string, (own: Readonly<Record<string, string>>) => Record<string, unknown> | string]> = [
  ['not-json', () => `apiSecret=${canary()}`],
  ['json-list', () => JSON.stringify([canary(), canary()])],
  ['secret-object', (own) => ({ ...own, apiSecret: { value: canary() } })],
  ['no-secret', ({ apiSecret: _dropped, ...rest }) => ({ ...rest, comment: canary() })],
  ['blank-secret', (own) => ({ ...own, apiSecret: ' \n ' })],
  ['pem-junk', (own) => ({ ...own, apiSecret: `-----BEGIN EC PRIVATE KEY-----\n${canary()}\n-----END EC PRIVATE KEY-----\n` })],
  ['base64-junk', (own) => ({ ...own, apiSecret: Buffer.from(canary()).toString('base64') })],
  ['padded-secret', (own) => ({ ...own, apiSecret: ` ${own.apiSecret}\n` })],
  ['quoted-key', (own) => ({ ...own, apiKey: `${canary()}"\\'<&>` })],
  [
    'quoted-passphrase',
    (own) => ('passphrase' in own ? { ...own, passphrase: `${canary()}"\\'<&>` } : { ...own, apiSecret: `${canary()}"\\` }),
  ],
  ['latin1-key', (own) => ({ ...own, apiKey: `${canary()}ü` })],
  ['unicode-key', (own) => ({ ...own, apiKey: `${canary()}€` })],
  ['huge-key', (own) => ({ ...own, apiKey: randomBytes(15_000).toString('base64') })],
  ['bad-created-at', (own) => ({ ...own, createdAt: canary() })],
  ['extra-field', (own) => ({ ...own, note: canary() })],
];

/** Secrets that cannot be read, each failure quoting the secret it would have returned. */
const UNREADABLE: ReadonlyArray<readonly [string, Unreadable]> = [
  ['access-denied', { cli: 'secrets-manager', failure: (text) => awsError('AccessDeniedException', `not authorized to read ${text}`) }],
  [
    'deserialization',
    {
      cli: 'secrets-manager',
      failure: (text) =>
        Object.assign(new SyntaxError(`Unexpected token in JSON at position 1: ${text}`), {
          $response: { statusCode: 200, body: text },
          $responseBodyText: text,
        }),
    },
  ],
  ['kms', { cli: 'secrets-manager', failure: (text) => awsError('KMSInvalidStateException', `the key of ${text} is disabled`) }],
  ['unknown-error', { cli: 'secrets-manager', failure: (text) => awsError('MysteryError', text) }],
  ['binary', { cli: 'secrets-manager', failure: (text) => ({ SecretBinary: new TextEncoder().encode(text), VersionId: 'v1' }) }],
  ['missing-file', { cli: 'missing-file', failure: (text) => awsError('ResourceNotFoundException', `no secret ${text}`) }],
  ['unset-env', { cli: 'unset-env', failure: (text) => awsError('ResourceNotFoundException', `no secret ${text}`) }],
];

function scenariosOf(id: ExchangeId): Scenario[] {
  const sim = loadSimulatedExchange(id);
  const fresh = () => sim.makeKey('canary');
  const standing = sim.standingCodes?.(Date.now()) ?? [];
  const key = (name: string, kind: Kind, made: ReturnType<typeof fresh>, more: Partial<Scenario> = {}): Scenario => ({
    name: `${id}-${name}`,
    exchange: id,
    kind,
    secret: made.secret,
    simKey: made.simKey,
    ...(sim.expect && { expect: sim.expect }),
    ...more,
  });
  const wrong = fresh();
  const unknown = fresh();
  const base: Scenario[] = [
    key('healthy', 'healthy', fresh(), { codes: standing }),
    key('wrong-secret', 'wrong-secret', wrong, { secret: { ...wrong.secret, apiSecret: fresh().secret.apiSecret } }),
    { ...key('unknown-key', 'unknown-key', unknown), simKey: undefined },
    key('echo', 'echo', fresh(), { conditions: ECHO }),
    ...extraFormats(id, fresh, standing).map((s) => ({ ...s, ...(sim.expect && { expect: sim.expect }) })),
    ...sim.demoKeys().map(
      (demo): Scenario => ({
        name: `demo-${demo.name}`,
        exchange: id,
        kind: 'demo',
        secret: { createdAt: TEN_DAYS_AGO, ...demo.secret },
        codes: demo.codes,
        ...(demo.simKey && { simKey: demo.simKey }),
        ...(demo.expect && { expect: demo.expect }),
        ...(demo.conditions && { conditions: demo.conditions }),
      }),
    ),
  ];
  // A PEM pasted into JSON by hand keeps its line breaks as the two characters `\n`.
  const escaped = base.flatMap((s): Scenario[] => {
    if (typeof s.secret === 'string' || typeof s.secret.apiSecret !== 'string' || !s.secret.apiSecret.includes('-----BEGIN')) return [];
    return [
      { ...s, name: `${s.name}-escaped`, kind: 'format', secret: { ...s.secret, apiSecret: s.secret.apiSecret.replace(/\n/g, '\\n') } },
    ];
  });
  const malformed = MALFORMED.map(([variant, build]) =>
    key(variant, 'malformed', fresh(), { conditions: ECHO, secret: build(fresh().secret) }),
  );
  const unreadable = UNREADABLE.map(([variant, how]) => key(variant, 'unreadable', fresh(), { unreadable: how }));
  return [...base, ...escaped, ...malformed, ...unreadable];
}

/** Secret formats the simulator's own keys do not cover: Coinbase Advanced's Ed25519 and PKCS#8 EC keys. */
function extraFormats(
  id: ExchangeId,
  fresh: () => { simKey: SimKey; secret: Readonly<Record<string, string>> },
  standing: readonly FindingCode[],
) {
  if (id !== 'coinbase-advanced') return [];
  const ec = fresh();
  const pkcs8 = createPrivateKey(ec.secret.apiSecret ?? '')
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const ed = generateKeyPairSync('ed25519');
  const jwk = ed.privateKey.export({ format: 'jwk' });
  const edSecret = Buffer.concat([Buffer.from(jwk.d ?? '', 'base64url'), Buffer.from(jwk.x ?? '', 'base64url')]).toString('base64');
  const edKey = `canary-ed25519-${randomBytes(6).toString('hex')}`;
  const edPublic = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return [
    { name: `${id}-pkcs8`, exchange: id, kind: 'format', secret: { ...ec.secret, apiSecret: pkcs8 }, simKey: ec.simKey, codes: standing },
    {
      name: `${id}-ed25519`,
      exchange: id,
      kind: 'format',
      secret: { apiKey: edKey, apiSecret: edSecret },
      simKey: { ...fresh().simKey, apiKey: edKey, secret: edPublic },
      codes: standing,
    },
  ] satisfies Scenario[];
}

/** The text of a stored secret. */
const textOf = (scenario: Scenario) => (typeof scenario.secret === 'string' ? scenario.secret : JSON.stringify(scenario.secret));

/** Every string a secret holds (a valid `createdAt` date is not a secret). */
function secretStrings(scenario: Scenario): string[] {
  if (typeof scenario.secret === 'string') return [scenario.secret];
  const { createdAt, ...fields } = scenario.secret;
  const dated = typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt));
  return [...collectStrings(dated ? fields : scenario.secret)];
}

/** The values in a header or query value that may carry a secret: split at separators, `name=` dropped. */
function atomsOf(value: string): string[] {
  return value
    .split(/[\s,&;]+/)
    .map((part) => part.replace(/^[A-Za-z_]+=/, ''))
    .flatMap((part) => {
      let decoded = part;
      try {
        decoded = decodeURIComponent(part);
      } catch {
        // Not percent-encoded: the part as it is.
      }
      return [...new Set([part, decoded])];
    })
    .filter((atom) => atom.length >= 12 && !TIMESTAMP.test(atom));
}

function signedValues(request: {
  headers: Readonly<Record<string, string>>;
  query?: string | undefined;
  body?: string | undefined;
}): string[] {
  const headers = Object.entries(request.headers).filter(([name]) => !PLAIN_HEADERS.has(name.toLowerCase()));
  const query = [...new URLSearchParams(request.query ?? '').values()];
  return [...headers.map(([, value]) => value), ...query, ...(request.body ? [request.body] : [])].flatMap(atomsOf);
}

// biome-ignore lint/suspicious/noExplicitAny: every adapter, whatever its credential type.
const adapterOf = (id: ExchangeId) => ADAPTERS[id] as ExchangeAdapter<any>;

/** Each adapter's request values that do not depend on the key (scheme names, fixed parameters): public, never looked for. */
function publicAtoms(id: ExchangeId): string[] {
  const adapter = adapterOf(id);
  const sim = loadSimulatedExchange(id);
  const [a, b] = [sim.makeKey('public-a'), sim.makeKey('public-b')].map((made) => {
    const parsed = adapter.parseCredentials(made.secret);
    if (!parsed.ok) throw new Error(`${id}: ${parsed.finding.message}`);
    return new Set(
      adapter.probes({ futures: true, sandbox: false }).flatMap((probe) => {
        const { http, signed } = buildSignedRequest(adapter, parsed.credentials, probe.request, signAt(1_700_000_000_123, adapter.origin));
        const url = new URL(http.url);
        return [...signedValues({ ...http, query: url.search.slice(1) }), ...signed.sensitive.flatMap(atomsOf)];
      }),
    );
  });
  return [...(a ?? [])].filter((atom) => b?.has(atom));
}

const sm = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);

describe('no secret leaves key-health', () => {
  const scenarios = EXCHANGE_IDS.flatMap(scenariosOf);
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const sims = new Map<string, Simulator>();
  const dir = mkdtempSync(join(tmpdir(), 'key-health-leak-'));
  const outputs = new Map<string, Set<string>>();
  const scanner = new LeakScanner();
  const derived = new LeakScanner();
  const transportErrors: unknown[] = [];
  const runs: { cliJson?: Report; lambda?: Report; lambdaFailure?: unknown; cliCodes: number[] } = { cliCodes: [] };
  let seen: Array<SeenRequest & { exchange: ExchangeId }> = [];
  const synthesized: string[] = [];

  const output = (label: string, value: unknown) => {
    const strings = outputs.get(label) ?? new Set<string>();
    collectStrings(value, strings);
    outputs.set(label, strings);
  };
  const simIdOf = (s: Scenario) => `${s.exchange} ${JSON.stringify(s.conditions ?? {})}`;
  const originOf = (s: Scenario) => {
    const sim = sims.get(simIdOf(s)) ?? sims.get(simIdOf({ ...s, conditions: undefined }));
    if (!sim) throw new Error(`no simulator for ${s.name}`);
    return sim.origin;
  };
  /** Records what the transport throws (a refused header, a reset), so thrown errors are scanned too. */
  const recording: Transport = (request, signal) =>
    nodeTransport(request, signal).catch((error: unknown) => {
      transportErrors.push(error);
      throw error;
    });

  let dynamo: LocalDynamo;
  let ddb: ClientTap;

  beforeAll(async () => {
    dynamo = await startDynalite();
    ddb = tapClient(dynamo.client);
    for (const scenario of scenarios) {
      for (const id of [simIdOf(scenario), simIdOf({ ...scenario, conditions: undefined })]) {
        if (sims.has(id)) continue;
        const conditions = scenarios.find((s) => simIdOf(s) === id)?.conditions ?? {};
        const sim = await startSimulator(loadSimulatedExchange(scenario.exchange).handler, { skewMs: conditions.skewMs ?? 0 });
        if (conditions.misbehave) sim.misbehave('', conditions.misbehave);
        sims.set(id, sim);
      }
      if (scenario.simKey) sims.get(simIdOf(scenario))?.keys.set(scenario.simKey.apiKey, scenario.simKey);
    }
    stubAws();
    await runTheCli();
    await runTheLambda();
    synthTheStack();
    seen = [...sims.entries()].flatMap(([id, sim]) =>
      sim.seen.map((request) => ({ ...request, exchange: id.split(' ')[0] as ExchangeId })),
    );
    registerSecrets();
  }, 120_000);

  afterAll(async () => {
    await dynamo?.stop();
    await Promise.all([...sims.values()].map((sim) => sim.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  function stubAws() {
    for (const mock of [sm, sns]) mock.reset();
    sm.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      const scenario = byName.get(input.SecretId.replace(/^trading\//, ''));
      if (!scenario) throw new Error(`no secret ${input.SecretId}`);
      if (!scenario.unreadable)
        return { SecretString: textOf(scenario), VersionId: `v-${scenario.name}`, CreatedDate: new Date(TEN_DAYS_AGO) };
      const failure = scenario.unreadable.failure(textOf(scenario));
      if (failure instanceof Error) throw failure;
      return failure;
    });
    // The rotation metadata read fails for healthy keys, quoting the secret: only the AWS error's name may be logged.
    sm.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => {
      const scenario = byName.get(input.SecretId.replace(/^trading\//, ''));
      if (scenario?.kind === 'healthy') throw awsError('AccessDeniedException', `may not describe ${textOf(scenario)}`);
      return { RotationEnabled: false };
    });
    sns.on(PublishCommand).resolves({ MessageId: 'msg-canary' });
  }

  async function runTheCli() {
    const env: Record<string, string> = { HOME: dir };
    let shared = false;
    const keys = scenarios.map((s) => {
      const variable = `KH_${s.name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
      let credentials: Record<string, unknown>;
      if (s.unreadable?.cli === 'secrets-manager') credentials = { secretId: `trading/${s.name}` };
      else if (s.unreadable?.cli === 'missing-file') credentials = { credentials: { file: `${s.name}.json` } };
      else if (s.unreadable?.cli === 'unset-env' || s.kind === 'healthy') {
        credentials = { credentials: { env: variable } };
        if (!s.unreadable) env[variable] = textOf(s);
      } else {
        const file = join(dir, `${s.name}.json`);
        writeFileSync(file, textOf(s), { mode: 0o600 });
        // One file others may read: the CLI's warning names the file, never what it holds.
        if (!shared) chmodSync(file, 0o644);
        shared = true;
        credentials = { credentials: { file: `${s.name}.json` } };
      }
      return {
        name: s.name,
        exchange: s.exchange,
        baseUrl: originOf(s),
        timeoutMs: TIMEOUT_MS,
        ...(s.expect && { expect: s.expect }),
        ...credentials,
      };
    });
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ concurrency: CONCURRENCY, keys }));
    for (const json of [true, false]) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await runCli(
        ['check', '--config', configPath, ...(json ? ['--json'] : [])],
        { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env, cwd: dir, isTty: !json, stderrIsTty: true },
        {
          transport: recording,
          clock: SYSTEM_CLOCK,
          remoteSecrets: () => new SecretsManagerSource(new SecretsManagerClient({ region: 'eu-west-1' })),
        },
      );
      runs.cliCodes.push(code);
      output(json ? 'CLI --json stdout' : 'CLI table stdout', stdout.join(''));
      output('CLI stderr', stderr.join(''));
      if (json && stdout.length === 0) throw new Error(stderr.join(''));
      if (json) runs.cliJson = JSON.parse(stdout.join('')) as Report;
    }
  }

  async function runTheLambda() {
    const config = {
      concurrency: CONCURRENCY,
      keys: scenarios.map((s) => ({
        name: s.name,
        exchange: s.exchange,
        secretId: `trading/${s.name}`,
        baseUrl: originOf(s),
        timeoutMs: TIMEOUT_MS,
        ...(s.expect && { expect: s.expect }),
      })),
    };
    const env = {
      KEY_HEALTH_CONFIG: JSON.stringify(config),
      ALERT_TOPIC_ARN: TOPIC,
      STATE_TABLE_NAME: await dynamo.createTable(),
      AWS_REGION: 'eu-west-1',
      DASHBOARD_NAME: 'KeyHealth',
    };
    const logs: LogEntry[] = [];
    const metrics: string[] = [];
    const handler = () =>
      createHandler({
        secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
        sns: new SNSClient({ region: 'eu-west-1' }),
        dynamodb: dynamo.client,
        env,
        transport: recording,
        retry: { ...DEFAULT_RETRY, backoffMs: 10 },
        log: (entry) => logs.push(entry),
        emitMetric: (line) => metrics.push(line),
      });
    runs.lambda = await handler()({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, CONTEXT);
    output('Lambda report', runs.lambda);
    output(
      'SNS publish',
      sns.commandCalls(PublishCommand).map((call) => call.args[0].input),
    );

    // A second run on a fresh state table whose publishes fail: the handler throws after trying every key.
    await dynamo.clearTable(env.STATE_TABLE_NAME);
    sns.on(PublishCommand).rejects(awsError('InvalidParameterException', 'Invalid parameter: Message'));
    const broken = runs.lambda.results.filter((r) => r.status === 'critical').map((r) => r.name);
    runs.lambdaFailure = await handler()({ keys: broken.slice(0, 20) }, CONTEXT).catch((error: unknown) => error);
    output('thrown errors', runs.lambdaFailure);
    output('Lambda log', logs);
    output('EMF metric lines', metrics);
    output('DynamoDB alert state', [
      ...ddb.calls.map((call) => call.input),
      (await dynamo.client.send(new ScanCommand({ TableName: env.STATE_TABLE_NAME }))).Items,
    ]);
    output('thrown errors', transportErrors);
  }

  function synthTheStack() {
    // The stack reads every secret from Secrets Manager: the config holds only names and secretIds. One key
    // of each exchange and kind keeps the synth quick (the template grows with every key).
    const keys = [...new Map(scenarios.map((s) => [`${s.exchange} ${s.kind}`, s])).values()].map((s) => ({
      name: s.name,
      exchange: s.exchange,
      secretId: `trading/${s.name}`,
      ...(s.expect && { expect: s.expect }),
    }));
    synthesized.push(...keys.map((k) => k.secretId));
    const { stack, template } = synth({ keyHealth: { keys, alerts: { emails: ['oncall@trading-desk.net', 'ops@example.com'] } } });
    const json = template.toJSON() as { Outputs?: unknown };
    output('CDK template', json);
    output('CDK outputs', json.Outputs ?? {});
    const annotations = Annotations.fromStack(stack);
    output(
      'CDK annotations',
      [
        annotations.findError('*', Match.anyValue()),
        annotations.findWarning('*', Match.anyValue()),
        annotations.findInfo('*', Match.anyValue()),
      ]
        .flat()
        .map((message) => message.entry.data),
    );
  }

  /** Canaries: every string of every stored secret. Derived: what signing put on the wire, as sent and as built. */
  function registerSecrets() {
    for (const id of EXCHANGE_IDS) for (const atom of publicAtoms(id)) derived.ignore(atom);
    for (const scenario of scenarios) {
      for (const value of secretStrings(scenario)) scanner.add(value, `${scenario.name} secret`);
      if (typeof scenario.secret === 'string') continue;
      const adapter = adapterOf(scenario.exchange);
      const parsed = adapter.parseCredentials(scenario.secret);
      if (!parsed.ok) continue;
      for (const value of adapter.secretValues(parsed.credentials)) scanner.add(value, `${scenario.name} secret`);
      for (const futures of [true, false])
        for (const probe of adapter.probes({ futures, sandbox: false })) {
          let built: ReturnType<typeof buildSignedRequest>;
          try {
            built = buildSignedRequest(adapter, parsed.credentials, probe.request, signAt(Date.now(), originOf(scenario), 'random'));
          } catch {
            // A key an HTTP header cannot carry is refused before anything is signed for the wire (SECRET_INVALID).
            continue;
          }
          const { http, signed } = built;
          const url = new URL(http.url);
          for (const value of [...signedValues({ ...http, query: url.search.slice(1) }), ...signed.sensitive.flatMap(atomsOf)])
            derived.add(value, `${scenario.name} signed ${probe.request.method} ${probe.request.path}`);
        }
    }
    for (const request of seen)
      for (const value of signedValues(request)) derived.add(value, `${request.exchange} sent ${request.method} ${request.path}`);
  }

  const resultsOf = (report: Report | undefined): Map<string, KeyResult> => new Map((report?.results ?? []).map((r) => [r.name, r]));
  const codesOf = (result: KeyResult | undefined): FindingCode[] => [...new Set(result?.findings.map((f) => f.code))].sort();

  it('drives every scenario down the output path it is meant for', () => {
    const cli = resultsOf(runs.cliJson);
    const lambda = resultsOf(runs.lambda);
    expect([cli.size, lambda.size]).toEqual([scenarios.length, scenarios.length]);
    for (const s of scenarios) {
      for (const result of [cli.get(s.name), lambda.get(s.name)]) {
        const codes = codesOf(result);
        // A round trip slowed by a loaded machine may read as clock drift, so a drift warning is not compared.
        const steady = (list: readonly FindingCode[]) => [...new Set(list)].filter((code) => code !== 'CLOCK_DRIFT').sort();
        if (s.codes) expect([s.name, steady(codes)]).toEqual([s.name, steady(s.codes)]);
        if (s.kind === 'wrong-secret' || s.kind === 'unknown-key') expect([s.name, result?.status]).toEqual([s.name, 'critical']);
        // The exchange quoted the request back; what it quoted of the key is shown redacted.
        if (s.kind === 'echo') expect([s.name, result?.findings.some((f) => f.message.includes('[redacted]'))]).toEqual([s.name, true]);
        if (s.kind === 'unreadable')
          expect([s.name, codes.filter((c) => c === 'SECRET_UNREADABLE' || c === 'SETUP_INCOMPLETE').length]).toEqual([s.name, 1]);
        if (s.kind === 'malformed' && codes.includes('SECRET_INVALID'))
          expect([s.name, result?.findings[0]?.message]).toEqual([
            s.name,
            expect.stringMatching(/"(apiKey|apiSecret|passphrase|createdAt)"|JSON/),
          ]);
      }
    }
    // The malformed secrets no exchange accepts are refused before anything is sent.
    for (const variant of ['not-json', 'json-list', 'secret-object', 'no-secret', 'blank-secret', 'pem-junk', 'bad-created-at'])
      for (const id of EXCHANGE_IDS) expect([id, variant, codesOf(cli.get(`${id}-${variant}`))]).toEqual([id, variant, ['SECRET_INVALID']]);
    expect(runs.cliCodes).toEqual([2, 2]);
  });

  it('reaches every output: alerts published, alert state kept, metrics written, a failed delivery thrown, the stack synthesized', () => {
    const alerted = new Set(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.MessageAttributes?.key?.StringValue));
    const shouldAlert = runs.lambda?.results.filter((r) => r.status === 'critical' || r.status === 'warning').map((r) => r.name) ?? [];
    expect(shouldAlert.length).toBeGreaterThan(100);
    for (const name of shouldAlert) expect([name, alerted.has(name)]).toEqual([name, true]);
    expect(runs.lambdaFailure).toBeInstanceOf(AlertDeliveryError);
    expect(ddb.calls.filter((call) => call.command === 'UpdateItemCommand').length).toBeGreaterThanOrEqual(shouldAlert.length * 2);
    // The alert state was read in batches, as in production, not one key at a time after a failed batch.
    expect(ddb.calls.filter((call) => call.command === 'BatchGetItemCommand').length).toBeGreaterThan(0);
    expect(ddb.calls.filter((call) => call.command === 'GetItemCommand')).toEqual([]);
    expect(outputs.get('EMF metric lines')?.size).toBeGreaterThan(scenarios.length);
    const template = [...(outputs.get('CDK template') ?? [])].join('\n');
    expect(synthesized.length).toBeGreaterThan(EXCHANGE_IDS.length * 7);
    for (const secretId of synthesized) expect(template).toContain(secretId);
    // Every exchange was sent signed requests (a key no header can carry is refused before sending: SECRET_INVALID).
    for (const id of EXCHANGE_IDS) expect([id, seen.filter((r) => r.exchange === id).length > 10]).toEqual([id, true]);
    // The CLI warned about the credentials file others may read, and the synth about an example contact.
    expect([...(outputs.get('CLI stderr') ?? [])].join('')).toContain('can be read by other users');
    expect(outputs.get('CDK annotations')?.size).toBeGreaterThan(0);
  });

  it('finds a planted secret whole, cut short, JSON-escaped, percent-encoded and split over PEM lines', () => {
    const pem = scenarios.find((s) => s.name === 'coinbase-advanced-healthy')?.secret as Record<string, string>;
    const signature = seen.find((r) => r.headers['ok-access-sign'] !== undefined)?.headers['ok-access-sign'] ?? '';
    const planted = [
      `a message quoting ${(pem.apiSecret ?? '').slice(40, 60)} in passing`,
      JSON.stringify({ body: `"x":"${signature}\\"` }),
      `/path?sig=${encodeURIComponent(signature)}`,
      (pem.apiSecret ?? '').split('\n').slice(1, 3).join('\r\n'),
    ];
    for (const text of planted) {
      const found = [...scanner.scan(new Map([['planted', [text]]])), ...derived.scan(new Map([['planted', [text]]]))];
      expect([text, found.length > 0]).toEqual([text, true]);
    }
  });

  it('shows no canary secret, nor any 16-character piece of one, in any output', () => {
    expect(scanner.values).toBeGreaterThan(scenarios.length * 2);
    expect(scanner.scan(outputs)).toEqual([]);
  });

  it('shows no signature, token, signed payload or passphrase that was sent, nor any 16-character piece of one, in any output', () => {
    expect(derived.values).toBeGreaterThan(1000);
    expect(derived.scan(outputs)).toEqual([]);
  });
});
