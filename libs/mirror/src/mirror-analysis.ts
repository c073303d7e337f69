import { EndpointGrouper } from './endpoint-grouper';
import { buildRouteReport, OTHER_FIELDS, type EndpointAggregate, type RouteAggregate } from './mirror-aggregate';
import type { Difference, DifferenceKind } from './json-diff';
import { LatencySample } from './latency-sample';
import { emptySkips, type ExampleResponse, type FieldExample, type RouteReport, type SkipReason, type BreakerReport } from './mirror-report';
import type { MirrorRoute } from './mirror-route.schema';
import { BodyTooLargeError, prepareResponse, type CapturedResponse, type HeaderValues, type PreparedResponse } from './prepared-response';
import { ResponseComparator } from './response-comparator';
import { SecretRedactor } from './secret-redactor';

export interface MirrorAnalysisLimits {
  maxEndpoints: number;
  maxFieldsPerEndpoint: number;
  examplesPerField: number;
  examplesPerEndpoint: number;
  maxSignatures: number;
  latencySamples: number;
  exampleBodyChars: number;
  fieldsInReport: number;
}

const DEFAULT_LIMITS: MirrorAnalysisLimits = {
  maxEndpoints: 200,
  maxFieldsPerEndpoint: 256,
  examplesPerField: 3,
  examplesPerEndpoint: 25,
  maxSignatures: 1024,
  latencySamples: 1024,
  exampleBodyChars: 2048,
  fieldsInReport: 25,
};

/** A finished mirrored exchange, responses already decoded and parsed. */
export interface PreparedExchange {
  endpoint: string;
  request: { method: string; url: string; headers: HeaderValues };
  primary: PreparedResponse;
  candidate: PreparedResponse;
  /** A second response of the live version (the secondary, or a calibration replay to the primary). */
  baseline?: PreparedResponse;
  primaryMs: number;
  candidateMs: number;
}

export type CapturedExchange = Omit<PreparedExchange, 'primary' | 'candidate' | 'baseline'> & {
  primary: CapturedResponse;
  candidate: CapturedResponse;
  baseline?: CapturedResponse;
};

export type ExchangeOutcome = { compared: true; mismatch: boolean; differences: Difference[] } | { compared: false; skipped: SkipReason };

interface FieldStats {
  raw: number;
  noise: number;
  kinds: Partial<Record<DifferenceKind, number>>;
  examples: FieldExample[];
  noiseExamples: { primary?: unknown; other?: unknown }[];
}

interface EndpointStats {
  seen: number;
  sampled: number;
  compared: number;
  noiseCompared: number;
  calibrationsStarted: number;
  examples: number;
  skipped: Record<SkipReason, number>;
  mismatchedRaw: number;
  fields: Map<string, FieldStats>;
  /** Sorted differing fields of a request → how many requests had exactly that set. */
  signatures: Map<string, number>;
  signatureOverflow: number;
  statusMatrix: Map<number, Map<number, number>>;
  primaryMs: LatencySample;
  candidateMs: LatencySample;
  differenceMs: LatencySample;
}

/**
 * Everything a proxy learns about one route, in bounded memory: per endpoint counts, differing
 * fields with raw and noise counts, bounded redacted examples, a status matrix and latency
 * samples. `report()` applies noise cancellation and the verdict thresholds at read time, so
 * changing thresholds never needs the traffic again.
 */
export class MirrorAnalysis {
  readonly comparator: ResponseComparator;
  private readonly grouper: EndpointGrouper;
  private readonly redactor: SecretRedactor;
  private readonly limits: MirrorAnalysisLimits;
  private readonly endpoints = new Map<string, EndpointStats>();
  private periodStart: Date;
  private readonly calibrationEvery: number;
  private readonly now: () => Date;

  constructor(
    readonly route: MirrorRoute,
    options: { limits?: Partial<MirrorAnalysisLimits>; now?: () => Date } = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? (() => new Date());
    this.periodStart = this.now();
    this.comparator = new ResponseComparator(route.compare);
    this.grouper = new EndpointGrouper(route.endpoints, this.limits.maxEndpoints);
    this.redactor = new SecretRedactor(route.scrubHeaders);
    const percent = route.compare.calibration.percent;
    this.calibrationEvery = percent > 0 ? Math.max(1, Math.round(100 / percent)) : 0;
  }

  get noiseSource(): 'secondary' | 'calibration' {
    return this.route.secondary ? 'secondary' : 'calibration';
  }

  endpointOf(method: string, url: string): string {
    return this.grouper.group(method, url);
  }

  recordSeen(endpoint: string): void {
    this.stats(endpoint).seen++;
  }

  recordSampled(endpoint: string): void {
    this.stats(endpoint).sampled++;
  }

  recordSkipped(endpoint: string, reason: SkipReason): void {
    this.stats(endpoint).skipped[reason]++;
  }

  /**
   * Whether this mirrored request should also be replayed to the primary as a noise baseline
   * (only without a secondary): the first few per endpoint, then a steady share.
   */
  claimCalibration(endpoint: string): boolean {
    if (this.route.secondary) return false;
    const stats = this.stats(endpoint);
    const due =
      stats.calibrationsStarted < this.route.compare.calibration.minPerEndpoint || (this.calibrationEvery > 0 && stats.sampled % this.calibrationEvery === 0);
    if (due) stats.calibrationsStarted++;
    return due;
  }

  /**
   * Records an exchange whose responses are byte-identical in everything compared (they cannot
   * differ under any rule, so nothing is decoded or parsed) and says so; `undefined`, recording
   * nothing, when they are not. Synchronous, so the common case of a dark launch costs no promise.
   */
  recordIfIdentical(exchange: CapturedExchange): ExchangeOutcome | undefined {
    const { comparator } = this;
    if (!comparator.identical(exchange.primary, exchange.candidate) || (exchange.baseline && !comparator.identical(exchange.primary, exchange.baseline))) {
      return undefined;
    }
    const stats = this.stats(exchange.endpoint);
    this.countCompared(stats, exchange.primary.status, exchange.candidate.status, exchange);
    if (exchange.baseline) stats.noiseCompared++;
    return { compared: true, mismatch: false, differences: [] };
  }

  /** Decodes and records an exchange; a body that decodes past the limit is skipped, not compared. */
  async recordCaptured(exchange: CapturedExchange): Promise<ExchangeOutcome> {
    return this.recordIfIdentical(exchange) ?? this.recordDecoded(exchange);
  }

  /** Decodes, parses and records an exchange that `recordIfIdentical` turned down. */
  async recordDecoded(exchange: CapturedExchange): Promise<ExchangeOutcome> {
    const limit = Math.min(this.route.maxBodyBytes * 8, 256 * 1024 * 1024);
    try {
      const [primary, candidate, baseline] = await Promise.all([
        prepareResponse(exchange.primary, limit),
        prepareResponse(exchange.candidate, limit),
        exchange.baseline ? prepareResponse(exchange.baseline, limit) : Promise.resolve(undefined),
      ]);
      return this.record({ ...exchange, primary, candidate, baseline });
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      this.recordSkipped(exchange.endpoint, 'bodyTooLarge');
      return { compared: false, skipped: 'bodyTooLarge' };
    }
  }

  record(exchange: PreparedExchange): ExchangeOutcome {
    const stats = this.stats(exchange.endpoint);
    const differences = this.comparator.compare(exchange.primary, exchange.candidate);
    this.countCompared(stats, exchange.primary.status, exchange.candidate.status, exchange);

    if (differences.length > 0) {
      stats.mismatchedRaw++;
      const fields = new Set<string>();
      for (const difference of differences) {
        const name = this.fieldKey(stats, difference.field);
        const field = this.fieldStats(stats, name);
        field.kinds[difference.kind] = (field.kinds[difference.kind] ?? 0) + 1;
        // A field counts once per request however many array elements differ in it.
        if (fields.has(name)) continue;
        fields.add(name);
        field.raw++;
        this.keepExample(stats, field, difference, exchange);
      }
      this.countSignature(stats, [...fields].sort().join('\n'));
    }

    if (exchange.baseline) {
      stats.noiseCompared++;
      const noisy = new Set<string>();
      for (const difference of this.comparator.compare(exchange.primary, exchange.baseline)) {
        const name = this.fieldKey(stats, difference.field);
        if (noisy.has(name)) continue;
        noisy.add(name);
        const field = this.fieldStats(stats, name);
        field.noise++;
        if (field.noiseExamples.length < this.limits.examplesPerField) {
          field.noiseExamples.push({
            primary: this.exampleValue(difference.field, difference.primary),
            other: this.exampleValue(difference.field, difference.candidate),
          });
        }
      }
    }
    return { compared: true, mismatch: differences.length > 0, differences };
  }

  report(extra: { breaker?: BreakerReport } = {}): RouteReport {
    return buildRouteReport(this.route, { ...this.aggregate(), ...(extra.breaker ? { breaker: extra.breaker } : {}) }, this.limits);
  }

  /** Everything recorded so far, as plain JSON (what a connected proxy sends to the server). */
  aggregate(): RouteAggregate {
    const endpoints: EndpointAggregate[] = [];
    for (const [endpoint, stats] of this.endpoints) {
      // Drained endpoints stay in the map (for their calibration progress) until traffic returns.
      if (stats.seen + stats.sampled + stats.compared + Object.values(stats.skipped).reduce((sum, n) => sum + n, 0) === 0) continue;
      const fields: EndpointAggregate['fields'] = {};
      for (const [name, field] of stats.fields)
        fields[name] = {
          raw: field.raw,
          noise: field.noise,
          kinds: { ...field.kinds },
          examples: [...field.examples],
          noiseExamples: [...field.noiseExamples],
        };
      const statusMatrix: Record<string, Record<string, number>> = {};
      for (const [primary, row] of stats.statusMatrix) statusMatrix[String(primary)] = Object.fromEntries([...row].map(([status, n]) => [String(status), n]));
      endpoints.push({
        endpoint,
        seen: stats.seen,
        sampled: stats.sampled,
        compared: stats.compared,
        noiseCompared: stats.noiseCompared,
        skipped: { ...stats.skipped },
        mismatchedRaw: stats.mismatchedRaw,
        fields,
        signatures: Object.fromEntries(stats.signatures),
        signatureOverflow: stats.signatureOverflow,
        statusMatrix,
        latencyMs: { primary: stats.primaryMs.reservoir(), candidate: stats.candidateMs.reservoir(), difference: stats.differenceMs.reservoir() },
      });
    }
    return { route: this.route.name, since: this.periodStart.toISOString(), endpoints };
  }

  /**
   * Hands over what was recorded since the last drain and starts a new period; endpoints keep
   * their calibration progress, so draining does not re-trigger the first calibration replays.
   */
  drain(): RouteAggregate {
    const batch = this.aggregate();
    const previous = [...this.endpoints];
    this.endpoints.clear();
    for (const [endpoint, stats] of previous) this.stats(endpoint).calibrationsStarted = stats.calibrationsStarted;
    this.periodStart = this.now();
    return batch;
  }

  private stats(endpoint: string): EndpointStats {
    let stats = this.endpoints.get(endpoint);
    if (!stats) {
      const samples = this.limits.latencySamples;
      stats = {
        seen: 0,
        sampled: 0,
        compared: 0,
        noiseCompared: 0,
        calibrationsStarted: 0,
        examples: 0,
        skipped: emptySkips(),
        mismatchedRaw: 0,
        fields: new Map(),
        signatures: new Map(),
        signatureOverflow: 0,
        statusMatrix: new Map(),
        primaryMs: new LatencySample(samples),
        candidateMs: new LatencySample(samples),
        differenceMs: new LatencySample(samples),
      };
      this.endpoints.set(endpoint, stats);
    }
    return stats;
  }

  private countCompared(stats: EndpointStats, primaryStatus: number, candidateStatus: number, timing: { primaryMs: number; candidateMs: number }): void {
    stats.compared++;
    let row = stats.statusMatrix.get(primaryStatus);
    if (!row) stats.statusMatrix.set(primaryStatus, (row = new Map<number, number>()));
    row.set(candidateStatus, (row.get(candidateStatus) ?? 0) + 1);
    stats.primaryMs.add(timing.primaryMs);
    stats.candidateMs.add(timing.candidateMs);
    stats.differenceMs.add(timing.candidateMs - timing.primaryMs);
  }

  /** Fields beyond the per-endpoint cap are pooled, so a response full of random keys stays bounded. */
  private fieldKey(stats: EndpointStats, name: string): string {
    return stats.fields.has(name) || stats.fields.size < this.limits.maxFieldsPerEndpoint ? name : OTHER_FIELDS;
  }

  private fieldStats(stats: EndpointStats, name: string): FieldStats {
    let field = stats.fields.get(name);
    if (!field) {
      field = { raw: 0, noise: 0, kinds: {}, examples: [], noiseExamples: [] };
      stats.fields.set(name, field);
    }
    return field;
  }

  private countSignature(stats: EndpointStats, signature: string): void {
    const count = stats.signatures.get(signature);
    if (count !== undefined) stats.signatures.set(signature, count + 1);
    else if (stats.signatures.size < this.limits.maxSignatures) stats.signatures.set(signature, 1);
    else stats.signatureOverflow++;
  }

  private keepExample(stats: EndpointStats, field: FieldStats, difference: Difference, exchange: PreparedExchange): void {
    if (field.examples.length >= this.limits.examplesPerField || stats.examples >= this.limits.examplesPerEndpoint) return;
    stats.examples++;
    field.examples.push({
      at: this.now().toISOString(),
      request: { method: exchange.request.method, url: this.redactor.url(exchange.request.url), headers: this.redactor.headersOf(exchange.request.headers) },
      path: difference.path,
      kind: difference.kind,
      ...(difference.primary !== undefined ? { primary: this.exampleValue(difference.field, difference.primary) } : {}),
      ...(difference.candidate !== undefined ? { candidate: this.exampleValue(difference.field, difference.candidate) } : {}),
      responses: { primary: this.exampleResponse(exchange.primary), candidate: this.exampleResponse(exchange.candidate) },
    });
  }

  private exampleValue(field: string, value: unknown): unknown {
    return truncateValue(this.redactor.valueAt(field, value));
  }

  private exampleResponse(response: PreparedResponse): ExampleResponse {
    const body = response.body;
    const text =
      body.type === 'json'
        ? JSON.stringify(this.redactor.value(body.value))
        : body.type === 'bytes'
          ? this.redactor.text(body.preview)
          : `(undecodable: ${body.reason})`;
    const limit = this.limits.exampleBodyChars;
    return {
      status: response.status,
      headers: this.redactor.headersOf(response.headers),
      body: text.length > limit ? `${text.slice(0, limit)}… (${text.length - limit} more characters)` : text,
    };
  }
}

/** Values in examples are for reading, not for replaying: long strings and big subtrees are cut. */
function truncateValue(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 256 ? `${value.slice(0, 256)}…` : value;
  if (value !== null && typeof value === 'object') {
    const text = JSON.stringify(value);
    return text.length > 512 ? `${text.slice(0, 512)}…` : value;
  }
  return value;
}
