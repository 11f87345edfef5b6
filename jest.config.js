/**
 * One `npm test` runs everything: unit tests next to the code (src/**\/*.spec.ts) and the
 * integration tests (test/**\/*.test.ts) against real PostgreSQL and RabbitMQ — containers when a
 * Docker engine answers, otherwise the local services (TEST_DATABASE_URL, TEST_AMQP_URL,
 * TEST_RABBITMQ_MANAGEMENT_URL). Never skipped: without either, the run fails and says why.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 60_000,
  // Integration tests share one broker (users are broker-wide): run files one at a time.
  maxWorkers: 1,
  verbose: true,
};
