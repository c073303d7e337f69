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

// Specs under apps/, libs/ and sdk/ that open a socket, a database or a child process, by file name
// (so they stay classified when their folder moves): they run with test/ in the `e2e` project. Every
// other spec there is a unit test (no I/O beyond temp files) and runs in `unit`. Classification is by
// testMatch, not testPathIgnorePatterns, because CI passes its own --testPathIgnorePatterns, which
// replaces the config's.
const e2eSpecsBesideCode = [
  'api-client.spec.ts', // apps/admin-ui: HTTP server
  'deploy-api.client.spec.ts', // apps/cli: HTTP server
  'proxy-app.spec.ts', // apps/proxy: starts the proxy and its upstreams
  'shadow-call.spec.ts', // apps/proxy: HTTP server
  'capture-replay-engine.spec.ts', // libs/mirror: replays to HTTP servers
  'command-runner.spec.ts', // libs/deploy: child processes
  'release-runner.spec.ts', // libs/deploy: runs test commands through sh
  'migrations.spec.ts', // libs/persistence: PGlite / PostgreSQL
  'redis-source.spec.ts', // sdk/node: Redis
  'redis-feature-store.spec.ts', // libs/store: Redis
  'switchyard-client.spec.ts', // sdk/node: protocol server on a port
  'switchyard-provider.spec.ts', // sdk/openfeature-provider: protocol server on a port
];

// What both projects share: how sources are compiled and resolved.
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
  // @kubernetes/client-node 2 and the ESM-only packages it imports are transformed for the same reason.
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|@openfeature|@fastify/static|content-disposition|@kubernetes/client-node|openid-client|oauth4webapi|jose|jsonpath-plus|@jsep-plugin|jsep|rfc4648|socks-proxy-agent|agent-base)/)',
  ],
  moduleNameMapper: {
    '^@switchyard/core$': '<rootDir>/sdk/core/src/index.ts',
    '^@switchyard/node-sdk$': '<rootDir>/sdk/node/src/index.ts',
    '^@switchyard/openfeature-provider$': '<rootDir>/sdk/openfeature-provider/src/index.ts',
    '^@switchyard/web-sdk$': '<rootDir>/sdk/web/src/index.ts',
    '^@switchyard/react$': '<rootDir>/sdk/react/src/index.ts',
    '^@switchyard/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/apps/admin-ui/dist/'],
  // Built packages (sdk builds) would shadow the sources' package names.
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.cache/'],
};

module.exports = {
  // `npm test` runs both; `npm run test:unit` / `test:e2e` select one (jest --selectProjects). Those
  // scripts end with `--forceExit=false` (the default) because --selectProjects would take every
  // following word, such as a path (`npm run test:unit -- libs/flags`), for a project name.
  projects: [
    {
      ...shared,
      displayName: 'unit',
      setupFilesAfterEnv: ['<rootDir>/test/support/unit-isolation.ts'],
      testMatch: ['<rootDir>/{apps,libs,sdk}/**/*.spec.ts', ...e2eSpecsBesideCode.map((name) => `!**/${name}`)],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.spec.ts', ...e2eSpecsBesideCode.map((name) => `<rootDir>/{apps,libs,sdk}/**/${name}`)],
    },
  ],
  // Global options (Jest applies these to the whole run, not per project).
  // Generous: suites start real servers, browsers and registries, and CI shares two cores among them.
  testTimeout: 60000,
  maxWorkers: 2,
};
