// The packages as a user installs them: built by their build scripts into a node_modules of a
// scratch project, loaded with require() and import, type-checked as CommonJS and ESM, and run
// in child processes that must exit by themselves after close() — no socket or timer left.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as sdkSource from '@switchyard/node-sdk';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';
import { publishedToRedis } from './redis-publication';

const root = resolve(__dirname, '../../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a script and waits for the process to end on its own; kills it (and fails) after `limitMs`. */
function runToExit(cwd: string, args: string[], limitMs: number, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not exit within ${limitMs} ms (something kept the event loop alive)\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('the published packages', () => {
  let consumer: string;
  let server: TestServer;
  let sdkToken: string;

  beforeAll(async () => {
    consumer = mkdtempSync(join(tmpdir(), 'switchyard-consumer-'));
    const scope = join(consumer, 'node_modules', '@switchyard');
    mkdirSync(scope, { recursive: true });
    execFileSync(process.execPath, [join(root, 'sdk/openfeature-provider/scripts/build.mjs'), '--out', join(scope, 'openfeature-provider')], { stdio: 'pipe' });
    symlinkSync(join(root, 'node_modules/@openfeature'), join(consumer, 'node_modules/@openfeature'));
    symlinkSync(join(root, 'node_modules/ioredis'), join(consumer, 'node_modules/ioredis'));
    // The one runtime dependency of the vendored engine (linear-time regexes), as npm would install it.
    symlinkSync(join(root, 'node_modules/re2js'), join(consumer, 'node_modules/re2js'));
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));

    server = await startTestServer();
    const admin = new ApiClient(server.url, server.adminToken);
    expect((await admin.post('/api/v1/flags', { key: 'banner', type: 'boolean', environments: { staging: { enabled: true } } })).status).toBe(201);
    sdkToken = await admin.token_('sdk-staging', ['sdk:staging']);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (consumer) rmSync(consumer, { recursive: true, force: true });
  });

  it('loads with require() and import with the same exports as the source, for both packages', async () => {
    const expected = Object.keys(sdkSource).sort();
    const cjs = await runToExit(consumer, ['-e', "console.log(JSON.stringify(Object.keys(require('@switchyard/node-sdk')).sort()))"], 10_000);
    const esm = await runToExit(
      consumer,
      [
        '--input-type=module',
        '-e',
        "import * as m from '@switchyard/node-sdk'; console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))",
      ],
      10_000,
    );
    expect(JSON.parse(cjs.stdout)).toEqual(expected);
    expect(JSON.parse(esm.stdout)).toEqual(expected);

    const provider = await runToExit(
      consumer,
      [
        '--input-type=module',
        '-e',
        "import { SwitchyardProvider } from '@switchyard/openfeature-provider'; import { createRequire } from 'node:module'; const r = createRequire(import.meta.url); console.log(SwitchyardProvider === r('@switchyard/openfeature-provider').SwitchyardProvider)",
      ],
      10_000,
    );
    expect(provider.stdout.trim()).toBe('true');
  });

  it('ships types that check from CommonJS and ESM code', () => {
    const use = `
const client = await createClient({ url: 'http://localhost:4000', token: 't', cacheFile: '/tmp/x.json' });
const on: boolean = client.getBooleanValue('a', false, { targetingKey: 'u' });
const d = client.getStringDetails('b', 'x');
const reason: 'DISABLED' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'ERROR' = d.reason;
client.on(ClientEvent.Change, ({ keys }) => keys.join(','));
const provider = new SwitchyardProvider(client);
void on; void reason; void provider;
await client.close();
`;
    writeFileSync(
      join(consumer, 'check.mts'),
      `import { createClient, ClientEvent } from '@switchyard/node-sdk';\nimport { SwitchyardProvider } from '@switchyard/openfeature-provider';\n${use}\nexport {};\n`,
    );
    writeFileSync(
      join(consumer, 'check.cts'),
      `import { createClient, ClientEvent } from '@switchyard/node-sdk';\nimport { SwitchyardProvider } from '@switchyard/openfeature-provider';\nasync function main(): Promise<void> {\n${use}\n}\nvoid main();\n`,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--types',
      'node',
      '--typeRoots',
      join(root, 'node_modules/@types'),
      'check.mts',
      'check.cts',
    ];
    expect(() => execFileSync(process.execPath, [tsc, ...args], { cwd: consumer, stdio: 'pipe' })).not.toThrow();
  }, 60_000);

  it('close() releases every socket and timer: processes using each mode exit by themselves', async () => {
    const redisLine = server.redisUrl
      ? `clients.push(await createClient({ mode: 'redis', environment: 'staging', redis: { url: ${JSON.stringify(server.redisUrl)}, prefix: ${JSON.stringify(server.config.redis.prefix)} }, url, token }));`
      : '';
    writeFileSync(
      join(consumer, 'close-check.mjs'),
      `import { createClient } from '@switchyard/node-sdk';
const url = process.env.SWITCHYARD_URL;
const token = process.env.SWITCHYARD_TOKEN;
const cacheFile = new URL('./cache/flags.json', import.meta.url).pathname;
const clients = [];
clients.push(await createClient({ url, token, cacheFile, metricsIntervalMs: 200 }));
clients.push(await createClient({ url, token, mode: 'poll', pollIntervalMs: 100, metricsIntervalMs: 200 }));
${redisLine}
for (const client of clients) {
  if (client.status !== 'ready') throw new Error('client not ready: ' + client.stats().lastError);
  console.log(client.getBooleanValue('banner', false));
}
await new Promise((resolve) => setTimeout(resolve, 300));
await Promise.all(clients.map((client) => client.close()));
console.log('closed');
`,
    );
    if (server.redisUrl) await publishedToRedis(server, 'staging');
    const run = await runToExit(consumer, ['close-check.mjs'], 15_000, { SWITCHYARD_URL: server.url, SWITCHYARD_TOKEN: sdkToken });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([...(server.redisUrl ? ['true', 'true', 'true'] : ['true', 'true']), 'closed']);
  }, 30_000);

  it('an OpenFeature app using the provider exits by itself after OpenFeature.close()', async () => {
    writeFileSync(
      join(consumer, 'provider-check.mjs'),
      `import { OpenFeature } from '@openfeature/server-sdk';
import { SwitchyardProvider } from '@switchyard/openfeature-provider';
await OpenFeature.setProviderAndWait(new SwitchyardProvider({ url: process.env.SWITCHYARD_URL, token: process.env.SWITCHYARD_TOKEN }));
console.log(await OpenFeature.getClient().getBooleanValue('banner', false));
await OpenFeature.close();
`,
    );
    const run = await runToExit(consumer, ['provider-check.mjs'], 15_000, { SWITCHYARD_URL: server.url, SWITCHYARD_TOKEN: sdkToken });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('true');
  }, 30_000);

  it('a client whose server is unreachable still closes cleanly', async () => {
    writeFileSync(
      join(consumer, 'unreachable-check.mjs'),
      `import { createClient } from '@switchyard/node-sdk';
const client = await createClient({ url: 'http://127.0.0.1:9', token: 't', timeoutMs: 300, reconnectInitialMs: 50 });
console.log(client.status, client.getBooleanDetails('banner', false).errorCode);
await client.close();
`,
    );
    const run = await runToExit(consumer, ['unreachable-check.mjs'], 10_000);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('not-ready PROVIDER_NOT_READY');
  });
});
