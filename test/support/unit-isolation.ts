// setupFilesAfterEnv of the `unit` Jest project: a unit suite that opens a socket, starts a server
// or a child process, or fetches, fails naming what it did (fake the I/O, or list the spec as e2e in
// jest.config.js). jest.doMock (not hoisted: it must run here, before the suite loads) and the test
// environment's globals are per test file, so e2e suites sharing a worker are unaffected.

function refuse(what: string): () => never {
  return () => {
    throw new Error(`a unit test must not use ${what}: fake it, or list the spec as e2e in jest.config.js`);
  };
}

function guarded(moduleName: string, functions: string[]): void {
  const factory = () => {
    const actual = jest.requireActual<Record<string, unknown>>(moduleName);
    return { ...actual, ...Object.fromEntries(functions.map((name) => [name, refuse(`${moduleName}.${name}()`)])) };
  };
  jest.doMock(moduleName, factory);
  jest.doMock(`node:${moduleName}`, factory);
}

guarded('child_process', ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']);
guarded('net', ['connect', 'createConnection', 'createServer']);
guarded('tls', ['connect', 'createServer']);
guarded('http', ['request', 'get', 'createServer']);
guarded('https', ['request', 'get', 'createServer']);
guarded('http2', ['connect', 'createServer', 'createSecureServer']);
guarded('dgram', ['createSocket']);
globalThis.fetch = refuse('fetch()');
