/** Everything the CLI touches outside itself, so tests run it in-process with their own. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
}

export const EXIT_OK = 0;
/** A stage failed, or the release could not be recorded. */
export const EXIT_FAILED = 1;
/** Bad usage or an invalid pipeline file: nothing was run. */
export const EXIT_USAGE = 2;

export const CLI_VERSION = '0.1.0';

/** Wrong flags, missing values, an invalid pipeline file: exit 2 with the message. */
export class UsageError extends Error {
  /** `preformatted`: lines already in `file:line: field: problem` form, printed as they are. */
  constructor(
    message: string,
    readonly preformatted = false,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command failed for a reason worth one clear line (server unreachable, release not found): exit 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}
