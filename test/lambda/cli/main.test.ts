import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerSource } from '../../../lambda/aws/secrets-manager';
import { type CliIo, HELP, runCli } from '../../../lambda/cli/main';
import { SYSTEM_CLOCK } from '../../../lambda/clock';
import { nodeTransport } from '../../../lambda/http/node-transport';
import type { Report } from '../../../lambda/report';
import { coinbaseExchangeHandler } from '../../support/simulator/coinbase-exchange';
import { type Simulator, startSimulator } from '../../support/simulator/sim-server';

const SECRET = randomBytes(64).toString('base64');
const PASSPHRASE = 'cli-passphrase-value';
const dir = mkdtempSync(join(tmpdir(), 'key-health-cli-'));
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator(coinbaseExchangeHandler, {
    keys: [
      {
        apiKey: 'cli-good',
        secret: SECRET,
        passphrase: PASSPHRASE,
        permissions: { view: true, trade: true, transfer: false },
        futures: true,
      },
    ],
  });
  writeFileSync(join(dir, 'good.json'), JSON.stringify({ apiKey: 'cli-good', apiSecret: SECRET, passphrase: PASSPHRASE }));
  writeFileSync(join(dir, 'bad-pass.json'), JSON.stringify({ apiKey: 'cli-good', apiSecret: SECRET, passphrase: 'not-the-passphrase' }));
});
afterAll(() => sim.close());

function writeConfig(name: string, keys: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ keys }));
  return path;
}

function key(name: string, credentials: Record<string, string>) {
  return { name, exchange: 'coinbase-exchange', credentials, baseUrl: sim.origin };
}

async function cli(argv: string[], env: Record<string, string> = {}, client?: SecretsManagerClient, more: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, cwd: dir, isTty: false, ...more };
  const code = await runCli(argv, io, {
    transport: nodeTransport,
    clock: SYSTEM_CLOCK,
    ...(client && { remoteSecrets: () => new SecretsManagerSource(client) }),
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('key-health CLI', () => {
  it('explains every option with --help', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toBe(HELP);
    for (const option of ['--config', '--json', '--only', '--deadline-seconds', '--no-color', 'Exit codes'])
      expect(stdout).toContain(option);
  });

  it.each([
    [[], 'missing command'],
    [['verify'], 'unknown command "verify"'],
    [['check'], '--config FILE is required'],
    [['check', '--config', 'nope.json'], 'no such file'],
    [['check', '--config', 'x', '--deadline-seconds', 'soon'], '--deadline-seconds must be a number'],
    [['check', '--bogus'], 'unknown option --bogus; the options are --config VALUE, --json, --only VALUE, --deadline-seconds VALUE'],
    [['check', '--config'], '--config needs a value, e.g. --config my-keys.json'],
    [['check', '--config', 'a.json', '--config', 'b.json'], '--config is given 2 times; give it once'],
    [['check', '--config', '.'], 'config . is a directory'],
    [['check', 'extra'], 'unexpected argument "extra"; key-health check takes options only'],
  ])('exits 3 (unknown) for the bad command line %j', async (argv, message) => {
    const { code, stderr, stdout } = await cli(argv);
    expect(code).toBe(3);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it('names the JSON path of a config problem', async () => {
    const path = writeConfig('typo.json', [{ name: 'a', exchange: 'coinbse', credentials: { file: 'good.json' } }]);
    const { code, stderr } = await cli(['check', '--config', path]);
    expect(code).toBe(3);
    expect(stderr).toContain('keys[0].exchange: unknown exchange "coinbse"; did you mean');
    expect(stderr).toContain('"coinbase-exchange"');
  });

  it.each([
    ['{"keys": [', 'line 1, column 11: the JSON ends too early'],
    ['{\n  "keys": [\n    {"name": "a",}\n  ]\n}', 'line 3, column 18: expected a "quoted" property name (a trailing comma?)'],
    ['{\n  "keys": x\n}', 'line 2, column 11: unexpected "x" where a value should be'],
  ])('says where a config that is not JSON goes wrong: %j', async (text, where) => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, text);
    const { code, stderr } = await cli(['check', '--config', path]);
    expect(code).toBe(3);
    expect(stderr).toContain(`(root): not valid JSON at ${where}`);
  });

  it('refuses an oversized config file without reading it', async () => {
    const path = join(dir, 'huge.json');
    writeFileSync(path, ' '.repeat(1_000_001));
    const { code, stderr } = await cli(['check', '--config', path]);
    expect(code).toBe(3);
    expect(stderr).toContain('is 1000001 bytes; a config is a few KB of JSON');
  });

  it('prints a table and exits 0 for a healthy key', async () => {
    const path = writeConfig('ok.json', [key('trading', { file: 'good.json' })]);
    const { code, stdout } = await cli(['check', '--config', path]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^KEY\s+EXCHANGE\s+STATUS/);
    expect(stdout).toMatch(/trading\s+coinbase-exchange\s+OK/);
    expect(stdout).toContain('Overall: OK');
  });

  it('prints the report JSON with --json and exits with the status code', async () => {
    const path = writeConfig('mixed.json', [key('trading', { file: 'good.json' }), key('stale', { file: 'bad-pass.json' })]);
    const { code, stdout } = await cli(['check', '--config', path, '--json']);
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as Report;
    expect(report.status).toBe('critical');
    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ['trading', 'ok'],
      ['stale', 'critical'],
    ]);
    expect(report.results[1]?.findings[0]?.code).toBe('AUTH_INVALID_PASSPHRASE');
    expect(Object.keys(report.results[0] ?? {})).toEqual([
      'name',
      'exchange',
      'status',
      'findings',
      'clock',
      'permissions',
      'expiry',
      'latencyMs',
      'notes',
    ]);
  });

  it('checks only the keys named with --only, and refuses unknown names', async () => {
    const path = writeConfig('only.json', [key('trading', { file: 'good.json' }), key('stale', { file: 'bad-pass.json' })]);
    const only = await cli(['check', '--config', path, '--json', '--only', 'trading']);
    expect(only.code).toBe(0);
    expect((JSON.parse(only.stdout) as Report).results.map((r) => r.name)).toEqual(['trading']);
    const unknown = await cli(['check', '--config', path, '--only', 'trading,nope']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('unknown key name(s) "nope"');
  });

  it('reads credentials from a variable, and calls a missing variable or file a setup to finish (exit 3), for that key only', async () => {
    const path = writeConfig('env.json', [
      key('from-env', { env: 'KH_GOOD' }),
      key('unset', { env: 'KH_UNSET' }),
      key('no-file', { file: 'missing.json' }),
    ]);
    const { code, stdout } = await cli(['check', '--config', path, '--json'], {
      KH_GOOD: JSON.stringify({ apiKey: 'cli-good', apiSecret: SECRET, passphrase: PASSPHRASE }),
    });
    const report = JSON.parse(stdout) as Report;
    expect(code).toBe(3);
    expect(report.results.map((r) => [r.name, r.findings.map((f) => f.code)])).toEqual([
      ['from-env', []],
      ['unset', ['SETUP_INCOMPLETE']],
      ['no-file', ['SETUP_INCOMPLETE']],
    ]);
    const [, unset, noFile] = report.results;
    expect(unset?.findings[0]?.message).toContain('KH_UNSET');
    expect(unset?.findings[0]?.remediation).toContain('export KH_UNSET=');
    expect(noFile?.findings[0]?.message).toContain('missing.json');
    expect(noFile?.findings[0]?.remediation).toContain('Create the credentials file');
    for (const result of [unset, noFile]) expect(result?.findings[0]?.remediation).not.toMatch(/Secrets Manager|IAM|kms/i);
  });

  it('expands ~/ in a credentials file path to the home directory', async () => {
    const home = mkdtempSync(join(tmpdir(), 'key-health-home-'));
    writeFileSync(join(home, 'k.json'), JSON.stringify({ apiKey: 'cli-good', apiSecret: SECRET, passphrase: PASSPHRASE }), { mode: 0o600 });
    const path = writeConfig('home.json', [key('home', { file: '~/k.json' })]);
    const { code, stdout } = await cli(['check', '--config', path, '--json'], { HOME: home });
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Report).results[0]?.status).toBe('ok');
  });

  it('warns once, naming the file, when a credentials file can be read by others', async () => {
    writeFileSync(join(dir, 'shared.json'), JSON.stringify({ apiKey: 'cli-good', apiSecret: SECRET, passphrase: PASSPHRASE }), {
      mode: 0o644,
    });
    chmodSync(join(dir, 'shared.json'), 0o644);
    writeFileSync(join(dir, 'private.json'), JSON.stringify({ apiKey: 'cli-good', apiSecret: SECRET, passphrase: PASSPHRASE }), {
      mode: 0o600,
    });
    chmodSync(join(dir, 'private.json'), 0o600);
    const path = writeConfig('modes.json', [
      key('a', { file: 'shared.json' }),
      key('b', { file: 'shared.json' }),
      key('c', { file: 'private.json' }),
    ]);
    const { code, stderr } = await cli(['check', '--config', path]);
    expect(code).toBe(0);
    expect(
      stderr.match(/warning: .*shared\.json holds an API secret and can be read by other users \(mode 644\); run: chmod 600/g),
    ).toHaveLength(1);
    expect(stderr).not.toContain('private.json');
  });

  it('tells a secret that is not a JSON object how to store it, not to fix a field', async () => {
    writeFileSync(join(dir, 'raw.txt'), SECRET);
    const path = writeConfig('raw.json', [key('raw', { file: 'raw.txt' })]);
    const { stdout } = await cli(['check', '--config', path, '--json']);
    const [finding] = (JSON.parse(stdout) as Report).results[0]?.findings ?? [];
    expect(finding?.code).toBe('SECRET_INVALID');
    expect(finding?.remediation).toContain('Store the secret as one JSON object');
    expect(finding?.remediation).not.toContain('named field');
    expect(stdout).not.toContain(SECRET);
  });

  it('shows progress on a terminal while a slow exchange holds the run, and nothing with --json', async () => {
    sim.latencyMs = 1500;
    try {
      const path = writeConfig('slow.json', [key('slow', { file: 'private.json' })]);
      const shown = await cli(['check', '--config', path], {}, undefined, { stderrIsTty: true });
      expect(shown.stderr).toContain('key-health: 0 of 1 keys checked');
      expect(shown.stderr.endsWith('\r\u001b[2K')).toBe(true);
      const json = await cli(['check', '--config', path, '--json'], {}, undefined, { stderrIsTty: true });
      expect(json.stderr).toBe('');
      const ci = await cli(['check', '--config', path], { CI: 'true' }, undefined, { stderrIsTty: true });
      expect(ci.stderr).toBe('');
    } finally {
      sim.latencyMs = 0;
    }
  });

  it('never prints a secret, passphrase or signature, in the table or the JSON', async () => {
    const path = writeConfig('leak.json', [key('trading', { file: 'good.json' }), key('stale', { file: 'bad-pass.json' })]);
    const outputs = [await cli(['check', '--config', path]), await cli(['check', '--config', path, '--json'])];
    for (const { stdout, stderr } of outputs) {
      for (const secret of [SECRET, PASSPHRASE, 'not-the-passphrase', SECRET.slice(0, 24)]) {
        expect(stdout).not.toContain(secret);
        expect(stderr).not.toContain(secret);
      }
    }
  });

  it('reads secretId keys from Secrets Manager, one client for all of them', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });
    const sm = mockClient(client);
    sm.on(GetSecretValueCommand, { SecretId: 'trading/good' })
      .resolves({ SecretString: JSON.stringify({ apiKey: 'cli-good', apiSecret: SECRET, passphrase: PASSPHRASE }), VersionId: 'v1' })
      .on(GetSecretValueCommand, { SecretId: 'trading/gone' })
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    sm.on(DescribeSecretCommand).resolves({});
    const path = writeConfig('sm.json', [
      { name: 'from-sm', exchange: 'coinbase-exchange', secretId: 'trading/good', baseUrl: sim.origin },
      { name: 'gone', exchange: 'coinbase-exchange', secretId: 'trading/gone', baseUrl: sim.origin },
    ]);
    const { code, stdout } = await cli(['check', '--config', path, '--json'], {}, client);
    const report = JSON.parse(stdout) as Report;
    expect(report.results.map((r) => [r.name, r.findings.map((f) => f.code)])).toEqual([
      ['from-sm', []],
      ['gone', ['SECRET_UNREADABLE']],
    ]);
    expect(report.results[1]?.findings[0]?.message).toContain('ResourceNotFoundException');
    expect(code).toBe(2);
    expect(
      sm
        .commandCalls(GetSecretValueCommand)
        .map((c) => c.args[0].input.SecretId)
        .sort(),
    ).toEqual(['trading/gone', 'trading/good']);
  });
});
