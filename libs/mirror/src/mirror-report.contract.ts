// A dark launch's report as the proxy's GET /reports and the server's /api/v1/mirror/reports answer
// it. Browser-safe (types and `as const` lists only): the admin UI imports it with `import type`.

/** How two values at one path differ. */
export const DIFFERENCE_KINDS = ['value', 'type', 'missing', 'extra', 'order', 'length'] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

/** Milliseconds; null percentiles when nothing was measured. */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export type Verdict = 'pass' | 'fail' | 'insufficient-data';

/** Why a request that matched a route was not compared. */
export const SKIP_REASONS = ['method', 'bodyTooLarge', 'budget', 'overload', 'breaker', 'candidateTimeout', 'candidateError', 'primaryIncomplete'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface ExampleResponse {
  status: number;
  headers: Record<string, string>;
  /** Redacted and truncated. */
  body: string;
}

/** One concrete occurrence of a differing field, kept so a person can see it side by side. */
export interface FieldExample {
  at: string;
  request: { method: string; url: string; headers: Record<string, string> };
  path: string;
  kind: DifferenceKind;
  primary?: unknown;
  candidate?: unknown;
  responses: { primary: ExampleResponse; candidate: ExampleResponse };
}

export interface FieldReport {
  field: string;
  kinds: Partial<Record<DifferenceKind, number>>;
  /** Compared requests where primary and candidate differ in this field. */
  raw: number;
  /** Differences between two copies of the primary, scaled to the compared requests. */
  noise: number;
  /** Reported after noise cancellation (Diffy's rule). */
  significant: boolean;
  examples: FieldExample[];
}

export interface MismatchRates {
  raw: number;
  afterNoise: number;
}

export interface EndpointReport {
  endpoint: string;
  seen: number;
  sampled: number;
  compared: number;
  /** Exchanges that also produced a baseline pair (secondary or calibration). */
  noiseCompared: number;
  skipped: Record<SkipReason, number>;
  mismatched: { raw: number; afterNoise: number };
  mismatchRate: MismatchRates;
  /** Significant fields first, then by raw count; at most the top 25. */
  fields: FieldReport[];
  /** primary status → candidate status → count. */
  statusMatrix: Record<string, Record<string, number>>;
  latencyMs: { primary: LatencySummary; candidate: LatencySummary; difference: LatencySummary };
  verdict: Verdict;
}

/** A compare rule the live version itself suggests: two primary responses differ in this field. */
export interface SuggestedIgnore {
  rule: string;
  endpoints: string[];
  evidence: { differing: number; baselinePairs: number; rate: number; examples: { primary?: unknown; other?: unknown }[] };
}

export interface BreakerReport {
  state: 'closed' | 'open' | 'half-open';
  opens: number;
  lastOpenedAt?: string;
  reason?: string;
}

export interface VerdictThresholds {
  minCompared: number;
  maxMismatchPercent: number;
}

/** Where the baseline (two copies of the primary) comes from. */
export type NoiseSource = 'secondary' | 'calibration';

export interface RouteReport {
  route: string;
  since: string;
  noiseSource: NoiseSource;
  verdict: Verdict;
  thresholds: VerdictThresholds & { noise: { relativePercent: number; absolutePercent: number } };
  breaker?: BreakerReport;
  totals: {
    seen: number;
    sampled: number;
    compared: number;
    skipped: Record<SkipReason, number>;
    mismatched: { raw: number; afterNoise: number };
    mismatchRate: MismatchRates;
  };
  suggestedIgnores: SuggestedIgnore[];
  /** Highest mismatch rate after noise first. */
  endpoints: EndpointReport[];
}

/** What `GET /reports` answers (and, later, the server's `/api/v1/mirror/reports`). */
export interface MirrorReport {
  generatedAt: string;
  routes: RouteReport[];
}
