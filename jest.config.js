// CommonJS, not jest.config.ts: a TypeScript config needs ts-node at load time, which the
// toolchain does not otherwise use (see docs/architecture.md, "Toolchain").
const swc = [
  '@swc/jest',
  {
    swcrc: false,
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const libs = ['contracts', 'ledger', 'event-store', 'messaging', 'platform', 'testing'];
const moduleNameMapper = Object.fromEntries(
  libs.map((lib) => [`^@jifen/${lib}$`, `<rootDir>/libs/${lib}/src`]),
);

const common = {
  rootDir: __dirname,
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test', '<rootDir>/bench'],
};

/** @type {import('jest').Config} */
module.exports = {
  reporters: ['default', '<rootDir>/libs/testing/src/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['**/*.unit.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int.spec.ts', '**/*.e2e.spec.ts'],
      // One broker and one database server per run: started here when absent, stopped
      // afterwards only if this run started it.
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/setup-integration.ts'],
    },
  ],
};
