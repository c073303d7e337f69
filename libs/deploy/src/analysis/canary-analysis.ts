import type { AnalysisSpec, MetricSpec } from '../pipeline/pipeline-spec';
import type { PrometheusClient, QueryValue } from './prometheus.client';
import type { AnalysisVerdict, Measurement, MeasurementOutcome } from './analysis.contract';

export { VERDICTS, type AnalysisVerdict, type Measurement, type MeasurementOutcome, type MeasurementThreshold, type Verdict } from './analysis.contract';

/** Default sample count: requests the track served over the last minute. */
export const DEFAULT_SAMPLES_QUERY = 'sum(increase(http_requests_total{service="{{service}}",track="{{track}}"}[1m]))';

export interface QueryContext {
  service: string;
  environment: string;
  namespace: string;
}

/**
 * `{{service}}`, `{{track}}`, `{{environment}}`, `{{namespace}}` in a PromQL template; a flag
 * release's guardrails also fill `{{flag}}` and `{{percent}}` (left as written elsewhere).
 */
export function renderQuery(template: string, context: QueryContext & { track: 'canary' | 'stable'; flag?: string; percent?: number }): string {
  return template.replace(/\{\{\s*(service|track|environment|namespace|flag|percent)\s*\}\}/g, (whole, name: keyof typeof context) =>
    context[name] === undefined ? whole : String(context[name]),
  );
}

/**
 * Measures every metric once. A canary with fewer than `minSamples` requests, or a query with no
 * data, is inconclusive: nobody called it, so it has proven nothing either way.
 */
export async function measureIteration(
  prometheus: PrometheusClient,
  spec: AnalysisSpec,
  context: QueryContext,
  iteration: number,
  signal?: AbortSignal,
): Promise<Measurement[]> {
  const canary = { ...context, track: 'canary' as const };
  const stable = { ...context, track: 'stable' as const };
  const samplesQuery = renderQuery(spec.samples ?? DEFAULT_SAMPLES_QUERY, canary);
  const samples = spec.minSamples > 0 ? await prometheus.queryValue(samplesQuery, signal) : undefined;
  const measuredAt = new Date().toISOString();
  const measurements: Measurement[] = [];
  for (const metric of spec.metrics) {
    const query = renderQuery(metric.query, canary);
    const canaryValue = await prometheus.queryValue(query, signal);
    const stableValue = metric.compare ? await prometheus.queryValue(renderQuery(metric.query, stable), signal) : undefined;
    measurements.push({
      iteration,
      metric: metric.name,
      query,
      canary: valueOf(canaryValue),
      stable: stableValue ? valueOf(stableValue) : null,
      samples: samples ? valueOf(samples) : null,
      threshold: thresholdOf(metric, spec.minSamples),
      ...judge(metric, spec.minSamples, canaryValue, stableValue, samples, samplesQuery),
      measuredAt,
    });
  }
  return measurements;
}

function valueOf(value: QueryValue): number | null {
  return value.kind === 'value' ? value.value : null;
}

function thresholdOf(metric: MetricSpec, minSamples: number): Measurement['threshold'] {
  return {
    ...(metric.max !== undefined ? { max: metric.max } : {}),
    ...(metric.min !== undefined ? { min: metric.min } : {}),
    ...(metric.compare ? { maxRatio: metric.compare.maxRatio } : {}),
    minSamples,
  };
}

export function judge(
  metric: MetricSpec,
  minSamples: number,
  canary: QueryValue,
  stable: QueryValue | undefined,
  samples: QueryValue | undefined,
  samplesQuery = DEFAULT_SAMPLES_QUERY,
): { outcome: MeasurementOutcome; reason: string } {
  if (samples) {
    if (samples.kind === 'no-data')
      return { outcome: 'inconclusive', reason: `no request count for the canary (${samples.detail}; samples query ${samplesQuery})` };
    if (samples.value < minSamples)
      return { outcome: 'inconclusive', reason: `the canary served ${round(samples.value)} requests, fewer than minSamples ${minSamples}` };
  }
  if (canary.kind === 'no-data') return { outcome: 'inconclusive', reason: `${metric.name}: no data for the canary (${canary.detail})` };
  const value = canary.value;
  if (metric.max !== undefined && value > metric.max) return { outcome: 'failed', reason: `${metric.name} ${round(value)} is above max ${metric.max}` };
  if (metric.min !== undefined && value < metric.min) return { outcome: 'failed', reason: `${metric.name} ${round(value)} is below min ${metric.min}` };
  if (metric.compare && stable) {
    if (stable.kind === 'no-data')
      return { outcome: 'inconclusive', reason: `${metric.name}: no data for the stable track to compare with (${stable.detail})` };
    const ratio = stable.value === 0 ? (value === 0 ? 1 : Infinity) : value / stable.value;
    // Against a perfect stable track any error is an infinite ratio; the absolute bound (max) then decides.
    if (stable.value === 0 && metric.max !== undefined) {
      return { outcome: 'successful', reason: `${metric.name} ${round(value)} is within max ${metric.max} (stable is 0, so the ratio is not meaningful)` };
    }
    if (ratio > metric.compare.maxRatio) {
      return {
        outcome: 'failed',
        reason: `${metric.name} ${round(value)} is ${Number.isFinite(ratio) ? `${round(ratio)}×` : 'infinitely above'} the stable track's ${round(stable.value)}, above maxRatio ${metric.compare.maxRatio}`,
      };
    }
    return { outcome: 'successful', reason: `${metric.name} ${round(value)} (${round(ratio)}× stable ${round(stable.value)}) is within bounds` };
  }
  return { outcome: 'successful', reason: `${metric.name} ${round(value)} is within bounds` };
}

/**
 * The verdict over the iterations so far: Failed as soon as more than `failureLimit` iterations
 * failed; after the last iteration Successful when every one passed, else Inconclusive (hold and
 * ask a person). Undefined while the analysis should go on.
 */
export function decideVerdict(spec: AnalysisSpec, measurements: Measurement[]): AnalysisVerdict | undefined {
  const byIteration = new Map<number, Measurement[]>();
  for (const m of measurements) byIteration.set(m.iteration, [...(byIteration.get(m.iteration) ?? []), m]);
  const iterations = [...byIteration.keys()].sort((a, b) => a - b);
  let failures = 0;
  let inconclusive = 0;
  let decisiveFailure: Measurement | undefined;
  let lastInconclusive: Measurement | undefined;
  for (const iteration of iterations) {
    const round = byIteration.get(iteration) ?? [];
    const failed = round.find((m) => m.outcome === 'failed');
    if (failed) {
      failures += 1;
      decisiveFailure = failed;
    } else {
      const unsure = round.find((m) => m.outcome === 'inconclusive');
      if (unsure) {
        inconclusive += 1;
        lastInconclusive = unsure;
      }
    }
  }
  const counts = { iterations: iterations.length, failures, inconclusive };
  if (failures > spec.failureLimit && decisiveFailure) {
    return {
      verdict: 'Failed',
      ...describe(decisiveFailure),
      reason: `${decisiveFailure.reason} (query: ${decisiveFailure.query}); ${failures} failed iteration${failures === 1 ? '' : 's'}, failureLimit ${spec.failureLimit}`,
      ...counts,
    };
  }
  if (iterations.length < spec.iterations) return undefined;
  if (inconclusive > 0 && lastInconclusive) {
    return {
      verdict: 'Inconclusive',
      ...describe(lastInconclusive),
      reason: `${lastInconclusive.reason}; ${inconclusive} of ${iterations.length} iterations inconclusive — a person decides`,
      ...counts,
    };
  }
  return {
    verdict: 'Successful',
    reason: `${iterations.length} iterations, every metric within bounds${failures ? ` (${failures} failure${failures === 1 ? '' : 's'} within failureLimit ${spec.failureLimit})` : ''}`,
    ...counts,
  };
}

function describe(m: Measurement): Pick<AnalysisVerdict, 'metric' | 'query' | 'values' | 'threshold'> {
  return { metric: m.metric, query: m.query, values: { canary: m.canary, stable: m.stable, samples: m.samples }, threshold: m.threshold };
}

function round(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}
