import { parseConfig } from '../../lambda/config';
import { serializeLambdaConfig } from '../../lib/lambda-config';

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
