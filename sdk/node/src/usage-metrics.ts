import type { EvaluationResult } from '@switchyard/core';

/** The body of `POST /sdk/v1/metrics`. */
export interface MetricsPayload {
  start: string;
  end: string;
  counts: MetricsCount[];
}

export interface MetricsCount {
  flag: string;
  variant: string | null;
  count: number;
}

/** The server accepts at most this many entries per post. */
export const MAX_ENTRIES_PER_POST = 1000;

class Tally {
  count = 1;

  constructor(
    readonly flag: string,
    readonly variant: string | null,
  ) {}
}

/**
 * Counts evaluations per flag and variant between two flushes, in bounded memory.
 *
 * The engine returns pre-built, frozen result objects, one per flag and outcome, so the hot path
 * counts by result identity: one Map lookup and an increment, no string building, no
 * allocation. Results that are built per call (a missing flag) or that belong to another flag
 * take a slower path keyed by name. Once `maxEntries` distinct tallies exist, further new
 * (flag, variant) pairs are dropped and counted in `dropped` until the next flush.
 */
export class UsageMetrics {
  private byResult = new Map<EvaluationResult, Tally>();
  private byName = new Map<string, Tally>();
  private size = 0;
  private start = Date.now();
  /** Evaluations not counted because the buffer was full. */
  dropped = 0;

  constructor(private readonly maxEntries: number) {}

  record(flag: string, result: EvaluationResult): void {
    const tally = this.byResult.get(result);
    if (tally !== undefined && tally.flag === flag) {
      tally.count++;
      return;
    }
    if (tally === undefined && result.errorCode === undefined) {
      if (this.size >= this.maxEntries) {
        this.dropped++;
        return;
      }
      this.byResult.set(result, new Tally(flag, result.variant ?? null));
      this.size++;
      return;
    }
    this.recordName(flag, result.errorCode === undefined ? (result.variant ?? null) : null);
  }

  /** An evaluation that produced no result from a snapshot (the client was not ready). */
  recordName(flag: string, variant: string | null): void {
    const name = variant === null ? `\0${flag}` : `${flag}\0${variant}`;
    const tally = this.byName.get(name);
    if (tally !== undefined) {
      tally.count++;
      return;
    }
    if (this.size >= this.maxEntries) {
      this.dropped++;
      return;
    }
    this.byName.set(name, new Tally(flag, variant));
    this.size++;
  }

  get pending(): number {
    return this.size;
  }

  /** Everything counted since the last call, merged per (flag, variant), and a fresh buffer. */
  take(now = Date.now()): MetricsPayload | undefined {
    const start = this.start;
    this.start = now;
    if (this.size === 0) return undefined;
    const merged = new Map<string, MetricsCount>();
    const add = (tally: Tally) => {
      const name = tally.variant === null ? `\0${tally.flag}` : `${tally.flag}\0${tally.variant}`;
      const entry = merged.get(name);
      if (entry !== undefined) entry.count += tally.count;
      else merged.set(name, { flag: tally.flag, variant: tally.variant, count: tally.count });
    };
    this.byResult.forEach(add);
    this.byName.forEach(add);
    this.byResult = new Map();
    this.byName = new Map();
    this.size = 0;
    return { start: new Date(start).toISOString(), end: new Date(now).toISOString(), counts: Array.from(merged.values()) };
  }
}

/** Splits a payload into posts the server accepts. */
export function splitPayload(payload: MetricsPayload, max = MAX_ENTRIES_PER_POST): MetricsPayload[] {
  const out: MetricsPayload[] = [];
  for (let i = 0; i < payload.counts.length; i += max) {
    out.push({ start: payload.start, end: payload.end, counts: payload.counts.slice(i, i + max) });
  }
  return out;
}
