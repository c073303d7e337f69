// Jest runs TypeScript through SWC (decorator metadata on, so Nest DI works) as CommonJS.
// @nestjs/* 12 ship as pure ESM; Node (20.19+) can require() them at run time, but Jest's own
// module loader cannot, so they are transformed like our sources.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@openfeature|@fastify/static|content-disposition)/)'],
  moduleNameMapper: {
    '^@switchyard/core$': '<rootDir>/sdk/core/src/index.ts',
    '^@switchyard/node-sdk$': '<rootDir>/sdk/node/src/index.ts',
    '^@switchyard/openfeature-provider$': '<rootDir>/sdk/openfeature-provider/src/index.ts',
    '^@switchyard/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  testMatch: ['<rootDir>/{apps,libs,sdk,test}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/apps/admin-ui/dist/'],
  // Built packages (sdk builds) would shadow the sources' package names.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  // Generous: suites start real servers, browsers and registries, and CI shares two cores among them.
  testTimeout: 60000,
  maxWorkers: 2,
};
