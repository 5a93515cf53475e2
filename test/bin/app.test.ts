import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { buildKeyHealthApp, readConfigContext, readKmsKeyArns, STACK_NAME } from '../../bin/app';
import { ConfigError } from '../../lambda/errors';
import { EXAMPLE_CONFIG, exampleWith, TEST_CONFIG, testApp } from '../lib/stack-fixture';

const TEMP = mkdtempSync(join(tmpdir(), 'key-health-app-'));

function writeTemp(name: string, text: string): string {
  const path = join(TEMP, name);
  writeFileSync(path, text);
  return path;
}

const ROOT = join(__dirname, '..', '..');

/** The message of the error `build` throws, or a failure if it throws none. */
function errorOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('bin/app', () => {
  describe('readConfigContext', () => {
    it('reads the keyHealth object from context', () => {
      expect(readConfigContext(testApp())).toEqual(TEST_CONFIG);
    });

    it('reads a whole pretty-printed config file named by -c keyHealthConfigFile, relative to the folder cdk runs in', () => {
      const file = writeTemp('file.json', `${JSON.stringify(EXAMPLE_CONFIG, null, 2)}\n`);
      expect(readConfigContext(testApp({ keyHealth: undefined, keyHealthConfigFile: relative(process.cwd(), file) }))).toEqual(
        EXAMPLE_CONFIG,
      );
    });

    it('reads keyHealth given as JSON text with -c', () => {
      const config = exampleWith({ schedule: 'rate(15 minutes)' });
      expect(readConfigContext(testApp({ keyHealth: JSON.stringify(config) }))).toEqual(config);
    });

    it('applies -c keyHealth.<path> overrides, as JSON where the value is JSON and as text otherwise', () => {
      const doc = readConfigContext(
        testApp({
          'keyHealth.schedule': 'rate(10 minutes)',
          'keyHealth.concurrency': '4',
          'keyHealth.alerts.emails': '["a@example.com","b@example.com"]',
          'keyHealth.keys.0.secretId': 'prod/coinbase',
        }),
      ) as typeof EXAMPLE_CONFIG & { alerts: { emails: string[]; phones: string[] }; keys: Array<{ secretId: string; name: string }> };
      expect(doc.schedule).toBe('rate(10 minutes)');
      expect(doc.concurrency).toBe(4);
      expect(doc.alerts.emails).toEqual(['a@example.com', 'b@example.com']);
      expect(doc.alerts.phones).toEqual(['+442079460958']);
      expect(doc.keys[0]).toMatchObject({ name: 'coinbase-futures', secretId: 'prod/coinbase' });
      expect(EXAMPLE_CONFIG.schedule).toBe('rate(5 minutes)');
    });

    it.each([
      [{ keyHealth: undefined }, '(root): no config; deploy your config file with -c keyHealthConfigFile=my-keys.json'],
      [
        { keyHealth: '{' },
        '(root): -c keyHealth=… is not valid JSON (at line 1, column 2: expected a "quoted" property name (a trailing comma?)). The CDK CLI passes only the first line of a -c value, so a pretty-printed file arrives cut short: deploy a file with -c keyHealthConfigFile=my-keys.json instead.',
      ],
      [{ keyHealth: undefined, keyHealthConfigFile: 'no-such-file.json' }, '(root): cannot read'],
      [{ keyHealthConfigFile: 'my-keys.json' }, '(root): both -c keyHealthConfigFile and "keyHealth" are set; give the config one way'],
      [{ 'keyHealth.schedule.x': '1' }, '-c keyHealth.schedule.x: cannot set "x" inside a string'],
      [{ 'keyHealth.keys.5.name': 'z' }, '-c keyHealth.keys.5.name: "5" is not an index of a list of 1'],
    ])('names the problem with context %j', (context, message) => {
      expect(errorOf(() => readConfigContext(testApp(context)))).toContain(message);
    });
  });

  describe('readKmsKeyArns', () => {
    it.each([
      [undefined, []],
      ['arn:aws:kms:eu-west-1:1:key/a, arn:aws:kms:eu-west-1:1:key/b', ['arn:aws:kms:eu-west-1:1:key/a', 'arn:aws:kms:eu-west-1:1:key/b']],
      [['arn:aws:kms:eu-west-1:1:key/a'], ['arn:aws:kms:eu-west-1:1:key/a']],
    ])('reads %j as %j', (value, arns) => {
      expect(readKmsKeyArns(testApp({ keyHealthKmsKeyArn: value }))).toEqual(arns);
    });
  });

  describe('buildKeyHealthApp', () => {
    it('never subscribes example addresses or numbers, and warns about each one at synth', () => {
      const stack = buildKeyHealthApp(
        testApp({
          keyHealth: exampleWith({
            alerts: {
              emails: ['ops@example.com', 'desk@corp.invalid', 'oncall@trading-desk.net'],
              phones: ['+15555550100', '+442079460958'],
            },
          }),
        }),
      );
      const template = Template.fromStack(stack);
      const endpoints = Object.values(template.findResources('AWS::SNS::Subscription')).map(
        (r) => (r as { Properties: { Endpoint: string } }).Properties.Endpoint,
      );
      expect(endpoints.sort()).toEqual(['+442079460958', 'oncall@trading-desk.net']);
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('not subscribed'));
      expect(warnings.map((w) => String(w.entry.data)).join('\n')).toMatch(
        /alerts\.emails\[0\]: "ops@example\.com" is an example address[\s\S]*alerts\.emails\[1\]: "desk@corp\.invalid"[\s\S]*alerts\.phones\[0\]: "\+15555550100" is a number reserved for examples/,
      );
    });

    it('warns when nobody would receive the alerts', () => {
      const stack = buildKeyHealthApp(testApp({ keyHealth: exampleWith({ alerts: { emails: ['ops@example.com'] } }) }));
      expect(
        Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('alerts reach the SNS topic and nobody else')),
      ).toHaveLength(1);
    });

    it('adds the KeyHealth stack with the overridden schedule', () => {
      const stack = buildKeyHealthApp(testApp({ 'keyHealth.schedule': 'cron(0/10 * * * ? *)' }));
      expect(stack.stackName).toBe(STACK_NAME);
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0/10 * * * ? *)' });
    });

    it.each([
      ['a misspelt exchange', { exchange: 'coinbse' }, 'keys[0].exchange: unknown exchange "coinbse"; did you mean'],
      ['no secretId', { secretId: undefined }, 'keys[0].secretId: is required (the stack reads every key from Secrets Manager)'],
    ])('stops synth on a key with %s, naming the JSON path', (_case, patch, message) => {
      const keys = [{ ...(EXAMPLE_CONFIG.keys as object[])[0], ...patch }];
      const text = errorOf(() => buildKeyHealthApp(testApp({ keyHealth: exampleWith({ keys }) })));
      expect(text).toMatch(/^Invalid cdk\.json context keyHealth:\n/);
      expect(text).toContain(message);
    });

    it('stops `cdk synth` with the message and exit code 1, no stack trace', () => {
      const bad = exampleWith({ schedule: 'every 5 minutes' });
      let result: { status: number | null; stderr: string } = { status: 0, stderr: '' };
      try {
        execFileSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
          cwd: ROOT,
          // How the CDK CLI hands context to the app.
          env: {
            ...process.env,
            CDK_CONTEXT_JSON: JSON.stringify({ keyHealth: bad }),
            CDK_OUTDIR: join(ROOT, 'cdk.out', 'test-bad-config'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          encoding: 'utf8',
        });
      } catch (error) {
        result = error as { status: number | null; stderr: string };
      }
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^Invalid cdk\.json context keyHealth:\n {2}- schedule: /);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  });

  describe('cdk.json', () => {
    it('sets every feature flag a new CDK app sets, so synth has no unconfigured flags to report', () => {
      const context = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
      expect(Object.fromEntries(Object.keys(CURRENTLY_RECOMMENDED_FLAGS).map((flag) => [flag, context[flag]]))).toEqual(
        CURRENTLY_RECOMMENDED_FLAGS,
      );
    });

    it('ships no config, so no example address can be deployed by accident', () => {
      const context = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
      expect(context.keyHealth).toBeUndefined();
    });
  });

  describe('through the real cdk CLI', () => {
    it('deploys a pretty-printed config file named with -c keyHealthConfigFile (cdk synth)', () => {
      const config = exampleWith({ schedule: 'rate(7 minutes)', alerts: { emails: ['oncall@trading-desk.net'] } });
      const file = writeTemp('my-keys.json', `${JSON.stringify(config, null, 2)}\n`);
      const out = join(TEMP, 'cdk.out');
      execFileSync(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', out, '-c', `keyHealthConfigFile=${file}`], {
        cwd: ROOT,
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: '1' },
        stdio: 'pipe',
        timeout: 120_000,
      });
      const template = JSON.parse(readFileSync(join(out, `${STACK_NAME}.template.json`), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      const resources = Object.values(template.Resources);
      expect(resources.find((r) => r.Type === 'AWS::Events::Rule')?.Properties.ScheduleExpression).toBe('rate(7 minutes)');
      expect(resources.filter((r) => r.Type === 'AWS::SNS::Subscription').map((r) => r.Properties.Endpoint)).toEqual([
        'oncall@trading-desk.net',
      ]);
    });
  });
});
