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
  // @kubernetes/client-node 2 and the ESM-only packages it imports are transformed for the same reason.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@openfeature|@fastify/static|content-disposition|@kubernetes/client-node|openid-client|oauth4webapi|jose|jsonpath-plus|@jsep-plugin|jsep|rfc4648|socks-proxy-agent|agent-base)/)'],
  moduleNameMapper: {
    '^@switchyard/core$': '<rootDir>/sdk/core/src/index.ts',
    '^@switchyard/node-sdk$': '<rootDir>/sdk/node/src/index.ts',
    '^@switchyard/openfeature-provider$': '<rootDir>/sdk/openfeature-provider/src/index.ts',
    '^@switchyard/web-sdk$': '<rootDir>/sdk/web/src/index.ts',
    '^@switchyard/react$': '<rootDir>/sdk/react/src/index.ts',
    '^@switchyard/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  testMatch: ['<rootDir>/{apps,libs,sdk,test}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/apps/admin-ui/dist/'],
  // Built packages (sdk builds) would shadow the sources' package names.
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.cache/'],
  // Generous: suites start real servers, browsers and registries, and CI shares two cores among them.
  testTimeout: 60000,
  maxWorkers: 2,
};
