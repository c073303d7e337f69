import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './test-server';

const root = resolve(__dirname, '../..');
/** A private build (not dist/, which `npm start` and other suites rebuild and delete at will). */
const OUT_DIR = join(root, '.cache', 'test-server-build');
const ENTRY = join(OUT_DIR, 'apps/server/src/main.js');
const STAMP = join(OUT_DIR, '.built');

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
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= sources) return ENTRY;
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
