import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildKeyHealthApp, readConfigContext, readKmsKeyArns, STACK_NAME } from '../../bin/app';
import { ConfigError } from '../../lambda/errors';
import { EXAMPLE_CONFIG, exampleWith, testApp } from '../lib/stack-fixture';

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
    it('reads the keyHealth object from cdk.json context', () => {
      expect(readConfigContext(testApp())).toEqual(EXAMPLE_CONFIG);
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
      expect(doc.alerts.phones).toEqual(['+15555550100']);
      expect(doc.keys[0]).toMatchObject({ name: 'coinbase-futures', secretId: 'prod/coinbase' });
      expect(EXAMPLE_CONFIG.schedule).toBe('rate(5 minutes)');
    });

    it.each([
      [{ keyHealth: undefined }, '(root): no config; set "keyHealth" in cdk.json context'],
      [{ keyHealth: '{"schedule": ' }, "(root): -c keyHealth=… is not valid JSON (quote it for the shell: -c keyHealth='{…}')"],
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
});
