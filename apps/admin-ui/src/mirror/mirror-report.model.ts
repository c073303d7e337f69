import type { EndpointReport, FieldExample, LatencySummary } from '../api/deploy-types';

/** Worst first: mismatches that survive noise cancellation, then raw ones, then traffic. */
export function sortEndpoints(endpoints: readonly EndpointReport[]): EndpointReport[] {
  return [...endpoints].sort(
    (a, b) =>
      b.mismatchRate.afterNoise - a.mismatchRate.afterNoise ||
      b.mismatchRate.raw - a.mismatchRate.raw ||
      b.compared - a.compared ||
      a.endpoint.localeCompare(b.endpoint),
  );
}

/** Rates arrive as fractions (0.0123); people read percentages. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return '0%';
  const percent = rate * 100;
  if (percent < 0.01) return '<0.01%';
  return `${percent < 10 ? percent.toFixed(2) : percent.toFixed(1)}%`;
}

export const PERCENTILES = ['p50', 'p95', 'p99'] as const;
export type Percentile = (typeof PERCENTILES)[number];

export interface LatencyBar {
  percentile: Percentile;
  side: 'primary' | 'candidate';
  value: number | null;
  /** Bar length in the chart's units; 0 for a missing value. */
  length: number;
}

/** Primary and candidate bars per percentile, scaled so the slowest bar fills `width`. */
export function latencyBars(latency: { primary: LatencySummary; candidate: LatencySummary }, width = 200): LatencyBar[] {
  const values = PERCENTILES.flatMap((p) => [latency.primary[p], latency.candidate[p]]).filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(0, ...values);
  return PERCENTILES.flatMap((percentile) =>
    (['primary', 'candidate'] as const).map((side) => {
      const value = latency[side][percentile];
      const length = value === null || max === 0 ? 0 : Math.round((Math.max(0, value) / max) * width * 100) / 100;
      return { percentile, side, value, length };
    }),
  );
}

/** A field value as it appears in JSON, so `"1"` and `1` look different side by side. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** Pretty-prints a JSON body for the side-by-side view; anything else is shown as it came. */
export function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function exampleTitle(example: FieldExample): string {
  return `${example.request.method} ${example.request.url} — ${example.kind} at ${example.path}`;
}
