import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Logger } from '@switchyard/observability';
import {
  buildRouteReport,
  MirrorAnalysis,
  type CapturedExchange,
  type ExchangeOutcome,
  type MirrorRoute,
  type RouteAggregate,
  type RouteReport,
  type SkipReason,
} from '@switchyard/mirror';
import { CircuitBreaker } from './circuit-breaker';
import type { CaptureRecorder } from './recorder';
import type { LoadShedder } from './load-shedder';
import type { ProxyMetrics, ShadowTarget } from './proxy-metrics';
import { ReportHistory } from './report-history';
import type { SampleDecider } from './sample-decider';
import { ShadowUpstream, type ShadowResult } from './shadow-call';
import { ShadowExchange, type ExchangeRoute } from './shadow-exchange';

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never replayed.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect'];

export const SHADOW_HEADER = 'x-switchyard-shadow';

const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RouteMirrorDeps {
  decider: SampleDecider;
  /** Proxy-wide: admits sampled requests while the event loop has room for their shadow copies. */
  shedder: LoadShedder;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Shared by the mirrors that a route's edits replace one another with, so its report spans them. */
  history?: ReportHistory;
  /** Where a target URL really connects (see ProxyOptions.resolveUpstream); default: as written, through DNS. */
  resolveUpstream?: (url: string) => string;
  /** Record/replay: where this route's sampled exchanges are captured (`--record DIR` or the route's `record:`). */
  recorder?: CaptureRecorder;
}

/**
 * One route at run time: the primary target and its keep-alive agent for the live path, and
 * everything the mirror needs — sampling, load shedding, the in-flight budget, the circuit breaker,
 * separate connection pools for shadow calls (so a hanging candidate never holds a live socket)
 * and the analysis.
 */
export class RouteMirror implements ExchangeRoute {
  readonly analysis: MirrorAnalysis;
  readonly breaker: CircuitBreaker;
  readonly primary: URL;
  /** The primary as the live path's proxy targets it (the route's text, resolved). */
  readonly primaryTarget: string;
  readonly candidate: URL;
  readonly secondary?: URL;
  readonly primaryAgent: http.Agent;
  /** Where shadow copies go, each with its own bounded connection pool. */
  readonly shadows: { candidate: ShadowUpstream; secondary?: ShadowUpstream; primary: ShadowUpstream };
  private readonly methods: ReadonlySet<string>;
  private readonly scrub: ReadonlySet<string>;
  private inFlight = 0;
  private readonly shadowDurations = new Map<string, { observe(seconds: number): void }>();
  private readonly skipCounters = new Map<SkipReason, { inc(): void }>();
  /** Drained periods in time buckets: the local report covers the whole run, or from `since`. */
  readonly history: ReportHistory;
  private readonly counters;

  constructor(
    readonly route: MirrorRoute,
    readonly deps: RouteMirrorDeps,
  ) {
    this.analysis = new MirrorAnalysis(route);
    this.history = deps.history ?? new ReportHistory(route.name, { ships: true });
    const resolve = deps.resolveUpstream ?? ((url: string) => url);
    this.primaryTarget = resolve(route.primary);
    this.primary = new URL(this.primaryTarget);
    this.candidate = new URL(resolve(route.candidate));
    if (route.secondary) this.secondary = new URL(resolve(route.secondary));
    this.primaryAgent =
      this.primary.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxFreeSockets: 256 }) : new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
    this.shadows = {
      candidate: new ShadowUpstream(this.candidate, route.maxInFlight),
      secondary: this.secondary && new ShadowUpstream(this.secondary, route.maxInFlight),
      primary: new ShadowUpstream(this.primary, route.maxInFlight),
    };
    this.methods = new Set(route.methods);
    this.scrub = new Set([...HOP_BY_HOP, ...route.scrubHeaders]);
    const { metrics } = deps;
    this.counters = {
      notSampled: metrics.requests.labels(route.name, 'not_sampled'),
      compared: metrics.requests.labels(route.name, 'compared'),
      inFlight: metrics.inFlight.labels(route.name),
      breakerOpen: metrics.breakerOpen.labels(route.name),
    };
    this.counters.breakerOpen.set(0);
    this.counters.inFlight.set(0);
    this.breaker = new CircuitBreaker(route.breaker, (state, reason) => {
      this.counters.breakerOpen.set(state === 'closed' ? 0 : 1);
      deps.logger.warn({ route: route.name, state, reason }, `mirror circuit breaker ${state}`);
    });
  }

  get name(): string {
    return this.route.name;
  }

  /** Decides whether this request is mirrored; the returned exchange owns one unit of the in-flight budget. */
  begin(request: IncomingMessage, startedAt: number): ShadowExchange | undefined {
    const method = request.method ?? 'GET';
    const endpoint = this.analysis.endpointOf(method, request.url ?? '/');
    this.analysis.recordSeen(endpoint);
    if (!this.methods.has(method) && !this.mirrorsUnsafe(method, endpoint)) {
      this.skip(endpoint, 'method');
      return undefined;
    }
    if (!this.deps.decider.sampled(request)) {
      this.counters.notSampled.inc();
      return undefined;
    }
    this.analysis.recordSampled(endpoint);
    if (!this.deps.shedder.admit()) {
      this.skip(endpoint, 'overload');
      return undefined;
    }
    // Budget before breaker, so a half-open probe is only spent on a call that really goes out.
    if (this.inFlight >= this.route.maxInFlight) {
      this.skip(endpoint, 'budget');
      return undefined;
    }
    if (!this.breaker.allow()) {
      this.skip(endpoint, 'breaker');
      return undefined;
    }
    this.inFlight++;
    this.counters.inFlight.inc();
    return new ShadowExchange(this, endpoint, request, startedAt);
  }

  /** `mirrorUnsafe`: writes are copied to the candidate only where the route opted in (see the schema). */
  private mirrorsUnsafe(method: string, endpoint: string): boolean {
    const { mirrorUnsafe } = this.route;
    if (!mirrorUnsafe || !UNSAFE_METHODS.has(method)) return false;
    return mirrorUnsafe === true || mirrorUnsafe.includes(endpoint.slice(endpoint.indexOf(' ') + 1));
  }

  release(): void {
    this.inFlight--;
    this.counters.inFlight.dec();
  }

  skip(endpoint: string, reason: SkipReason): void {
    this.analysis.recordSkipped(endpoint, reason);
    this.countSkip(reason);
  }

  compared(endpoint: string, mismatch: boolean): void {
    this.counters.compared.inc();
    if (mismatch) this.deps.metrics.mismatches.labels(this.route.name, endpoint).inc();
  }

  /** Counts a skip that the analysis already knows of (the comparison itself skipped the exchange). */
  countSkip(reason: SkipReason): void {
    let counter = this.skipCounters.get(reason);
    if (!counter) this.skipCounters.set(reason, (counter = this.deps.metrics.skipCounters(this.route.name, reason)));
    counter.inc();
  }

  /** Times a finished shadow call; the histogram's children are looked up once, not per call. */
  shadowFinished(target: ShadowTarget, result: ShadowResult): void {
    const outcome = result.ok ? 'ok' : result.reason;
    const key = `${target}:${outcome}`;
    let child = this.shadowDurations.get(key);
    if (!child) this.shadowDurations.set(key, (child = this.deps.metrics.shadowDuration.labels(this.route.name, target, outcome)));
    child.observe(result.ms / 1000);
    if (target !== 'candidate') return;
    // Only a call that produced no response counts against the candidate; a cancelled one says nothing.
    if (result.ok) this.breaker.record(true);
    else if (result.reason !== 'cancelled') this.breaker.record(result.reason === 'tooLarge', result.detail);
  }

  claimCalibration(endpoint: string): boolean {
    return this.analysis.claimCalibration(endpoint);
  }

  compare(exchange: CapturedExchange): void {
    // Identical responses (the usual case) are counted right here, without a promise.
    let identical: ExchangeOutcome | undefined;
    try {
      identical = this.analysis.recordIfIdentical(exchange);
    } catch (error) {
      this.deps.logger.error({ err: error, route: this.name }, 'comparing a mirrored exchange failed');
      this.release();
      return;
    }
    if (identical) {
      this.compared(exchange.endpoint, false);
      this.release();
      return;
    }
    void this.analysis
      .recordDecoded(exchange)
      .then(
        (outcome) => {
          if (outcome.compared) this.compared(exchange.endpoint, outcome.mismatch);
          else this.countSkip(outcome.skipped);
        },
        (error: unknown) => this.deps.logger.error({ err: error, route: this.name }, 'comparing a mirrored exchange failed'),
      )
      .finally(() => this.release());
  }

  skipExchange(endpoint: string, reason: SkipReason): void {
    this.skip(endpoint, reason);
    this.release();
  }

  /** The client's headers minus hop-by-hop and scrubbed ones, marked as a shadow copy. */
  shadowHeaders(client: IncomingHttpHeaders, target: URL, bodyLength: number): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {};
    // Headers named in Connection are hop-by-hop too; most requests name none but keep-alive/close.
    const connection = client.connection;
    const perConnection =
      connection === undefined || connection === 'keep-alive' || connection === 'close'
        ? undefined
        : new Set(
            connection
              .split(',')
              .map((name) => name.trim().toLowerCase())
              .filter((name) => name !== ''),
          );
    for (const name in client) {
      const value = client[name];
      if (value === undefined || this.scrub.has(name) || perConnection?.has(name)) continue;
      headers[name] = value;
    }
    headers.host = target.host;
    if (bodyLength > 0 || 'content-length' in client) headers['content-length'] = String(bodyLength);
    else delete headers['content-length'];
    headers[SHADOW_HEADER] = '1';
    return headers;
  }

  report(since?: Date): RouteReport {
    return buildRouteReport(this.route, this.aggregate(since));
  }

  /** What `report` is built from; a cluster's primary merges these from its workers before building one report. */
  aggregate(since?: Date): RouteAggregate {
    return { ...this.history.aggregate(this.analysis.aggregate(), since), breaker: this.breaker.report() };
  }

  /** Moves what was recorded so far into the history (from a timer or a drain, never per request). */
  rotate(): void {
    this.history.add(this.analysis.drain());
  }

  /** What was recorded since the last drain, for the server; `undefined` when nothing was. */
  drain(): RouteAggregate | undefined {
    this.rotate();
    const batch = this.history.takeUnshipped();
    return batch && { ...batch, breaker: this.breaker.report() };
  }

  close(): void {
    this.primaryAgent.destroy();
    for (const upstream of Object.values(this.shadows)) void upstream?.close();
  }
}
