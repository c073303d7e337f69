import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Below this share the mirror still sends a trickle, so a saturated route keeps some evidence. */
const MIN_SHARE = 0.01;
/** Multiplicative decrease, additive increase: backs off fast, comes back within about a second. */
const DECREASE = 0.7;
const INCREASE = 0.1;
/**
 * Weight of the newest interval in the smoothed utilisation. A single busy interval (a garbage
 * collection, a burst of arrivals) must not shed; saturation lasting a few intervals must.
 */
const SMOOTHING = 0.3;

/**
 * Keeps shadow copies from competing with live requests for the proxy's one event loop. Every
 * `intervalMs` it measures event-loop utilisation; above `maxUtilization` it admits a smaller
 * share of the sampled requests, below it a larger one. With spare capacity everything sampled is
 * mirrored; when the live path needs the whole loop, the mirror yields instead of slowing it, and
 * what it did not send is counted (skipped: overload). `maxUtilization` 1 turns shedding off.
 */
export class LoadShedder {
  private current = 1;
  private smoothed = 0;
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer?: NodeJS.Timeout;
  private readonly random: () => number;
  private readonly onChange?: (share: number) => void;

  constructor(
    readonly maxUtilization: number,
    options: { intervalMs?: number; random?: () => number; onChange?: (share: number) => void } = {},
  ) {
    this.random = options.random ?? Math.random;
    this.onChange = options.onChange;
    if (maxUtilization < 1) this.timer = setInterval(() => this.adjust(this.measure()), options.intervalMs ?? 100).unref();
  }

  /** The share of sampled requests currently mirrored (1 = all). */
  get share(): number {
    return this.current;
  }

  /** Per sampled request: O(1), no clock read. */
  admit(): boolean {
    return this.current >= 1 || this.random() < this.current;
  }

  /** One control step from the utilisation (0–1) measured over the last interval. */
  adjust(utilization: number): void {
    this.smoothed += SMOOTHING * (utilization - this.smoothed);
    const next = this.smoothed > this.maxUtilization ? Math.max(MIN_SHARE, this.current * DECREASE) : Math.min(1, this.current + INCREASE);
    if (next === this.current) return;
    this.current = next;
    this.onChange?.(next);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private measure(): number {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    return utilization;
  }
}
