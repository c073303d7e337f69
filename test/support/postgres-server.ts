import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { waitForPort } from './redis-server';

/** The newest PostgreSQL server binaries installed by Debian (postgresql-<major>), if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : undefined;
}

/** PostgreSQL refuses to run as root; tests running as root start it as this account. */
const SERVICE_USER = 'postgres';

/**
 * `setpriv` execs the command as the service user (no intermediate process, unlike `runuser`/`su`,
 * which would stop themselves when their child is SIGSTOPped and then never report its exit).
 */
function asServiceUser(command: string, args: string[]): { command: string; args: string[] } {
  if (process.getuid?.() !== 0) return { command, args };
  return { command: 'setpriv', args: [`--reuid=${SERVICE_USER}`, `--regid=${SERVICE_USER}`, '--init-groups', '--', command, ...args] };
}

/**
 * A private PostgreSQL cluster (initdb in a temp directory, on a free loopback port, trust auth) that
 * a test may pause with SIGSTOP — the shared server at 5432 must never be frozen, others use it.
 */
export class PrivatePostgres {
  private process?: ChildProcess;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly bin: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (Debian package postgresql)');
    const root = mkdtempSync(join(tmpdir(), 'switchyard-pg-'));
    chmodSync(root, 0o755);
    const dataDir = join(root, 'data');
    if (process.getuid?.() === 0) {
      const ids = spawnSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' });
      const gid = spawnSync('id', ['-g', SERVICE_USER], { encoding: 'utf8' });
      chownSync(root, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
    }
    const init = asServiceUser(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    const result = spawnSync(init.command, init.args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr || result.stdout}`);
    const server = new PrivatePostgres(await freePort(), dataDir, bin);
    await server.launch();
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async launch(): Promise<void> {
    const run = asServiceUser(join(this.bin, 'postgres'), [
      '-D',
      this.dataDir,
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${this.dataDir}`,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=100',
    ]);
    const child = spawn(run.command, run.args, { stdio: 'ignore' });
    this.process = child;
    child.on('exit', () => {
      if (this.process === child) this.process = undefined;
    });
    await waitForPort(this.port, 15_000);
    // The port opens before the server accepts sessions; `pg_isready` tells when it does.
    for (let attempt = 0; attempt < 100; attempt++) {
      if (spawnSync(join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port)]).status === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('private PostgreSQL did not become ready');
  }

  /** The postmaster and every backend it forked: pausing only the postmaster would leave sessions answering. */
  private processIds(): number[] {
    const pidFile = join(this.dataDir, 'postmaster.pid');
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
    return [postmaster, ...children];
  }

  /** SIGSTOP every PostgreSQL process: connections stay open, nothing answers (a hung host, a GC-paused VM). */
  pause(): void {
    for (const pid of this.processIds()) signal(pid, 'SIGSTOP');
    // Again, now that the postmaster is stopped: a backend it forked after the first listing runs on otherwise.
    for (const pid of this.processIds()) signal(pid, 'SIGSTOP');
  }

  resume(): void {
    for (const pid of this.processIds()) signal(pid, 'SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child) {
      try {
        this.resume();
      } catch {
        // already gone
      }
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        // SIGQUIT: immediate shutdown (the data directory is thrown away); SIGKILL if that is ignored.
        child.kill('SIGQUIT');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      });
    }
    this.process = undefined;
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }
}

/** A backend listed a moment ago may have exited since (reaped once the postmaster runs): not an error. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
