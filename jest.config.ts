/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
  },
  testTimeout: 30_000,
  // Integration tests open UDP sockets and DTLS sessions: run files one at a time
  // so timing-sensitive teardown checks do not compete for the two cores.
  maxWorkers: 1,
};

export default config;
