/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The server under test serves the built page (dist/web/): build it first when it is stale.
  globalSetup: '<rootDir>/test/helpers/buildPage.ts',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    // @statelyai/inspect ships only ES modules; jest (CommonJS on Node < 24.9) loads them compiled.
    // jose ships only ES modules too (Node itself requires them; jest's loader does not).
    '/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } }],
    '^.+\\.mjs$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@statelyai/inspect|jose)/)'],
  testTimeout: 30_000,
  // Integration tests open UDP sockets and DTLS sessions: run files one at a time
  // so timing-sensitive teardown checks do not compete for the two cores.
  maxWorkers: 1,
};

export default config;
