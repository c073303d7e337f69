// `npm run bench:release-loop`: the repository's Jest set-up (SWC, path aliases), pointed at the one
// benchmark file only; it is not a test, so the suite's testMatch never picks it up.
const { projects, ...base } = require('../../jest.config.js');
// The e2e project's compile and resolve settings, without its selection of specs.
const shared = { ...projects.find((project) => project.displayName === 'e2e') };
delete shared.displayName;
delete shared.testMatch;

module.exports = {
  ...base,
  ...shared,
  rootDir: '../..',
  testMatch: ['<rootDir>/bench/release-loop/release-loop.bench.ts'],
  // Three rounds of a whole release (plus the server build and start) on a shared 2-core machine.
  testTimeout: 900_000,
  maxWorkers: 1,
};
