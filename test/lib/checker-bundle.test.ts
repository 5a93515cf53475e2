import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildKeyHealthApp } from '../../bin/app';
import { CHECKER_NODE_MAJOR } from '../../lib/checker-bundling';
import { BUNDLE_CACHE_DIR, bundleChecker, coldImportMs } from '../../scripts/bundle-size';
import { CDK_JSON_CONTEXT, resourcesOf, synth } from './stack-fixture';

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
    const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT }, builtinCloudFormationValidation: false });
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

  it('targets the Node version the function runs on', () => {
    const [fn] = resourcesOf(synth().json, 'AWS::Lambda::Function');
    expect(fn?.Properties.Runtime).toBe(`nodejs${CHECKER_NODE_MAJOR}.x`);
  });
});
