import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/errors';
import {
  CONFIG_FILE_NAME,
  MAX_CONFIG_ENV_BYTES,
  MAX_CONFIG_FILE_BYTES,
  planLambdaConfigDelivery,
  serializeLambdaConfig,
  writeFileCommands,
} from '../../lib/lambda-config';

const parse = (raw: unknown) => parseConfig(raw, { requireSecretId: true });

describe('serializeLambdaConfig', () => {
  it.each([
    ['defaults only', { keys: [{ name: 'a', exchange: 'coinbase-exchange', secretId: 's/a' }] }],
    [
      'every per-key field set',
      {
        schedule: 'cron(0/10 * * * ? *)',
        concurrency: 7,
        alerts: { smsMinSeverity: 'warning', repeatAfterHours: 6, unknownAfterRuns: 5 },
        keys: [
          {
            name: 'b',
            exchange: 'coinbase-exchange',
            secretId: 's/b',
            expect: { futures: false, transfer: true, trade: false, ipRestricted: true },
            rotation: { maxAgeDays: 30, warnDays: 3 },
            timeoutMs: 2500,
            sandbox: true,
          },
          { name: 'c', exchange: 'coinbase-international', secretId: 's/c', baseUrl: 'https://api.example.com' },
        ],
      },
    ],
    [
      'config-wide defaults that differ from the built-in ones',
      {
        defaults: { rotation: { maxAgeDays: 60, warnDays: 10 }, timeoutMs: 8000, expect: { ipRestricted: true } },
        keys: [{ name: 'd', exchange: 'coinbase-exchange', secretId: 's/d' }],
      },
    ],
  ])('round-trips through parseConfig (%s)', (_case, raw) => {
    const config = parse({
      ...raw,
      alerts: { ...(raw as { alerts?: object }).alerts, emails: ['a@example.com'], phones: ['+15555550100'] },
    });
    expect(parse(JSON.parse(serializeLambdaConfig(config)))).toEqual({ ...config, alerts: { ...config.alerts, emails: [], phones: [] } });
  });

  it('leaves out recipients and per-key fields equal to the built-in defaults', () => {
    const config = parse({
      alerts: { emails: ['a@example.com'], phones: ['+15555550100'] },
      keys: [{ name: 'a', exchange: 'coinbase-exchange', secretId: 's/a' }],
    });
    expect(JSON.parse(serializeLambdaConfig(config))).toEqual({
      schedule: 'rate(5 minutes)',
      alerts: { smsMinSeverity: 'critical', repeatAfterHours: 24, unknownAfterRuns: 3 },
      concurrency: 100,
      keys: [{ name: 'a', exchange: 'coinbase-exchange', secretId: 's/a' }],
    });
  });
});

describe('lambdaConfigDelivery', () => {
  const withKeys = (count: number) =>
    parse({
      keys: Array.from({ length: count }, (_, i) => ({ name: `key-${i}`, exchange: 'coinbase-exchange', secretId: `trading/key-${i}` })),
    });

  it('keeps a config that fits in the environment there', () => {
    const config = withKeys(1);
    const delivery = planLambdaConfigDelivery(config);
    expect(delivery).toEqual({
      kind: 'environment',
      environment: { KEY_HEALTH_CONFIG: serializeLambdaConfig(config) },
      bytes: delivery.bytes,
    });
    expect(delivery.bytes).toBeLessThanOrEqual(MAX_CONFIG_ENV_BYTES);
  });

  it('ships a larger config as the file named by KEY_HEALTH_CONFIG_FILE', () => {
    const config = withKeys(100);
    const delivery = planLambdaConfigDelivery(config);
    expect(delivery).toEqual({
      kind: 'file',
      environment: { KEY_HEALTH_CONFIG_FILE: CONFIG_FILE_NAME },
      content: serializeLambdaConfig(config),
      bytes: Buffer.byteLength(serializeLambdaConfig(config)),
    });
    expect(delivery.bytes).toBeGreaterThan(MAX_CONFIG_ENV_BYTES);
  });

  it('refuses a config over the file limit, with its size', () => {
    const config = withKeys(3500);
    const bytes = Buffer.byteLength(serializeLambdaConfig(config));
    expect(bytes).toBeGreaterThan(MAX_CONFIG_FILE_BYTES);
    expect(() => planLambdaConfigDelivery(config)).toThrow(ConfigError);
    expect(() => planLambdaConfigDelivery(config)).toThrow(`the config takes ${bytes} bytes in the function's bundle`);
  });
});

describe('writeFileCommands', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the exact content through bash, in chunks under the argument limit, into a path with quotes and spaces', () => {
    const dir = mkdtempSync(join(tmpdir(), "key-health it's $HOME `x` "));
    dirs.push(dir);
    const file = join(dir, CONFIG_FILE_NAME);
    // Over one chunk, with characters a shell would expand if they reached it unencoded.
    const content = `{"text": "${'$(rm -rf /) `id` \'quoted\' "dq" ü €'.repeat(2_000)}"}`;
    const commands = writeFileCommands(file, content);
    expect(commands).toHaveLength(2);
    for (const command of commands) {
      expect(Buffer.byteLength(command)).toBeLessThan(128 * 1024);
      execFileSync('bash', ['-c', command]);
    }
    expect(readFileSync(file, 'utf8')).toBe(content);
  });
});
