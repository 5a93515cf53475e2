import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLambdaEnv } from '../../lambda/env';
import { EnvError } from '../../lambda/errors';

const VALID = {
  KEY_HEALTH_CONFIG: JSON.stringify({ keys: [{ name: 'k1', exchange: 'coinbase-exchange', secretId: 'trading/k1' }] }),
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:key-health-alerts',
  STATE_TABLE_NAME: 'KeyHealth-AlertState-1A2B3C',
};

function problemsOf(env: Record<string, string | undefined>, configDir?: string): readonly string[] {
  try {
    readLambdaEnv(env, { configDir });
  } catch (error) {
    if (error instanceof EnvError) return error.problems;
    throw error;
  }
  throw new Error('expected an EnvError');
}

describe('readLambdaEnv', () => {
  it('reads the config, the topic and the state table', () => {
    const env = readLambdaEnv({ ...VALID, STATE_TABLE_NAME: ' KeyHealth-AlertState-1A2B3C ' });
    expect(env.stateTableName).toBe('KeyHealth-AlertState-1A2B3C');
    expect(env.alertTopicArn).toBe(VALID.ALERT_TOPIC_ARN);
    expect(env.config.keys.map((k) => k.name)).toEqual(['k1']);
    expect(env.config.alerts).toMatchObject({ repeatAfterHours: 24, unknownAfterRuns: 3 });
  });

  it.each([
    ['missing', undefined, 'STATE_TABLE_NAME: is not set'],
    ['blank', '  ', 'STATE_TABLE_NAME: is not set'],
    ['too short', 'ab', 'STATE_TABLE_NAME: must be a DynamoDB table name (3-255 letters, digits, "_", "-" or "."), got "ab"'],
    ['an ARN', 'arn:aws:dynamodb:us-east-1:123456789012:table/t', 'STATE_TABLE_NAME: must be a DynamoDB table name'],
  ])('refuses a state table name that is %s, naming the variable', (_label, value, problem) => {
    const problems = problemsOf({ ...VALID, STATE_TABLE_NAME: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('names every problem at once', () => {
    expect(problemsOf({ ALERT_TOPIC_ARN: 'nope' })).toEqual([
      'KEY_HEALTH_CONFIG: is not set, nor is KEY_HEALTH_CONFIG_FILE; set exactly one of them',
      'ALERT_TOPIC_ARN: must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:key-health-alerts, got "nope"',
      'STATE_TABLE_NAME: is not set',
    ]);
  });

  describe('with the config in a file (KEY_HEALTH_CONFIG_FILE)', () => {
    const CONFIG = JSON.parse(VALID.KEY_HEALTH_CONFIG) as unknown;
    const dir = mkdtempSync(join(tmpdir(), 'key-health-env-'));
    const { KEY_HEALTH_CONFIG: _inline, ...REST } = VALID;
    const fileEnv = (name: string) => ({ ...REST, KEY_HEALTH_CONFIG_FILE: name });

    beforeAll(() => {
      mkdirSync(join(dir, 'nested'));
      writeFileSync(join(dir, 'key-health-config.json'), JSON.stringify(CONFIG));
      writeFileSync(join(dir, 'nested', 'config.json'), JSON.stringify(CONFIG));
      writeFileSync(join(dir, 'truncated.json'), '{"keys": [');
      writeFileSync(join(dir, 'no-secret-id.json'), JSON.stringify({ keys: [{ name: 'k', exchange: 'coinbase-exchange' }] }));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each([['key-health-config.json'], [' nested/config.json ']])('reads %j relative to the handler directory', (name) => {
      const env = readLambdaEnv(fileEnv(name), { configDir: dir });
      expect(env.config).toEqual(readLambdaEnv(VALID).config);
      expect(env.config.keys.map((k) => k.name)).toEqual(['k1']);
    });

    it('reads relative to the handler module by default', () => {
      expect(problemsOf(fileEnv('key-health-config.json'))).toEqual([
        expect.stringMatching(/^KEY_HEALTH_CONFIG_FILE: cannot read key-health-config\.json in .*lambda \(ENOENT\)$/),
      ]);
    });

    it.each([
      ['neither variable', REST, 'KEY_HEALTH_CONFIG: is not set, nor is KEY_HEALTH_CONFIG_FILE; set exactly one of them'],
      [
        'blank values for both',
        { ...REST, KEY_HEALTH_CONFIG: ' ', KEY_HEALTH_CONFIG_FILE: '' },
        'KEY_HEALTH_CONFIG: is not set, nor is KEY_HEALTH_CONFIG_FILE',
      ],
      [
        'both variables',
        { ...VALID, KEY_HEALTH_CONFIG_FILE: 'key-health-config.json' },
        'KEY_HEALTH_CONFIG, KEY_HEALTH_CONFIG_FILE: both are set; set exactly one',
      ],
      [
        'an absolute path',
        fileEnv(join(dir, 'key-health-config.json')),
        "KEY_HEALTH_CONFIG_FILE: must name a file inside the function's bundle",
      ],
      [
        'a path out of the bundle',
        fileEnv('../key-health-config.json'),
        'KEY_HEALTH_CONFIG_FILE: must name a file inside the function\'s bundle, without ".."',
      ],
      [
        'a ".." inside the path',
        fileEnv('nested/../key-health-config.json'),
        'without ".." or a leading "/", got "nested/../key-health-config.json"',
      ],
      ['a Windows-style ".."', fileEnv('..\\key-health-config.json'), 'KEY_HEALTH_CONFIG_FILE: must name a file inside'],
      ['a missing file', fileEnv('missing.json'), 'KEY_HEALTH_CONFIG_FILE: cannot read missing.json in '],
      ['a directory', fileEnv('nested'), 'KEY_HEALTH_CONFIG_FILE: cannot read nested in '],
      ['a file that is not JSON', fileEnv('truncated.json'), 'KEY_HEALTH_CONFIG_FILE: truncated.json: is not valid JSON'],
      ['a key without secretId', fileEnv('no-secret-id.json'), 'KEY_HEALTH_CONFIG_FILE: no-secret-id.json: keys[0].secretId: is required'],
    ])('refuses %s with one problem naming the variable', (_label, env, problem) => {
      const problems = problemsOf(env, dir);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(problem);
    });
  });
});
