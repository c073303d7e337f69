import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './test-server';

const root = resolve(__dirname, '../..');
/** A private build (not dist/, which `npm start` and other suites rebuild and delete at will). */
const OUT_DIR = join(root, '.cache', 'test-server-build');
const ENTRY = join(OUT_DIR, 'apps/server/src/main.js');
const STAMP = join(OUT_DIR, '.built');
/** Held while one Jest worker builds, so two suites starting together never compile into one directory. */
const LOCK = `${OUT_DIR}.lock`;

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.endsWith('.spec.ts')) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/**
 * Compiles the server as production runs it (tsc + path aliases) when the sources are newer than
 * the last build. Type errors elsewhere in the tree do not stop tsc from emitting.
 */
export function ensureServerBuild(): string {
  const sources = Math.max(...['apps/server/src', 'libs', 'sdk/core/src'].map((dir) => newestMtime(join(root, dir))));
  const fresh = () => existsSync(STAMP) && statSync(STAMP).mtimeMs >= sources;
  if (fresh()) return ENTRY;
  return withBuildLock(() => {
    // Another worker may have built while this one waited.
    if (fresh()) return ENTRY;
    const started = Date.now();
    try {
      execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', OUT_DIR], { cwd: root, stdio: 'ignore' });
    } catch {
      if (!existsSync(ENTRY)) throw new Error('the server build emitted nothing (tsc -p tsconfig.build.json)');
    }
    execFileSync(process.execPath, ['node_modules/tsc-alias/dist/bin/index.js', '-p', 'tsconfig.build.json', '--outDir', OUT_DIR], {
      cwd: root,
      stdio: 'ignore',
    });
    writeFileSync(STAMP, String(Date.now() - started));
    return ENTRY;
  });
}

/** mkdir is atomic: the worker that creates the lock directory builds, the others wait for it to go. */
function withBuildLock<T>(build: () => T): T {
  mkdirSync(join(root, '.cache'), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A worker killed mid-build leaves its lock behind; a build never takes five minutes here.
      const heldFor = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (heldFor > 300_000) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for another worker's server build (${LOCK})`, { cause: error });
      // The build is synchronous (callers are too), so the wait is a blocking one.
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    return build();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** One server replica as its own process (so a test can SIGKILL it), on a fixed port. */
export class ServerProcess {
  private child?: ChildProcess;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where this replica's output goes. */
  get logFile(): string {
    return join(tmpdir(), `switchyard-server-${this.port}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [ENTRY], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(this.port),
        ...this.env,
      },
      // Its log (warnings and errors) is kept for a failing test to point at.
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    let exited: number | null | undefined;
    child.once('exit', (code) => {
      exited = code;
    });
    await waitFor(
      async () => {
        if (exited !== undefined) throw new Error(`server on port ${this.port} exited with ${exited} while starting`);
        const res = await fetch(`${this.url}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      timeoutMs,
      `the server on port ${this.port} to be ready`,
    );
  }

  /** SIGKILL: no graceful shutdown, no goodbye to its clients. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
