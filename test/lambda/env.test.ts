import { EnvError, readLambdaEnv } from '../../lambda/env';

const VALID = {
  KEY_HEALTH_CONFIG: JSON.stringify({ keys: [{ name: 'k1', exchange: 'coinbase-exchange', secretId: 'trading/k1' }] }),
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:key-health-alerts',
  STATE_TABLE_NAME: 'KeyHealth-AlertState-1A2B3C',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    readLambdaEnv(env);
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
      'KEY_HEALTH_CONFIG: is not set',
      'ALERT_TOPIC_ARN: must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:key-health-alerts, got "nope"',
      'STATE_TABLE_NAME: is not set',
    ]);
  });
});
