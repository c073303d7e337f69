import { spawn } from 'node:child_process';

/** Keeps the end of a stage's output: enough to see why it failed, bounded so reports stay small. */
export class LogTail {
  private lines: string[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes = 16_384) {}

  push(line: string): void {
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line) + 1;
    while (this.bytes > this.maxBytes && this.lines.length > 1) this.bytes -= Buffer.byteLength(this.lines.shift() ?? '') + 1;
  }

  text(): string {
    return this.lines.join('\n');
  }
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every output line (stdout and stderr, interleaved as they arrive). */
  onLine?: (line: string) => void;
  /** Written to stdin, then stdin is closed (passwords go here, never into argv). */
  input?: string;
  timeoutMs?: number;
  /** Shown in log lines instead of argv, so secrets in arguments never reach a log. */
  display?: string;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The spawn failure (binary missing…), when there was one. */
  spawnError?: Error;
}

/** Process groups of the commands running now, so a cancelled CLI can stop them (see stopRunningCommands). */
const running = new Set<number>();

/**
 * Runs a process in its own process group, streaming its output line by line; never throws for
 * a non-zero exit. The group matters: `sh -c "npm test"` leaves node running if only sh is killed.
 */
export async function runCommand(command: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const group = child.pid;
    if (group !== undefined) running.add(group);
    let timedOut = false;
    let spawnError: Error | undefined;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            signalGroup(group, 'SIGTERM');
            setTimeout(() => signalGroup(group, 'SIGKILL'), 5000).unref();
          }, options.timeoutMs);
    const splitter = () => {
      let partial = '';
      return {
        write: (chunk: Buffer) => {
          const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
          partial = lines.pop() ?? '';
          for (const line of lines) options.onLine?.(line);
        },
        // A last line without a newline still belongs in the log.
        flush: () => {
          if (partial) options.onLine?.(partial);
          partial = '';
        },
      };
    };
    const out = splitter();
    const err = splitter();
    child.stdout.on('data', out.write);
    child.stderr.on('data', err.write);
    const flush = () => {
      out.flush();
      err.flush();
    };
    child.on('error', (error) => {
      spawnError = error;
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (group !== undefined) running.delete(group);
      flush();
      resolve({ code, signal, timedOut, spawnError });
    });
  });
}

/** Sends `signal` to every running command's process group (the CLI does this when it is cancelled). */
export function stopRunningCommands(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const group of running) signalGroup(group, signal);
}

function signalGroup(group: number | undefined, signal: NodeJS.Signals): void {
  if (group === undefined) return;
  try {
    process.kill(-group, signal);
  } catch {
    // Already gone.
  }
}

/** Runs a short command and returns its trimmed stdout, or undefined when it fails. */
export async function captureCommand(
  command: string,
  args: string[],
  options: Pick<CommandOptions, 'cwd' | 'env' | 'timeoutMs'> = {},
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', () => undefined);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? output.trim() : undefined);
    });
  });
}
