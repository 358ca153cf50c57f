// `npm run test:faults`: the fault-injection suite (issue 11), run serially with --runInBand.
// It runs on a broker and a PostgreSQL cluster of its own (test/faults/global-setup.ts), never
// on the shared ones, because it stops and kills them. The transform and module mapping are
// the ones of jest.config.js, taken from its first project rather than copied.
const base = require('./jest.config.js');
const { transform, moduleNameMapper, moduleFileExtensions } = base.projects[0];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  displayName: 'faults',
  transform,
  moduleNameMapper,
  moduleFileExtensions,
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['<rootDir>/test/faults/**/*.faults.spec.ts'],
  globalSetup: '<rootDir>/test/faults/global-setup.ts',
  globalTeardown: '<rootDir>/test/faults/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/faults/setup-faults.ts'],
  reporters: ['default', '<rootDir>/libs/testing/src/summary-reporter.js'],
};
