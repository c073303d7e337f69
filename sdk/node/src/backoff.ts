/**
 * Reconnect delays: exponential from `initialMs`, capped at `maxMs`, with "equal jitter" (half
 * the delay fixed, half random) so that a fleet of clients that lost the server at the same
 * moment does not come back at the same moment, while no client retries in a tight loop.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** How many delays have been handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    return this.delayFor(this.attempt++);
  }

  /** The delay before retry number `attempt` (0-based), for callers that count attempts themselves. */
  delayFor(attempt: number): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
    const half = ceiling / 2;
    return Math.round(half + this.random() * half);
  }

  reset(): void {
    this.attempt = 0;
  }
}
