import { parseConfig, selectKeys } from '../../lambda/config';
import { ConfigError } from '../../lambda/errors';
import { EXCHANGE_IDS, PLANNED_EXCHANGE_IDS } from '../../lambda/exchanges/registry';
import { configFor } from '../support/harness';

/** The README's example config. */
const DESIGN_EXAMPLE = {
  schedule: 'rate(5 minutes)',
  alerts: {
    emails: ['ops@example.com'],
    phones: ['+15555550100'],
    smsMinSeverity: 'critical',
    repeatAfterHours: 24,
    unknownAfterRuns: 3,
  },
  defaults: { rotation: { maxAgeDays: 90, warnDays: 14 }, timeoutMs: 5000 },
  keys: [
    {
      name: 'coinbase-futures',
      exchange: 'coinbase-advanced',
      secretId: 'trading/coinbase-futures',
      expect: { futures: true, trade: true, transfer: false, ipRestricted: true },
      rotation: { maxAgeDays: 30 },
    },
  ],
};

const KEY = { name: 'k1', exchange: 'coinbase-exchange', secretId: 'trading/k1' };

/** The problems parseConfig reports for `input`, or fails the test when it accepts it. */
function problemsOf(input: unknown, options: Parameters<typeof parseConfig>[1] = {}): readonly string[] {
  try {
    parseConfig(input, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('parseConfig accepted the config');
}

/** A config with one key carrying the given extra fields. */
const withKey = (fields: Record<string, unknown>, root: Record<string, unknown> = {}) => ({ ...root, keys: [{ ...KEY, ...fields }] });

describe('parseConfig', () => {
  it('parses the README example with every default resolved', () => {
    const config = parseConfig(DESIGN_EXAMPLE);
    expect(config).toEqual({
      schedule: 'rate(5 minutes)',
      alerts: {
        emails: ['ops@example.com'],
        phones: ['+15555550100'],
        smsMinSeverity: 'critical',
        repeatAfterHours: 24,
        unknownAfterRuns: 3,
      },
      concurrency: 100,
      keys: [
        {
          name: 'coinbase-futures',
          exchange: 'coinbase-advanced',
          secretId: 'trading/coinbase-futures',
          expect: { futures: true, trade: true, transfer: false, ipRestricted: true },
          rotation: { maxAgeDays: 30, warnDays: 14 },
          timeoutMs: 5000,
          sandbox: false,
        },
      ],
    });
  });

  it('resolves defaults for a minimal key', () => {
    const [key] = parseConfig({ keys: [KEY] }).keys;
    expect(key?.expect).toEqual({ futures: true, transfer: false });
    expect(key?.expect.trade).toBeUndefined();
    expect(key?.expect.ipRestricted).toBeUndefined();
    expect(key?.rotation).toEqual({ maxAgeDays: 90, warnDays: 14 });
    expect(key?.timeoutMs).toBe(5000);
    expect(key?.sandbox).toBe(false);
  });

  it('resolves the top-level defaults', () => {
    const config = parseConfig({ keys: [KEY] });
    expect(config.schedule).toBe('rate(5 minutes)');
    expect(config.concurrency).toBe(100);
    expect(config.alerts).toEqual({ emails: [], phones: [], smsMinSeverity: 'critical', repeatAfterHours: 24, unknownAfterRuns: 3 });
  });

  it('lets a key override part of the default rotation and the default timeout', () => {
    const config = parseConfig({
      defaults: { rotation: { maxAgeDays: 60, warnDays: 7 }, timeoutMs: 2000, expect: { transfer: true } },
      keys: [KEY, { ...KEY, name: 'k2', rotation: { warnDays: 3 }, timeoutMs: 800, expect: { futures: false } }],
    });
    expect(config.keys.map((k) => [k.rotation, k.timeoutMs, k.expect])).toEqual([
      [{ maxAgeDays: 60, warnDays: 7 }, 2000, { futures: true, transfer: true }],
      [{ maxAgeDays: 60, warnDays: 3 }, 800, { futures: false, transfer: true }],
    ]);
  });

  it('accepts local credentials from a file or an environment variable', () => {
    const config = parseConfig({
      keys: [
        { name: 'a', exchange: 'coinbase-exchange', credentials: { file: 'a.json' } },
        { name: 'b', exchange: 'coinbase-exchange', credentials: { env: 'B_SECRET' } },
      ],
    });
    expect(config.keys.map((k) => k.credentials)).toEqual([{ file: 'a.json' }, { env: 'B_SECRET' }]);
    expect(config.keys[0]).not.toHaveProperty('secretId');
  });

  it('names the source in the error message, one problem per line', () => {
    expect(() => parseConfig({ keys: [] }, { source: 'cdk.json context keyHealth' })).toThrow(
      'Invalid cdk.json context keyHealth:\n  - keys: must name at least one key',
    );
  });

  it.each([
    ['a list', [], '(root): must be an object, got a list'],
    ['null', null, '(root): must be an object, got null'],
    ['a string', 'keys', '(root): must be an object, got the string "keys"'],
  ])('refuses %s as the root', (_, input, problem) => {
    expect(problemsOf(input)).toEqual([problem]);
  });

  it.each([
    [{}, 'keys: is required (a list of keys to check)'],
    [{ keys: {} }, 'keys: must be a list'],
    [{ keys: [] }, 'keys: must name at least one key'],
    [{ keys: ['k1'] }, 'keys[0]: must be an object, got the string "k1"'],
  ])('refuses keys in %j', (input, problem) => {
    expect(problemsOf(input)).toEqual([problem]);
  });

  it('names every close id for an unknown exchange', () => {
    const keys = [KEY, { ...KEY, name: 'k2' }, { ...KEY, name: 'k3', exchange: 'coinbse' }];
    // "coinbse" is equally close to all three Coinbase ids, so all three are offered rather than one picked at random.
    expect(problemsOf({ keys })).toEqual([
      'keys[2].exchange: unknown exchange "coinbse"; did you mean "coinbase-advanced", "coinbase-exchange" or "coinbase-international"?',
    ]);
  });

  it.each([
    ['coinbase-exchnage', '; did you mean "coinbase-exchange"?'],
    ['Coinbase-Exchange', '; did you mean "coinbase-exchange"?'],
    ['nasdaq', `; supported: ${EXCHANGE_IDS.join(', ')}`],
  ])('suggests for the unknown exchange %j', (exchange, hint) => {
    expect(problemsOf(withKey({ exchange }))).toEqual([`keys[0].exchange: unknown exchange ${JSON.stringify(exchange)}${hint}`]);
  });

  it('suggests only supported exchanges, and names a close planned one as not supported yet', () => {
    expect(PLANNED_EXCHANGE_IDS.length).toBeGreaterThan(0);
    for (const planned of PLANNED_EXCHANGE_IDS) {
      const [message = ''] = problemsOf(withKey({ exchange: planned.slice(0, -1) }));
      for (const suggested of message.match(/did you mean ([^?]*)\?/)?.[1]?.match(/"[^"]+"/g) ?? [])
        expect(EXCHANGE_IDS).toContain(JSON.parse(suggested));
      expect(message).toContain(`"${planned}" is planned but not supported yet`);
    }
  });

  it('refuses each planned but unsupported exchange, listing the supported ones', () => {
    for (const exchange of PLANNED_EXCHANGE_IDS)
      expect(problemsOf(withKey({ exchange }))).toEqual([
        `keys[0].exchange: exchange "${exchange}" is planned but not supported yet; supported: ${EXCHANGE_IDS.join(', ')}`,
      ]);
  });

  it.each([
    [{ exchange: undefined }, `keys[0].exchange: is required, one of ${EXCHANGE_IDS.join(', ')}`],
    [{ exchange: 7 }, 'keys[0].exchange: must be a string, got number 7'],
    [{ name: undefined }, 'keys[0].name: is required'],
    [{ name: '' }, 'keys[0].name: must be a non-empty string, got an empty string'],
  ])('refuses the key fields %j', (fields, problem) => {
    expect(problemsOf(withKey(fields))).toEqual([problem]);
  });

  it.each([
    ['a', true],
    ['A.b_c-9', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['-leading-dash', false],
    ['has space', false],
    ['slash/name', false],
  ])('checks the key name %j (valid: %s)', (name, valid) => {
    const input = withKey({ name });
    if (valid) expect(parseConfig(input).keys[0]?.name).toBe(name);
    else
      expect(problemsOf(input)).toEqual([
        `keys[0].name: must be 1-64 letters, digits, ".", "_" or "-" and start with a letter or digit, got ${JSON.stringify(name)}`,
      ]);
  });

  it('refuses duplicate key names at the later key', () => {
    expect(problemsOf({ keys: [KEY, { ...KEY, secretId: 'other' }, { ...KEY, name: 'k2' }] })).toEqual([
      'keys[1].name: duplicate key name "k1"',
    ]);
  });

  describe('secretId and credentials', () => {
    it('needs one of them', () => {
      expect(problemsOf({ keys: [{ name: 'k1', exchange: 'coinbase-exchange' }] })).toEqual([
        'keys[0]: needs "secretId" (Secrets Manager) or "credentials" ({"file": …} or {"env": …}) for local runs',
      ]);
    });

    it('refuses both', () => {
      expect(problemsOf(withKey({ credentials: { file: 'k.json' } }))).toEqual([
        'keys[0]: has both "secretId" and "credentials"; keep one',
      ]);
    });

    it('requires secretId for the stack, even when credentials are given', () => {
      const input = { keys: [{ name: 'k1', exchange: 'coinbase-exchange', credentials: { env: 'K1' } }] };
      expect(parseConfig(input).keys[0]?.credentials).toEqual({ env: 'K1' });
      expect(problemsOf(input, { requireSecretId: true })).toEqual([
        'keys[0].secretId: is required (the stack reads every key from Secrets Manager)',
      ]);
    });

    // Only the real problem: the key has credentials, so it is not also told it needs them.
    it.each([
      ['x.json', ['keys[0].credentials: must be {"file": …} or {"env": …}, got a string (not shown)']],
      [{}, ['keys[0].credentials: must have "file" (path to a JSON secret) or "env" (variable holding the JSON secret)']],
      [{ file: '' }, ['keys[0].credentials.file: must be a non-empty string, got an empty string']],
      [{ file: 'a', env: 'B' }, ['keys[0].credentials: give either "file" or "env", not both']],
      [{ file: 3 }, ['keys[0].credentials.file: must be a non-empty string, got number 3']],
      [
        { path: 'a.json' },
        [
          'keys[0].credentials.path: unknown field; allowed: file, env',
          'keys[0].credentials: must have "file" (path to a JSON secret) or "env" (variable holding the JSON secret)',
        ],
      ],
    ])('refuses the credentials %j with one problem per mistake', (credentials, problems) => {
      expect(problemsOf({ keys: [{ name: 'k1', exchange: 'coinbase-exchange', credentials }] })).toEqual(problems);
    });

    it('reports a malformed secretId next to valid credentials once', () => {
      expect(problemsOf(withKey({ secretId: ' ', credentials: { env: 'K1' } }))).toEqual([
        'keys[0].secretId: must be a non-empty string, got an empty string',
      ]);
    });

    it('reports only the missing secretId for the stack when a key has neither', () => {
      expect(problemsOf({ keys: [{ name: 'k1', exchange: 'coinbase-exchange' }] }, { requireSecretId: true })).toEqual([
        'keys[0].secretId: is required (the stack reads every key from Secrets Manager)',
      ]);
    });

    it.each(['B_SECRET', '_b', 'b2'])('accepts the environment variable name %j', (env) => {
      expect(parseConfig({ keys: [{ name: 'k1', exchange: 'coinbase-exchange', credentials: { env } }] }).keys[0]?.credentials).toEqual({
        env,
      });
    });

    it.each(['1B', 'B-SECRET', 'B SECRET', 'B.SECRET', 'c2VjcmV0LXZhbHVl=='])(
      'refuses the environment variable name %j without quoting it',
      (env) => {
        const problems = problemsOf({ keys: [{ name: 'k1', exchange: 'coinbase-exchange', credentials: { env } }] });
        expect(problems).toEqual([
          'keys[0].credentials.env: must be the name of an environment variable (letters, digits and "_", not starting with a digit)',
        ]);
        expect(problems.join('\n')).not.toContain(env);
      },
    );

    it('never quotes credentials given as a string, which may be the secret itself', () => {
      const secret = 'c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==';
      const problems = problemsOf({ keys: [{ name: 'k1', exchange: 'coinbase-exchange', credentials: secret }] });
      expect(problems).toContain('keys[0].credentials: must be {"file": …} or {"env": …}, got a string (not shown)');
      expect(problems.join('\n')).not.toContain(secret.slice(0, 12));
    });

    it('never quotes a secret pasted into credentials as an unknown field', () => {
      const problems = problemsOf({ keys: [{ name: 'k1', exchange: 'coinbase-exchange', credentials: { apiSecret: 'hunter2-secret' } }] });
      expect(problems).toContain('keys[0].credentials.apiSecret: unknown field; allowed: file, env');
      expect(problems.join('\n')).not.toContain('hunter2');
    });
  });

  describe('rotation and numbers', () => {
    it.each([
      [{ maxAgeDays: '90' }, 'keys[0].rotation.maxAgeDays: must be a number, got the string "90"'],
      [{ maxAgeDays: -1 }, 'keys[0].rotation.maxAgeDays: must be between 1 and 3650, got -1'],
      [{ maxAgeDays: 0 }, 'keys[0].rotation.maxAgeDays: must be between 1 and 3650, got 0'],
      [{ maxAgeDays: 3651 }, 'keys[0].rotation.maxAgeDays: must be between 1 and 3650, got 3651'],
      [{ maxAgeDays: 30.5 }, 'keys[0].rotation.maxAgeDays: must be a whole number, got 30.5'],
      [{ maxAgeDays: null }, 'keys[0].rotation.maxAgeDays: must be a number, got null'],
      [{ warnDays: -1 }, 'keys[0].rotation.warnDays: must be between 0 and 3650, got -1'],
      [{ maxAgeDays: 30, warnDays: 30 }, 'keys[0].rotation.warnDays: must be less than maxAgeDays (30), got 30'],
      [{ maxAgeDays: 30, warnDays: 31 }, 'keys[0].rotation.warnDays: must be less than maxAgeDays (30), got 31'],
      [{ maxAgeDays: 10 }, 'keys[0].rotation.warnDays: must be less than maxAgeDays (10), got 14'],
      [{ maxAgDays: 30 }, 'keys[0].rotation.maxAgDays: unknown field; did you mean "maxAgeDays"?'],
    ])('refuses the rotation %j', (rotation, problem) => {
      expect(problemsOf(withKey({ rotation }))).toEqual([problem]);
    });

    it.each([[{ maxAgeDays: 1, warnDays: 0 }], [{ maxAgeDays: 30, warnDays: 29 }], [{ maxAgeDays: 3650, warnDays: 14 }]])(
      'accepts the rotation %j',
      (rotation) => {
        expect(parseConfig(withKey({ rotation })).keys[0]?.rotation).toEqual(rotation);
      },
    );

    it('reports a bad default rotation at its own path', () => {
      expect(problemsOf({ defaults: { rotation: { maxAgeDays: 7 } }, keys: [KEY] })).toEqual([
        'defaults.rotation.warnDays: must be less than maxAgeDays (7), got 14',
      ]);
    });

    it.each([
      [99, false],
      [100, true],
      [60000, true],
      [60001, false],
    ])('checks timeoutMs %d at the limits (valid: %s)', (timeoutMs, valid) => {
      if (valid) expect(parseConfig(withKey({ timeoutMs })).keys[0]?.timeoutMs).toBe(timeoutMs);
      else expect(problemsOf(withKey({ timeoutMs }))).toEqual([`keys[0].timeoutMs: must be between 100 and 60000, got ${timeoutMs}`]);
    });

    it.each([
      [0, 'concurrency: must be between 1 and 1000, got 0'],
      [1001, 'concurrency: must be between 1 and 1000, got 1001'],
      [2.5, 'concurrency: must be a whole number, got 2.5'],
      [Number.NaN, 'concurrency: must be a number, got number NaN'],
    ])('refuses concurrency %d', (concurrency, problem) => {
      expect(problemsOf({ concurrency, keys: [KEY] })).toEqual([problem]);
    });

    it.each([1, 1000])('accepts concurrency %d', (concurrency) => {
      expect(parseConfig({ concurrency, keys: [KEY] }).concurrency).toBe(concurrency);
    });
  });

  describe('unknown fields', () => {
    it.each([
      [withKey({ expct: { trade: true } }), 'keys[0].expct: unknown field; did you mean "expect"?'],
      [withKey({ expect: { trde: true } }), 'keys[0].expect.trde: unknown field; did you mean "trade"?'],
      [{ keys: [KEY], shedule: 'rate(1 hour)' }, 'shedule: unknown field; did you mean "schedule"?'],
      [{ keys: [KEY], alerts: { email: ['a@b.co'] } }, 'alerts.email: unknown field; did you mean "emails"?'],
      [{ keys: [KEY], defaults: { timeout: 100 } }, 'defaults.timeout: unknown field; did you mean "timeoutMs"?'],
      [
        withKey({ colour: 'red' }),
        'keys[0].colour: unknown field; allowed: name, exchange, secretId, credentials, expect, rotation, timeoutMs, baseUrl, sandbox',
      ],
    ])('names the unknown field in %j', (input, problem) => {
      expect(problemsOf(input)).toEqual([problem]);
    });

    it.each([
      [{ futures: 'yes' }, 'keys[0].expect.futures: must be true or false, got the string "yes"'],
      [{ ipRestricted: 1 }, 'keys[0].expect.ipRestricted: must be true or false, got number 1'],
      [[], 'keys[0].expect: must be an object, got a list'],
    ])('refuses the expect %j', (expectation, problem) => {
      expect(problemsOf(withKey({ expect: expectation }))).toEqual([problem]);
    });
  });

  describe('alerts', () => {
    it.each([
      [{ emails: ['ops@example.com', 'not-an-email'] }, 'alerts.emails[1]: must be an e-mail address, got "not-an-email"'],
      [{ emails: 'ops@example.com' }, 'alerts.emails: must be a list, got the string "ops@example.com"'],
      [{ emails: [42] }, 'alerts.emails[0]: must be an e-mail address, got number 42'],
      [{ phones: ['5555550100'] }, 'alerts.phones[0]: must be a phone number in E.164 form, e.g. "+15555550100", got "5555550100"'],
      [{ phones: ['+0555550100'] }, 'alerts.phones[0]: must be a phone number in E.164 form, e.g. "+15555550100", got "+0555550100"'],
      [{ phones: ['+1555'] }, 'alerts.phones[0]: must be a phone number in E.164 form, e.g. "+15555550100", got "+1555"'],
      [{ smsMinSeverity: 'ok' }, 'alerts.smsMinSeverity: must be one of warning, unknown, critical, got "ok"'],
      [{ smsMinSeverity: 'Critical' }, 'alerts.smsMinSeverity: must be one of warning, unknown, critical, got "Critical"'],
      [{ repeatAfterHours: 0.2 }, 'alerts.repeatAfterHours: must be between 0.25 and 8760, got 0.2'],
      [{ unknownAfterRuns: 0 }, 'alerts.unknownAfterRuns: must be between 1 and 1000, got 0'],
    ])('refuses the alerts %j', (alerts, problem) => {
      expect(problemsOf({ alerts, keys: [KEY] })).toEqual([problem]);
    });

    it.each(['warning', 'unknown', 'critical'])('accepts smsMinSeverity %s', (smsMinSeverity) => {
      expect(parseConfig({ alerts: { smsMinSeverity }, keys: [KEY] }).alerts.smsMinSeverity).toBe(smsMinSeverity);
    });

    it('accepts fractional repeatAfterHours and a 15-digit phone number', () => {
      const { alerts } = parseConfig({ alerts: { repeatAfterHours: 0.25, phones: ['+123456789012345'] }, keys: [KEY] });
      expect(alerts.repeatAfterHours).toBe(0.25);
      expect(alerts.phones).toEqual(['+123456789012345']);
    });
  });

  describe('schedule', () => {
    it.each([
      'rate(1 minute)',
      'rate(5 minutes)',
      'rate(1 hour)',
      'rate(12 hours)',
      'rate(1 day)',
      'rate(7 days)',
      'cron(0/5 * * * ? *)',
      'cron(0 8 ? * MON-FRI *)',
    ])('accepts %s', (schedule) => {
      expect(parseConfig({ schedule, keys: [KEY] }).schedule).toBe(schedule);
    });

    // EventBridge refuses a unit that does not agree in number with the value, and needs six cron fields.
    it.each([
      ['rate(5 minute)', 'schedule: must say "rate(1 minute)" for one and "rate(N minutes)" for more, got "rate(5 minute)"'],
      ['rate(1 hours)', 'schedule: must say "rate(1 hour)" for one and "rate(N hours)" for more, got "rate(1 hours)"'],
      ['rate(0 minutes)', 'schedule: must be "rate(N minutes|hours|days)" or "cron(...)" with six fields, got "rate(0 minutes)"'],
      ['rate(5 seconds)', 'schedule: must be "rate(N minutes|hours|days)" or "cron(...)" with six fields, got "rate(5 seconds)"'],
      ['every 5 minutes', 'schedule: must be "rate(N minutes|hours|days)" or "cron(...)" with six fields, got "every 5 minutes"'],
      ['cron(*/5 * * * *)', 'schedule: must be "rate(N minutes|hours|days)" or "cron(...)" with six fields, got "cron(*/5 * * * *)"'],
      ['cron(0 12 * * * *)', 'schedule: must have "?" as day-of-month or day-of-week in cron(...), got "cron(0 12 * * * *)"'],
    ])('refuses %s', (schedule, problem) => {
      expect(problemsOf({ schedule, keys: [KEY] })).toEqual([problem]);
    });

    it('refuses a schedule that is not a string once', () => {
      expect(problemsOf({ schedule: 5, keys: [KEY] })).toEqual(['schedule: must be a non-empty string, got number 5']);
    });
  });

  describe('baseUrl and sandbox', () => {
    it.each([
      ['https://api.example.com', 'https://api.example.com'],
      ['https://api.example.com/', 'https://api.example.com'],
      ['https://api.example.com:8443', 'https://api.example.com:8443'],
      ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
      ['http://localhost:4010', 'http://localhost:4010'],
      ['http://[::1]:4010', 'http://[::1]:4010'],
    ])('accepts %s as the origin %s', (baseUrl, origin) => {
      expect(parseConfig(withKey({ baseUrl })).keys[0]?.baseUrl).toBe(origin);
    });

    it.each([
      ['http://api.example.com', 'keys[0].baseUrl: must use https (plain http is only allowed for a loopback simulator)'],
      ['http://10.0.0.5:4010', 'keys[0].baseUrl: must use https (plain http is only allowed for a loopback simulator)'],
      ['http://localhost.example.com', 'keys[0].baseUrl: must use https (plain http is only allowed for a loopback simulator)'],
      ['ftp://127.0.0.1', 'keys[0].baseUrl: must use https, got "ftp:"'],
      [
        'https://api.example.com/api/v3',
        'keys[0].baseUrl: must be an origin only (scheme, host, port), e.g. "https://api.example.com", got path "/api/v3"',
      ],
      ['https://api.example.com/?x=1', 'keys[0].baseUrl: must be an origin only (scheme, host, port), without a query or fragment'],
      ['https://api.example.com#top', 'keys[0].baseUrl: must be an origin only (scheme, host, port), without a query or fragment'],
      ['api.example.com', 'keys[0].baseUrl: is not a URL: "api.example.com"'],
      [42, 'keys[0].baseUrl: must be a string, got number 42'],
    ])('refuses %j', (baseUrl, problem) => {
      expect(problemsOf(withKey({ baseUrl }))).toEqual([problem]);
    });

    it('never quotes a baseUrl that carries a password or a query', () => {
      const problems = problemsOf({
        keys: [
          { ...KEY, baseUrl: 'https://user:hunter2@api.example.com' },
          { ...KEY, name: 'k2', baseUrl: 'https://api.example.com/?token=hunter2' },
        ],
      });
      expect(problems).toEqual([
        'keys[0].baseUrl: must not contain a user name or password',
        'keys[1].baseUrl: must be an origin only (scheme, host, port), without a query or fragment',
      ]);
    });

    it('refuses sandbox together with baseUrl', () => {
      expect(problemsOf(withKey({ sandbox: true, baseUrl: 'http://127.0.0.1:4010' }))).toEqual([
        'keys[0]: has both "sandbox" and "baseUrl"; baseUrl already picks the host',
      ]);
    });

    it('accepts sandbox alone', () => {
      expect(parseConfig(withKey({ sandbox: true })).keys[0]?.sandbox).toBe(true);
    });
  });

  describe('$schema', () => {
    it('accepts and ignores a top-level "$schema" string', () => {
      const config = parseConfig({ $schema: './docs/config.schema.json', keys: [KEY] });
      expect(config).toEqual(parseConfig({ keys: [KEY] }));
      expect(config).not.toHaveProperty('$schema');
    });

    it('refuses a "$schema" that is not a string', () => {
      expect(problemsOf({ $schema: 5, keys: [KEY] })).toEqual(['$schema: must be a string, got number 5']);
    });

    it('refuses "$schema" inside a key', () => {
      expect(problemsOf(withKey({ $schema: 'x' }))).toEqual([
        'keys[0].$schema: unknown field; allowed: name, exchange, secretId, credentials, expect, rotation, timeoutMs, baseUrl, sandbox',
      ]);
    });
  });

  it('reports every problem of a document at once, in document order', () => {
    const problems = problemsOf({
      schedule: 'rate(5 minute)',
      alerts: { emails: ['nope'] },
      keys: [
        { ...KEY, exchange: 'coinbse' },
        { name: 'k2', exchange: 'nasdaq' },
        { ...KEY, name: 'k3', rotation: { maxAgeDays: '90' }, expct: {} },
      ],
    });
    expect(problems).toEqual([
      'schedule: must say "rate(1 minute)" for one and "rate(N minutes)" for more, got "rate(5 minute)"',
      'alerts.emails[0]: must be an e-mail address, got "nope"',
      'keys[0].exchange: unknown exchange "coinbse"; did you mean "coinbase-advanced", "coinbase-exchange" or "coinbase-international"?',
      `keys[1].exchange: unknown exchange "nasdaq"; supported: ${EXCHANGE_IDS.join(', ')}`,
      'keys[1]: needs "secretId" (Secrets Manager) or "credentials" ({"file": …} or {"env": …}) for local runs',
      'keys[2].expct: unknown field; did you mean "expect"?',
      'keys[2].rotation.maxAgeDays: must be a number, got the string "90"',
    ]);
  });

  it('throws a ConfigError whose message lists every problem', () => {
    expect(() => parseConfig({ concurrency: 0, keys: [] })).toThrow(
      new ConfigError(['concurrency: must be between 1 and 1000, got 0', 'keys: must name at least one key']),
    );
  });
});

describe('parseConfig sandbox', () => {
  it.each([
    ['coinbase-exchange', true],
    ['coinbase-international', true],
    ['coinbase-advanced', false],
  ])('accepts sandbox for %s only where the exchange has one (%s)', (exchange, accepted) => {
    const parse = () => parseConfig({ keys: [{ name: 'k', exchange, secretId: 's', sandbox: true }] });
    if (accepted) expect(parse().keys[0]?.sandbox).toBe(true);
    else expect(parse).toThrow(`keys[0].sandbox: ${exchange} has no sandbox that checks keys`);
  });
});

describe('selectKeys', () => {
  const keys = configFor([
    { name: 'a', exchange: 'coinbase-exchange' },
    { name: 'b', exchange: 'coinbase-exchange' },
  ]).keys;

  it.each([[undefined], [[]]])('selects every key for only=%j', (only) => {
    expect(selectKeys(keys, only).map((k) => k.name)).toEqual(['a', 'b']);
  });

  it('returns a copy, not the config list', () => {
    expect(selectKeys(keys, undefined)).not.toBe(keys);
  });
});
