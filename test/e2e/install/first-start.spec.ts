import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { freePort } from '../../support/free-port';
import { requireTool } from '../../support/system-tool';
import { waitFor } from '../../support/test-server';

const root = resolve(__dirname, '../../..');
const serverEntry = join(root, 'dist/apps/server/src/main.js');
const proxyEntry = join(root, 'dist/apps/proxy/src/main.js');

/** A newcomer's machine: no PostgreSQL, no Redis, no CI variables; just a data directory. */
function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, REDIS_URL: _redis, NODE_ENV: _env, LOG_FORMAT: _format, LOG_LEVEL: _level, SWITCHYARD_ADMIN_TOKEN: _token, ...rest } = process.env;
  return { ...rest, ...extra };
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

/**
 * Starts a command and collects its stdout. With `terminal`, under util-linux `script`, which gives
 * it a pseudo-terminal as a person's shell would (stdout.isTTY), and copies what it prints.
 */
function start(command: string[], env: NodeJS.ProcessEnv, terminal: boolean): Started {
  const quoted = command.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = terminal
    ? spawn('script', ['-qfec', quoted, '/dev/null'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(command[0], command.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return { child, output: () => out.replace(/\r\n/g, '\n') };
}

async function stop(started: Started): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  // The whole group: `script` and the server under it.
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

/** The output once it matches; a process that exited first fails the test with what it printed. */
function readyOrExited(run: Started, pattern: RegExp): string | undefined {
  const output = run.output();
  if (pattern.test(output)) return output;
  if (run.child.exitCode !== null) throw new Error(`exited with ${run.child.exitCode} before ${pattern}:\n${output}`);
  return undefined;
}

const nonEmpty = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
const TOKEN_LINE = /created the bootstrap admin token/;

describe('first start: what a newcomer sees', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-first-start-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  const haveScript = requireTool('script', 'util-linux');
  (haveScript ? it : it.skip)(
    'npm start in a terminal: readable lines, no per-route lines, and the output ends with the bootstrap token and the UI address',
    async () => {
      const port = String(await freePort());
      const run = start([process.execPath, 'scripts/start.mjs'], bareEnv({ PORT: port, HOST: '127.0.0.1', DATA_DIR: dataDir() }), true);
      try {
        // The output as it stands when the banner appears (later periodic lines are not start-up output).
        const output = await waitFor(() => readyOrExited(run, /Switchyard is ready: open.*\n/), 180_000, 'the ready banner');
        const lines = nonEmpty(output).filter((line) => !/building/.test(line));
        process.stdout.write(`npm start in a terminal printed ${lines.length} lines:\n${lines.map((l) => `  | ${l}`).join('\n')}\n`);
        expect(lines.filter((line) => line.trimStart().startsWith('{'))).toEqual([]);
        expect(lines.filter((line) => /Mapped \{|RouterExplorer|RoutesResolver|InstanceLoader/.test(line))).toEqual([]);
        expect(lines.find((line) => /INFO +switchyard server ready/.test(line))).toBeDefined();
        // The last three lines: the token notice, the token, the address to open.
        const tail = lines.slice(-3);
        expect(tail[0]).toMatch(TOKEN_LINE);
        expect(tail[1].trim()).toMatch(/^sy_[A-Za-z0-9_-]{20,}$/);
        expect(tail[2].trim()).toBe(`Switchyard is ready: open http://127.0.0.1:${port}/ and sign in with the token above.`);
      } finally {
        await stop(run);
      }
    },
    240_000,
  );

  it('in a container (no terminal): JSON lines, per-route lines only at debug, the token block after the ready line', async () => {
    const port = String(await freePort());
    const run = start([process.execPath, serverEntry], bareEnv({ PORT: port, HOST: '127.0.0.1', DATA_DIR: dataDir() }), false);
    try {
      const output = await waitFor(() => readyOrExited(run, /sy_[A-Za-z0-9_-]{20,}\n\n/), 120_000, 'the bootstrap token');
      const lines = nonEmpty(output);
      const tokenAt = lines.findIndex((line) => TOKEN_LINE.test(line));
      const logLines = lines.filter((_, i) => i < tokenAt || i > tokenAt + 1);
      const entries = logLines.map((line) => JSON.parse(line) as { msg: string; level: number; url?: string });
      expect(entries.filter((entry) => /Mapped \{/.test(entry.msg))).toEqual([]);
      const readyAt = entries.findIndex((entry) => entry.msg === 'switchyard server ready');
      expect(entries[readyAt].url).toBe(`http://127.0.0.1:${port}/`);
      expect(tokenAt).toBe(lines.length - 2);
      expect(readyAt).toBe(entries.length - 1);
    } finally {
      await stop(run);
    }
  }, 150_000);

  (haveScript ? it : it.skip)(
    'NODE_ENV=production keeps JSON even in a terminal; LOG_LEVEL=debug shows the routes',
    async () => {
      const port = String(await freePort());
      const run = start(
        [process.execPath, serverEntry],
        bareEnv({
          PORT: port,
          HOST: '127.0.0.1',
          DATA_DIR: dataDir(),
          NODE_ENV: 'production',
          LOG_LEVEL: 'debug',
          SWITCHYARD_ADMIN_TOKEN: 'a-configured-admin-token-0123456789',
        }),
        true,
      );
      try {
        const output = await waitFor(() => readyOrExited(run, /switchyard server ready.*\n/), 120_000, 'the ready line');
        const entries = nonEmpty(output).map((line) => JSON.parse(line) as { msg: string; level: number; context?: string });
        const routes = entries.filter((entry) => entry.context === 'RouterExplorer');
        expect(routes.length).toBeGreaterThan(20);
        expect(new Set(routes.map((entry) => entry.level))).toEqual(new Set([20]));
        expect(entries.some((entry) => TOKEN_LINE.test(entry.msg))).toBe(false);
      } finally {
        await stop(run);
      }
    },
    150_000,
  );
});

describe('configurations that cannot work are refused at start, in one line naming the setting', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'switchyard-refused-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (entry: string, args: string[], env: NodeJS.ProcessEnv) => {
    const result = spawnSync(process.execPath, [entry, ...args], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    return result.stderr;
  };

  it.each([
    [
      { SWITCHYARD_REPLICAS: '3', REDIS_URL: 'redis://127.0.0.1:6379' },
      /DATABASE_URL is required with SWITCHYARD_REPLICAS=3: embedded storage serves one replica only/,
    ],
    [{ SWITCHYARD_REPLICAS: '2', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' }, /REDIS_URL is required with SWITCHYARD_REPLICAS=2/],
    [{ SWITCHYARD_REPLICAS: '3' }, /DATABASE_URL is required .*; REDIS_URL is required/],
    [{ SWITCHYARD_REPLICAS: 'three' }, /SWITCHYARD_REPLICAS must be an integer from 1 to 1000/],
    [{ LOG_FORMAT: 'xml' }, /LOG_FORMAT /],
  ])('server with %j', (env, message) => {
    expect(refused(serverEntry, [], bareEnv({ DATA_DIR: dir, ...env }))).toMatch(message);
  });

  const haveKubectl = requireTool('kubectl', 'kubernetes-client');
  (haveKubectl ? it : it.skip)('the production overlay without the Secret key DATABASE_URL: the server names it', () => {
    // The overlay's ConfigMap as the pod gets it (envFrom), and the Secret that lacks the key.
    const rendered = spawnSync('kubectl', ['kustomize', join(root, 'deploy/kubernetes/overlays/production')], { encoding: 'utf8' });
    const config = parseAllDocuments(rendered.stdout)
      .map((doc) => doc.toJSON() as { kind: string; metadata: { name: string }; data?: Record<string, string> })
      .find((m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('switchyard-config-'));
    expect(config?.data?.SWITCHYARD_REPLICAS).toBe('3');
    const message = refused(serverEntry, [], bareEnv({ ...config!.data!, DATA_DIR: dir, PORT: '0', REDIS_URL: 'redis://127.0.0.1:6379' }));
    expect(message).toMatch(/^switchyard: invalid configuration: DATABASE_URL is required with SWITCHYARD_REPLICAS=3/);
  });

  it('a proxy whose route file has no routes', () => {
    const routes = join(dir, 'routes.yml');
    writeFileSync(routes, 'routes: []\n');
    expect(refused(proxyEntry, ['--config', routes, '--port', '0', '--admin-port', '0'], bareEnv({}))).toBe(
      `switchyard proxy: --config ${routes} has no routes: add at least one route (apps/proxy/README.md)\n`,
    );
  });
});
