import type { BreakerReport } from '@switchyard/mirror';

export interface BreakerOptions {
  /** Opens when at least this share of the last `minRequests` candidate calls failed. */
  failurePercent: number;
  minRequests: number;
  /** How long it stays open before letting a probe through. */
  openMs: number;
  /** While half-open, at most one probe per this interval (a probe may be dropped before it reports). */
  probeIntervalMs?: number;
}

type State = BreakerReport['state'];

/**
 * Stops mirroring a route whose candidate keeps timing out or refusing connections, so a broken
 * candidate costs the proxy nothing but a counter. Differences in responses are not failures;
 * only calls that produced no response are.
 */
export class CircuitBreaker {
  private state: State = 'closed';
  private readonly outcomes: boolean[] = [];
  private next = 0;
  private failures = 0;
  private openedAt = 0;
  private lastProbeAt = 0;
  private opens = 0;
  private reason?: string;

  constructor(
    private readonly options: BreakerOptions,
    private readonly onChange: (state: State, reason?: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get current(): State {
    return this.state;
  }

  /** Whether a mirrored call may go out now. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    const now = this.now();
    if (this.state === 'open') {
      if (now - this.openedAt < this.options.openMs) return false;
      this.transition('half-open');
    }
    if (now - this.lastProbeAt < (this.options.probeIntervalMs ?? 1000)) return false;
    this.lastProbeAt = now;
    return true;
  }

  record(success: boolean, failure?: string): void {
    if (this.state === 'half-open') {
      if (success) {
        this.reset();
        this.transition('closed');
      } else {
        this.open(`probe failed: ${failure ?? 'error'}`);
      }
      return;
    }
    if (this.state === 'open') return;
    const size = this.options.minRequests;
    if (this.outcomes.length < size) {
      this.outcomes.push(success);
    } else {
      if (!this.outcomes[this.next]) this.failures--;
      this.outcomes[this.next] = success;
      this.next = (this.next + 1) % size;
    }
    if (!success) this.failures++;
    if (this.outcomes.length >= size && (this.failures / size) * 100 >= this.options.failurePercent) {
      this.open(`${this.failures} of the last ${size} candidate calls failed (last: ${failure ?? 'error'})`);
    }
  }

  report(): BreakerReport {
    return {
      state: this.state,
      opens: this.opens,
      ...(this.opens > 0 ? { lastOpenedAt: new Date(this.openedAt).toISOString() } : {}),
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }

  private open(reason: string): void {
    this.openedAt = this.now();
    this.opens++;
    this.reason = reason;
    this.reset();
    this.transition('open', reason);
  }

  private reset(): void {
    this.outcomes.length = 0;
    this.next = 0;
    this.failures = 0;
  }

  private transition(state: State, reason?: string): void {
    if (this.state === state) return;
    this.state = state;
    this.onChange(state, reason);
  }
}
