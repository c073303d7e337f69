import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SkipReason } from '@switchyard/mirror';

export type RequestOutcome = 'not_sampled' | 'compared' | 'skipped' | 'dropped' | 'unmatched';
export type ShadowTarget = 'candidate' | 'secondary' | 'primary';

/** The proxy's own registry (several proxies in one test process must not share prom-client's global one). */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'outcome'>;
  readonly mismatches: Counter<'route' | 'endpoint'>;
  readonly shadowDuration: Histogram<'route' | 'target' | 'result'>;
  readonly skipped: Counter<'route' | 'reason'>;
  readonly dropped: Counter<'route'>;
  readonly primaryErrors: Counter<'route'>;
  readonly breakerOpen: Gauge<'route'>;
  readonly inFlight: Gauge<'route'>;
  readonly mirroredShare: Gauge;
  readonly reportBatches: Counter<'result'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'switchyard_mirror_requests_total',
      help: 'Requests matched to a mirrored route, by what happened to their shadow copy',
      labelNames: ['route', 'outcome'],
      registers,
    });
    this.mismatches = new Counter({
      name: 'switchyard_mirror_mismatches_total',
      help: 'Compared requests whose candidate response differed from the primary (before noise cancellation)',
      labelNames: ['route', 'endpoint'],
      registers,
    });
    this.shadowDuration = new Histogram({
      name: 'switchyard_mirror_shadow_duration_seconds',
      help: 'Duration of shadow calls (candidate, secondary, calibration replays to the primary)',
      labelNames: ['route', 'target', 'result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.skipped = new Counter({
      name: 'switchyard_mirror_skipped_total',
      help: 'Sampled or mirrorable requests not compared, by reason',
      labelNames: ['route', 'reason'],
      registers,
    });
    this.dropped = new Counter({
      name: 'switchyard_mirror_dropped_total',
      help: 'Shadow copies dropped, never queued: the route was at maxInFlight, or the load shedder held them back',
      labelNames: ['route'],
      registers,
    });
    this.primaryErrors = new Counter({
      name: 'switchyard_proxy_primary_errors_total',
      help: 'Requests the primary did not answer (the client got 502)',
      labelNames: ['route'],
      registers,
    });
    this.breakerOpen = new Gauge({
      name: 'switchyard_mirror_breaker_open',
      help: '1 while the route circuit breaker is open or half-open',
      labelNames: ['route'],
      // Across cluster workers (each has its own breaker): 1 while any of them is open.
      aggregator: 'max',
      registers,
    });
    this.mirroredShare = new Gauge({
      name: 'switchyard_mirror_admitted_share',
      help: 'Share of sampled requests the load shedder lets through to be mirrored (1 = all; lower while the live path needs the event loop)',
      // Across cluster workers: the mean of their shares (a sum would exceed 1).
      aggregator: 'average',
      registers,
    });
    this.inFlight = new Gauge({ name: 'switchyard_mirror_in_flight', help: 'Shadow exchanges in flight', labelNames: ['route'], registers });
    this.reportBatches = new Counter({
      name: 'switchyard_mirror_report_batches_total',
      help: 'Report batches for the server (connected mode): sent, failed (kept for retry) or dropped (buffer full while the server was unreachable)',
      labelNames: ['result'],
      registers,
    });
  }

  /**
   * The counters one skip increments, looked up once per route and reason: on a saturated proxy
   * nearly every request is a skip (overload), and prom-client's label lookup is not free.
   */
  skipCounters(route: string, reason: SkipReason): { inc(): void } {
    const counters = [this.skipped.labels(route, reason)];
    // Shed without being sent: over the in-flight budget, or while the live path needs the loop.
    if (reason === 'budget' || reason === 'overload') counters.push(this.dropped.labels(route), this.requests.labels(route, 'dropped'));
    else counters.push(this.requests.labels(route, 'skipped'));
    return { inc: () => counters.forEach((counter) => counter.inc()) };
  }
}
