// What the test harness and the e2e suites may use to build a server in-process.
export { createServer } from './create-server';
export { configureApp } from './configure-app';
