/**
 * Builds the Lambda bundle with the stack's esbuild settings and measures it: size in KB and cold
 * import time (median over fresh Node processes). `npx tsx scripts/bundle-size.ts [--json]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { CHECKER_ENTRY, CHECKER_ESBUILD, CHECKER_HANDLER } from '../lib/checker-bundling';

/** A built bundle. */
export interface BundleResult {
  /** The bundle's path (CommonJS, one file). */
  readonly file: string;
  readonly bytes: number;
  /** Size in KB (1024 bytes), one decimal. */
  readonly kb: number;
}

/** Options for {@link bundleEntry}. */
export interface BundleOptions {
  /**
   * Modules left out of the bundle, as the Lambda runtime provides them.
   * @default CHECKER_ESBUILD.externalModules (the AWS SDK v3)
   */
  readonly external?: readonly string[];
}

/**
 * The default place for bundles: inside node_modules, so that the externals (the AWS SDK) resolve
 * from the project's node_modules when the bundle is required, as the Lambda runtime's would.
 */
export const BUNDLE_CACHE_DIR = join(__dirname, '..', 'node_modules', '.cache', 'key-health-bundle');

/** Bundles `entry` into `outfile` exactly as the stack's NodejsFunction does (same target, minify, names, externals). */
export async function bundleEntry(entry: string, outfile: string, options: BundleOptions = {}): Promise<BundleResult> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: CHECKER_ESBUILD.target,
    minify: CHECKER_ESBUILD.minify,
    keepNames: CHECKER_ESBUILD.keepNames,
    sourcemap: CHECKER_ESBUILD.sourceMap,
    external: [...(options.external ?? CHECKER_ESBUILD.externalModules)],
    logLevel: 'silent',
  });
  const bytes = statSync(outfile).size;
  return { file: outfile, bytes, kb: Math.round((bytes / 1024) * 10) / 10 };
}

/** Bundles lambda/handler.ts into a fresh directory under `parent` (default {@link BUNDLE_CACHE_DIR}). */
export async function bundleChecker(parent = BUNDLE_CACHE_DIR): Promise<BundleResult> {
  mkdirSync(parent, { recursive: true });
  return bundleEntry(CHECKER_ENTRY, join(mkdtempSync(join(parent, 'checker-')), 'index.js'));
}

/** Options for {@link coldImportMs}. */
export interface ColdImportOptions {
  /**
   * Fresh processes to time; the median is returned.
   * @default 5
   */
  readonly runs?: number;
  /**
   * The export that must be a function after the import.
   * @default 'handler'
   */
  readonly exportName?: string;
  /**
   * Extra environment for the child processes.
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The median time, in ms, that `require(file)` takes in a fresh Node process (process start not
 * counted); throws if the named export is not a function.
 */
export function coldImportMs(file: string, options: ColdImportOptions = {}): number {
  const runs = options.runs ?? 5;
  const exportName = options.exportName ?? CHECKER_HANDLER;
  const probe = `const t = performance.now(); const m = require(${JSON.stringify(file)}); const ms = performance.now() - t;
if (typeof m[${JSON.stringify(exportName)}] !== 'function') { process.stderr.write('export ${exportName} is ' + typeof m[${JSON.stringify(exportName)}]); process.exit(2); }
process.stdout.write(String(ms));`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    // stderr is captured, not shown: the AWS SDK prints a Node-version notice on every import under Node 20.
    const out = execFileSync(process.execPath, ['-e', probe], {
      env: { ...process.env, ...options.env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    samples.push(Number(out));
  }
  samples.sort((a, b) => a - b);
  return Math.round((samples[Math.floor(samples.length / 2)] ?? Number.NaN) * 10) / 10;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, runs: { type: 'string', default: '5' } } });
  const bundle = await bundleChecker();
  let importMs: number;
  try {
    importMs = coldImportMs(bundle.file, { runs: Number(values.runs) });
  } finally {
    rmSync(dirname(bundle.file), { recursive: true, force: true });
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ bundleKb: bundle.kb, coldImportMs: importMs })}\n`);
  else process.stdout.write(`Lambda bundle: ${bundle.kb} KB\nCold import: ${importMs} ms (median of ${values.runs} fresh processes)\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
