import { json } from '../../support/http';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port';
import { waitFor } from '../../support/test-server';

const root = resolve(__dirname, '../../..');

/** The newcomer's environment: no PostgreSQL, no Redis, nothing but a data directory. */
function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
  return { ...rest, LOG_LEVEL: 'warn', ...extra };
}

async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://127.0.0.1:${env.PORT}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      const [health, ready] = await Promise.all([fetch(`${url}/healthz`), fetch(`${url}/readyz`)]).catch(() => [undefined, undefined]);
      return health?.status === 200 && ready?.status === 200;
    },
    // The first start may also compile; 20 s is for the serving part, measured below.
    120_000,
    'server ready',
  );
  return { child, readyMs: Date.now() - started };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((done) => {
    child.once('exit', (code) => done(code));
    child.kill('SIGTERM');
  });
}

describe('npm start with embedded storage', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers /healthz and /readyz, and keeps its data across a restart', async () => {
    const port = String(await freePort());
    const env = bareEnv({ PORT: port, HOST: '127.0.0.1', DATA_DIR: dataDir });

    const first = await startServer(env);
    const installation = await json(await fetch(`http://127.0.0.1:${port}/api/v1/installation`));
    const readyz = await json(await fetch(`http://127.0.0.1:${port}/readyz`));
    expect(readyz.checks).toEqual({ database: 'up', migrations: 'up', redis: 'disabled' });
    expect(await stop(first.child)).toBe(0);

    const second = await startServer(env);
    // Already built, so this is the time a newcomer waits on every later start.
    expect(second.readyMs).toBeLessThan(20_000);
    process.stdout.write(`npm start → ready in ${second.readyMs} ms (embedded PGlite, in-process store)\n`);
    const again = await json(await fetch(`http://127.0.0.1:${port}/api/v1/installation`));
    expect(again.installationId).toBe(installation.installationId);
    expect(await stop(second.child)).toBe(0);
  }, 180_000);

  it.each([
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ REDIS_URL: 'nonsense' }, /REDIS_URL must be a URL starting with redis:\/\//],
    [{ DATABASE_URL: 'mysql://localhost/x', LOG_LEVEL: 'loud' }, /DATABASE_URL .*; LOG_LEVEL /],
  ])('bad configuration %j stops the process naming the variable', (bad, message) => {
    const entry = join(root, 'dist/apps/server/src/main.js');
    const result = spawnSync(process.execPath, [entry], { cwd: root, env: bareEnv({ DATA_DIR: dataDir, ...bad }), encoding: 'utf8', timeout: 30_000 });
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });
});
