import type { LatencySummary } from './mirror-report.contract';

export type { LatencySummary } from './mirror-report.contract';

/**
 * A bounded uniform sample of latencies (reservoir sampling), so percentiles stay meaningful over
 * millions of requests in constant memory. Values may be negative (paired differences).
 */
export class LatencySample {
  private readonly values: number[] = [];
  private seen = 0;

  constructor(
    private readonly capacity = 1024,
    private readonly random: () => number = Math.random,
  ) {}

  get count(): number {
    return this.seen;
  }

  add(ms: number): void {
    this.seen++;
    if (this.values.length < this.capacity) {
      this.values.push(ms);
      return;
    }
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.capacity) this.values[slot] = ms;
  }

  /** The sample as plain JSON, for merging with samples taken elsewhere. */
  reservoir(): { seen: number; values: number[] } {
    return { seen: this.seen, values: [...this.values] };
  }

  summary(): LatencySummary {
    if (this.values.length === 0) return { count: 0, p50: null, p95: null, p99: null };
    const sorted = [...this.values].sort((a, b) => a - b);
    return { count: this.seen, p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95), p99: nearestRank(sorted, 99) };
  }
}

function nearestRank(sorted: readonly number[], percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return Math.round(sorted[rank - 1] * 1000) / 1000;
}
