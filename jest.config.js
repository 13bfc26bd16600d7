/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/generated/'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'commonjs' },
      },
    ],
  },
  // A few dependencies ship ESM only (fastify inject → cookie@2, @fastify/static →
  // content-disposition@3); Jest's CommonJS runtime needs them transformed.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition)/)'],
  globalSetup: '<rootDir>/packages/testing/src/global-setup.ts',
  testTimeout: 60_000,
  // Two cores: one worker per core. Each test file has its own database and queue prefix.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/packages/testing/src/summary-reporter.js'],
};
