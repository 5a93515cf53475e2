// The AWS SDK warns on Node 20 that later SDK releases need Node 22; the pinned versions work, so tests stay
// quiet. Set here, in jest's own process, so that test workers and every process they start inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // ccxt's CommonJS build requires @noble/* and @scure/*, which ship only as ES modules.
    '^.+/node_modules/@(noble|scure)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@noble/|@scure/)'],
  testTimeout: 20000,
};
