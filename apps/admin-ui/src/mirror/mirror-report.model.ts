import type {
  EndpointReport,
  FieldExample,
  LatencySummary,
  NoiseSource,
  SkipReason,
  SuggestedIgnore,
} from '../../../../libs/mirror/src/mirror-report.contract';
import { membersOf } from '../api/contract-lists';

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

/** What a report field points into, from its prefix: a JSON path, an HTML/XML element, a text line… */
export function fieldKind(field: string): string {
  if (field.startsWith('$')) return 'JSON';
  if (field.startsWith('html:')) return 'HTML element';
  if (field.startsWith('xml:')) return 'XML element';
  if (field.startsWith('text:')) return 'text line';
  if (field.startsWith('form:')) return 'form key';
  if (field.startsWith('header:')) return 'header';
  if (field === 'status') return 'status';
  if (field === 'body') return 'whole body';
  return 'other';
}

export function exampleTitle(example: FieldExample): string {
  return `${example.request.method} ${example.request.url} — ${example.kind} at ${example.path}`;
}

/**
 * The endpoint a reader should see first: the worst failing one. (An endpoint with too few
 * comparisons for a verdict can sort above it on its rate alone.)
 */
export function endpointOpenByDefault(sorted: readonly EndpointReport[]): string | undefined {
  return sorted.find((endpoint) => endpoint.verdict === 'fail')?.endpoint;
}

export type StatusSummary =
  | { kind: 'none' }
  | { kind: 'uniform'; text: string }
  /** `counts[i][j]`: primary answered `primary[i]` while the candidate answered `candidate[j]`. */
  | { kind: 'matrix'; primary: string[]; candidate: string[]; counts: number[][] };

/** One line when every comparison had the same status on both sides, else the primary × candidate table. */
export function summarizeStatuses(matrix: Record<string, Record<string, number>>): StatusSummary {
  const cells = Object.entries(matrix).flatMap(([primary, row]) =>
    Object.entries(row)
      .filter(([, count]) => count > 0)
      .map(([candidate]) => ({ primary, candidate })),
  );
  if (cells.length === 0) return { kind: 'none' };
  if (cells.length === 1 && cells[0].primary === cells[0].candidate) return { kind: 'uniform', text: `all ${cells[0].primary} → ${cells[0].candidate}` };
  const primary = sortStatuses(cells.map((cell) => cell.primary));
  const candidate = sortStatuses(cells.map((cell) => cell.candidate));
  return { kind: 'matrix', primary, candidate, counts: primary.map((p) => candidate.map((c) => matrix[p]?.[c] ?? 0)) };
}

function sortStatuses(statuses: readonly string[]): string[] {
  return [...new Set(statuses)].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

const SKIP_WORDING: Record<SkipReason, { label: string; hint: string }> = {
  method: { label: 'method not mirrored', hint: 'the route mirrors only its configured methods' },
  bodyTooLarge: { label: 'body too large', hint: 'a request or response body was past maxBodyBytes' },
  budget: { label: 'over budget', hint: 'over maxInFlight shadow exchanges: dropped, never queued' },
  overload: { label: 'proxy overloaded', hint: 'the proxy shed shadow copies while its event loop was saturated' },
  breaker: { label: 'breaker open', hint: 'the circuit breaker stopped mirroring while the candidate kept failing' },
  candidateTimeout: { label: 'candidate timeout', hint: 'the candidate did not answer within timeoutMs' },
  candidateError: { label: 'candidate error', hint: 'the candidate refused the connection or broke off its response' },
  primaryIncomplete: { label: 'primary incomplete', hint: "the primary's response did not complete, so there was nothing to compare" },
};

export interface SkipCount {
  reason: SkipReason;
  label: string;
  hint: string;
  count: number;
}

/** Non-zero skips only, in the report's reason order. */
export function skippedByReason(skipped: Partial<Record<SkipReason, number>>): SkipCount[] {
  return membersOf(SKIP_WORDING)
    .filter((reason) => (skipped[reason] ?? 0) > 0)
    .map((reason) => ({ reason, ...SKIP_WORDING[reason], count: skipped[reason] ?? 0 }));
}

/** How the route tells noise from a real difference, in words. */
export function noiseSourceText(source: NoiseSource): string {
  return source === 'secondary'
    ? 'a secondary — a second copy of the primary answers the same requests, and fields that differ between the two are not held against the candidate.'
    : 'calibration — some requests are replayed to the primary, and fields that differ between its two answers are not held against the candidate.';
}

/** What the second response of a baseline pair came from, for column headings. */
export function baselineName(source: NoiseSource): string {
  return source === 'secondary' ? 'secondary' : 'primary replay';
}

export function ignoreEvidence(suggestion: SuggestedIgnore): string {
  const { differing, baselinePairs, rate } = suggestion.evidence;
  return `${differing} of ${baselinePairs} baseline pairs (${formatRate(rate)})`;
}

const SHORT_VALUE = 48;

/** Up to three example pairs, each value as compact JSON cut to one short line. */
export function ignoreExamples(suggestion: SuggestedIgnore, limit = 3): { primary: string; other: string }[] {
  return suggestion.evidence.examples.slice(0, limit).map((example) => ({ primary: shortValue(example.primary), other: shortValue(example.other) }));
}

function shortValue(value: unknown): string {
  const text = value === undefined ? '(absent)' : (JSON.stringify(value) ?? String(value));
  return text.length > SHORT_VALUE ? `${text.slice(0, SHORT_VALUE - 1)}…` : text;
}
