export * from './lib/node/src/index.js';
