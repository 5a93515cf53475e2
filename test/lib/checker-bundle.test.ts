import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { buildKeyHealthApp } from '../../bin/app';
import { parseConfig } from '../../lambda/config';
import { CHECKER_NODE_MAJOR } from '../../lib/checker-bundling';
import { CheckerFunction } from '../../lib/checker-function';
import { CONFIG_FILE_NAME } from '../../lib/lambda-config';
import { BUNDLE_CACHE_DIR, bundleChecker, coldImportMs } from '../../scripts/bundle-size';
import { CDK_JSON_CONTEXT, exampleWith, resourcesOf, synth, TEST_CONFIG } from './stack-fixture';

// A bundle larger than this has most likely swallowed the AWS SDK (~600 KB) or another heavy dependency.
const BUNDLE_BUDGET_KB = 150;

describe('checker bundle', () => {
  const cleanup: string[] = [];
  afterAll(() => {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('is built by the local esbuild during synth, exposes handler, and matches scripts/bundle-size', async () => {
    // Inside node_modules so that the external AWS SDK resolves when the bundle is required.
    mkdirSync(BUNDLE_CACHE_DIR, { recursive: true });
    const outdir = mkdtempSync(join(BUNDLE_CACHE_DIR, 'synth-'));
    cleanup.push(outdir);
    const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, keyHealth: TEST_CONFIG }, builtinCloudFormationValidation: false });
    buildKeyHealthApp(app);
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const synthBundle = join(outdir, assets[0] ?? '', 'index.js');
    expect(existsSync(synthBundle)).toBe(true);

    // Fails unless `handler` is a function after a plain require in a fresh process.
    const importMs = coldImportMs(synthBundle, { runs: 1 });
    expect(importMs).toBeGreaterThan(0);

    const scripted = await bundleChecker();
    cleanup.push(dirname(scripted.file));
    const synthText = readFileSync(synthBundle, 'utf8');
    expect(scripted.bytes).toBe(Buffer.byteLength(synthText));
    expect(synthText).toMatch(/require\("@aws-sdk\/client-sns"\)/);
    // The SNS SDK is required only when a run has an alert to send, not when the module loads.
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(synthBundle)}); console.log(Object.keys(require.cache).filter((f) => f.includes('@aws-sdk/client-')).map((f) => f.split('@aws-sdk/')[1].split('/')[0]).filter((v, i, a) => a.indexOf(v) === i).sort().join(','))`,
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(loaded).toBe('client-dynamodb,client-secrets-manager');
    expect(scripted.kb).toBeLessThan(BUNDLE_BUDGET_KB);
    console.info(`Lambda bundle: ${scripted.kb} KB, cold import ${importMs} ms`);
  });

  it('ships a large config as key-health-config.json next to the handler, which the bundled handler reads', () => {
    mkdirSync(BUNDLE_CACHE_DIR, { recursive: true });
    const outdir = mkdtempSync(join(BUNDLE_CACHE_DIR, 'synth-'));
    cleanup.push(outdir);
    const keys = Array.from({ length: 100 }, (_, i) => ({
      name: `key-${i}`,
      exchange: 'coinbase-exchange',
      secretId: `trading/exchange-key-number-${i}`,
      expect: { trade: false, ipRestricted: true },
    }));
    const app = new App({
      outdir,
      context: { ...CDK_JSON_CONTEXT, keyHealth: exampleWith({ keys }) },
      builtinCloudFormationValidation: false,
    });
    const stack = buildKeyHealthApp(app);
    // The same app with one key changed: CDK caches bundles per app, and the hash of the output must follow the config.
    const changed = parseConfig(
      { keys: keys.map((key, i) => (i === 42 ? { ...key, secretId: 'trading/rotated' } : key)) },
      { requireSecretId: true },
    );
    const other = new CheckerFunction(new Stack(app, 'Other'), 'Checker', {
      config: changed,
      alertTopicArn: 'arn',
      stateTableName: 'table',
    });
    app.synth();

    const assetDir = (fn: CheckerFunction) => {
      const code = (fn.function.node.defaultChild as CfnFunction).code as CfnFunction.CodeProperty;
      return join(outdir, `asset.${String(code.s3Key).replace(/\.zip$/, '')}`);
    };
    const dir = assetDir(stack.checker);
    expect(readdirSync(dir).sort()).toEqual(['index.js', CONFIG_FILE_NAME]);
    const shipped = parseConfig(JSON.parse(readFileSync(join(dir, CONFIG_FILE_NAME), 'utf8')), { requireSecretId: true });
    expect(shipped.keys.map((k) => [k.name, k.secretId, k.expect])).toEqual(
      keys.map((k) => [k.name, k.secretId, { futures: true, transfer: false, trade: false, ipRestricted: true }]),
    );
    const otherDir = assetDir(other);
    expect(otherDir).not.toBe(dir);
    expect(readFileSync(join(otherDir, CONFIG_FILE_NAME), 'utf8')).toContain('"trading/rotated"');
    expect(readFileSync(join(otherDir, 'index.js'))).toEqual(readFileSync(join(dir, 'index.js')));

    // The bundled handler finds the file next to itself: an unknown key is refused with the shipped key names.
    const run = `process.env.KEY_HEALTH_CONFIG_FILE = ${JSON.stringify(CONFIG_FILE_NAME)};
process.env.ALERT_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';
process.env.STATE_TABLE_NAME = 'key-health-state';
require(${JSON.stringify(join(dir, 'index.js'))}).handler({ keys: ['nope'] }, { getRemainingTimeInMillis: () => 60000 })
  .then(() => console.log('no error'), (error) => console.log(error.name + ': ' + error.message));`;
    const answer = execFileSync(process.execPath, ['-e', run], { encoding: 'utf8' });
    expect(answer).toContain('InvalidEventError: Invalid event: unknown key name(s) "nope"; configured: key-0, key-1,');
    expect(answer).toContain('key-99');
  });

  it('targets the Node version the function runs on', () => {
    // Every function: the checker and the alarm relay.
    const functions = resourcesOf(synth().json, 'AWS::Lambda::Function');
    expect(functions.map((fn) => fn.Properties.Runtime)).toEqual(functions.map(() => `nodejs${CHECKER_NODE_MAJOR}.x`));
    expect(functions).toHaveLength(2);
  });
});
