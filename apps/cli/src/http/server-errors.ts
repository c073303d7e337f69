// A leaf folder: both the deploy client (CLI root) and flags-as-code import it, and it imports
// neither, so the two never form an import cycle.

/** The server could not be reached (or kept failing) within the retry bound. */
export class ServerUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly attempts: number,
    readonly reason: string,
  ) {
    super(`cannot reach the Switchyard server at ${url} (${attempts} attempt${attempts === 1 ? '' : 's'}): ${reason}`);
    this.name = 'ServerUnreachableError';
  }
}

/** The server answered with an error; `message` is its own. */
export class ServerRejectedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Array<{ path: string; problem: string }> = [],
  ) {
    super(message);
    this.name = 'ServerRejectedError';
  }
}
