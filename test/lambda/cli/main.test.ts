import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

async function cli(argv: string[], env: Record<string, string> = {}, client?: SecretsManagerClient) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, cwd: dir, isTty: false };
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
    [['check', '--bogus'], "Unknown option '--bogus'"],
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

  it('says a config that is not JSON is not JSON', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"keys": [');
    const { code, stderr } = await cli(['check', '--config', path]);
    expect(code).toBe(3);
    expect(stderr).toContain('not valid JSON');
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

  it('reads credentials from an environment variable and reports a missing one for that key only', async () => {
    const path = writeConfig('env.json', [
      key('from-env', { env: 'KH_GOOD' }),
      key('unset', { env: 'KH_UNSET' }),
      key('no-file', { file: 'missing.json' }),
    ]);
    const { code, stdout } = await cli(['check', '--config', path, '--json'], {
      KH_GOOD: JSON.stringify({ apiKey: 'cli-good', apiSecret: SECRET, passphrase: PASSPHRASE }),
    });
    const report = JSON.parse(stdout) as Report;
    expect(code).toBe(2);
    expect(report.results.map((r) => [r.name, r.findings.map((f) => f.code)])).toEqual([
      ['from-env', []],
      ['unset', ['SECRET_UNREADABLE']],
      ['no-file', ['SECRET_UNREADABLE']],
    ]);
    expect(report.results[1]?.findings[0]?.message).toContain('KH_UNSET');
    expect(report.results[2]?.findings[0]?.message).toContain('missing.json');
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
