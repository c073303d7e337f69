import { DEFAULT_AGGREGATE_LIMITS, mergeRouteAggregates, type AggregateLimits, type RouteAggregate } from '@switchyard/mirror';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

// Minute buckets are the most numerous; a smaller latency sample in each keeps them cheap, and an
// hour merged from them still fills the full 1024-value reservoir.
const MINUTE_LIMITS: AggregateLimits = { ...DEFAULT_AGGREGATE_LIMITS, latencySamples: 256 };

export interface ReportHistoryOptions {
  /** Minute buckets kept before they are folded into their hour (default 60: the last hour). */
  minutes?: number;
  /** Hour buckets kept before they are folded into one bucket for everything older (default 24). */
  hours?: number;
  /** Keep what is added for `takeUnshipped()` as well (connected mode ships it to the server). */
  ships?: boolean;
  now?: () => number;
}

interface Bucket {
  aggregate: RouteAggregate;
  /** End of the latest traffic in it (an hour may hold only the minutes folded into it so far). */
  until: number;
}

/**
 * What a proxy recorded for one route, in time buckets so that a report can start at `since`: one
 * per minute for the last hour, one per hour for the last day, and one for everything older,
 * which only the whole-run report (no `since`) includes. At most minutes + hours + 1 buckets,
 * however long the proxy runs. Buckets are filled with drained periods — every minute from a
 * timer and at each connected-mode drain, never per request.
 */
export class ReportHistory {
  /** When the route was first loaded: the start of the whole-run report. */
  readonly startedAt: Date;
  private readonly minutes = new Map<number, Bucket>();
  private readonly hours = new Map<number, Bucket>();
  private earlier?: Bucket;
  private unshipped?: RouteAggregate;
  private readonly minuteCount: number;
  private readonly hourCount: number;
  private readonly now: () => number;

  constructor(
    readonly route: string,
    private readonly options: ReportHistoryOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.minuteCount = options.minutes ?? 60;
    this.hourCount = options.hours ?? 24;
    this.startedAt = new Date(this.now());
  }

  /** How many buckets are held (bounded by minutes + hours + 1). */
  get bucketCount(): number {
    return this.minutes.size + this.hours.size + (this.earlier ? 1 : 0);
  }

  /** Files a drained period (from `period.since` until now) under the minute of its middle. */
  add(period: RouteAggregate): void {
    if (period.endpoints.length === 0) return;
    const now = this.now();
    const minute = floor((Date.parse(period.since) + now) / 2, MINUTE_MS);
    this.minutes.set(minute, { aggregate: merged(this.route, this.minutes.get(minute)?.aggregate, period, MINUTE_LIMITS), until: minute + MINUTE_MS });
    if (this.options.ships) this.unshipped = merged(this.route, this.unshipped, period);
    this.compact(now);
  }

  /** Everything added since the last call (only with `ships`). */
  takeUnshipped(): RouteAggregate | undefined {
    const batch = this.unshipped;
    this.unshipped = undefined;
    return batch;
  }

  /**
   * `current` (the period not drained yet) merged with the buckets holding traffic at or after
   * `since`. A minute or hour that straddles `since` counts, as an hour does on the server; the
   * bucket of older traffic does not, and then the report's `since` says where it really starts.
   */
  aggregate(current: RouteAggregate, since?: Date): RouteAggregate {
    const from = since?.getTime() ?? -Infinity;
    let coveredFrom = from;
    const parts: RouteAggregate[] = [];
    if (this.earlier) {
      if (from <= Date.parse(this.earlier.aggregate.since)) parts.push(this.earlier.aggregate);
      else coveredFrom = Math.max(from, this.earlier.until);
    }
    for (const bucket of [...this.hours.values(), ...this.minutes.values()]) if (bucket.until > from) parts.push(bucket.aggregate);
    if (this.now() >= from) parts.push(current);
    const aggregate = mergeRouteAggregates(this.route, parts);
    aggregate.since = since === undefined ? this.startedAt.toISOString() : new Date(coveredFrom).toISOString();
    return aggregate;
  }

  /** Minutes older than the minute window go into their hour, hours older than the hour window into `earlier`. */
  private compact(now: number): void {
    const oldestMinute = floor(now, MINUTE_MS) - (this.minuteCount - 1) * MINUTE_MS;
    for (const [minute, bucket] of this.minutes) {
      if (minute >= oldestMinute) continue;
      this.minutes.delete(minute);
      const hour = floor(minute, HOUR_MS);
      this.hours.set(hour, fold(this.route, this.hours.get(hour), bucket));
    }
    const oldestHour = floor(now, HOUR_MS) - (this.hourCount - 1) * HOUR_MS;
    for (const [hour, bucket] of this.hours) {
      if (hour >= oldestHour) continue;
      this.hours.delete(hour);
      this.earlier = fold(this.route, this.earlier, bucket);
    }
  }
}

/**
 * Calls `tick` at the start of every minute until the returned function is called, so drained
 * periods line up with minute buckets. Timers are unref'd: they never keep the process alive.
 */
export function everyMinute(tick: () => void, now: () => number = Date.now): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = () => {
    try {
      tick();
    } finally {
      schedule();
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(run, MINUTE_MS - (now() % MINUTE_MS));
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function fold(route: string, into: Bucket | undefined, bucket: Bucket): Bucket {
  return { aggregate: merged(route, into?.aggregate, bucket.aggregate), until: Math.max(into?.until ?? 0, bucket.until) };
}

function merged(route: string, into: RouteAggregate | undefined, part: RouteAggregate, limits?: AggregateLimits): RouteAggregate {
  return mergeRouteAggregates(route, into ? [into, part] : [part], limits);
}

function floor(at: number, unit: number): number {
  return Math.floor(at / unit) * unit;
}
