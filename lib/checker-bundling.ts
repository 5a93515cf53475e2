import { join } from 'node:path';

/** The Lambda handler's source file. */
export const CHECKER_ENTRY = join(__dirname, '..', 'lambda', 'handler.ts');

/** The handler's export name in {@link CHECKER_ENTRY}. */
export const CHECKER_HANDLER = 'handler';

/** The Node major version the function runs on; the stack's runtime and the esbuild target both follow it. */
export const CHECKER_NODE_MAJOR = 24;

/**
 * The esbuild settings of the Lambda bundle, shared by the stack's NodejsFunction and
 * scripts/bundle-size.ts so that the measured bundle is the deployed one.
 */
export const CHECKER_ESBUILD = {
  target: `node${CHECKER_NODE_MAJOR}`,
  minify: true,
  // Error classes set `name` explicitly, but kept names make stack traces in the log readable.
  keepNames: true,
  sourceMap: false,
  // The Lambda Node.js runtimes ship AWS SDK v3; bundling it would add ~600 KB and slow cold starts.
  externalModules: ['@aws-sdk/*'],
} as const;
