/**
 * `npm run test:unit`: the domain and the core use cases through in-memory ports — no database,
 * no broker, a few seconds. `npm test` runs these too, with the integration suites.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
  maxWorkers: 2,
  verbose: false,
};
