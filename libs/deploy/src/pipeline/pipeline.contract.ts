// The pieces of a pipeline that clients see on the wire: the stage names a release reports, and the
// canary analysis an approver is shown at a gate. Browser-safe (types and `as const` lists only).

export const STAGE_NAMES = ['build', 'test', 'publish'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface AnalysisSpec {
  interval: string;
  iterations: number;
  /** Fewer canary requests than this in an iteration make it inconclusive rather than failed. */
  minSamples: number;
  /** PromQL counting the canary's requests (default: increase of http_requests_total over 1m). */
  samples?: string;
  /** Iterations allowed to fail before the canary is rolled back. */
  failureLimit: number;
  metrics: MetricSpec[];
}

export interface MetricSpec {
  name: string;
  /** PromQL with {{service}}, {{track}}, {{environment}}, {{namespace}}. */
  query: string;
  max?: number;
  min?: number;
  compare?: { to: 'stable'; maxRatio: number };
}
