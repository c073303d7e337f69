/**
 * One round of background work at a time: `kick()` runs a round now, or — when one is running —
 * once more right after it (any number of kicks during a round make one more round, so a nudge is
 * never lost and never piles up). `start(everyMs)` also kicks on an interval, unref'd so it keeps no
 * process alive. `stop()` refuses further rounds and resolves when the current one has ended.
 * A round that throws is reported to `onError` and the loop goes on. The rollout driver and the
 * schedule runner both poll this way.
 */
export class RoundLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private halted = false;

  constructor(
    private readonly round: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Whether `stop()` was called: a round checks this between its steps to end early. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Kicks every `everyMs` from now on, and once now. */
  start(everyMs: number): void {
    if (this.halted) return;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.kick(), everyMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a round now (or right after the current one). */
  kick(): void {
    if (this.halted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** No more rounds; resolves once the one in progress (if any) has ended. `stopped` is true at once. */
  async stop(): Promise<void> {
    this.halted = true;
    clearInterval(this.timer);
    await this.running;
  }
}
