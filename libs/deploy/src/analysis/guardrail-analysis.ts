import type { GuardrailSpec } from '../pipeline/pipeline-spec';
import { judge, renderQuery, type AnalysisVerdict, type Measurement, type QueryContext } from './canary-analysis';
import { PrometheusError, type PrometheusClient } from './prometheus.client';

/** Default request count of a flag-release step: what the whole service served over the last minute. */
export const DEFAULT_GUARDRAIL_SAMPLES_QUERY = 'sum(increase(http_requests_total{service="{{service}}"}[1m]))';

/** The name under which flag usage reported by the SDKs appears in measurements and verdicts. */
export const FLAG_USAGE_METRIC = 'flag-usage';

export interface GuardrailContext extends QueryContext {
  flags: string[];
  percent: number;
}

/** Every PromQL a guardrail spec will run, rendered as it will be (once per flag where it says {{flag}}). */
export function guardrailQueries(spec: GuardrailSpec, context: GuardrailContext): Array<{ metric: string; flag?: string; query: string }> {
  const base = { ...context, track: 'stable' as const };
  const queries: Array<{ metric: string; flag?: string; query: string }> = [];
  if (spec.minSamples > 0) queries.push({ metric: 'samples', query: renderQuery(spec.samples ?? DEFAULT_GUARDRAIL_SAMPLES_QUERY, base) });
  for (const metric of spec.metrics) {
    if (/\{\{\s*flag\s*\}\}/.test(metric.query)) {
      for (const flag of context.flags) queries.push({ metric: metric.name, flag, query: renderQuery(metric.query, { ...base, flag }) });
    } else queries.push({ metric: metric.name, query: renderQuery(metric.query, base) });
  }
  return queries;
}

/**
 * Measures one flag-release step: each metric (per flag when its query names {{flag}}) judged like
 * a canary metric, plus the evaluations the SDKs reported for each flag during the step. Prometheus
 * being unreachable makes its metrics inconclusive (it proves nothing about the feature); a query
 * Prometheus rejects is thrown, for the caller to fail the stage with.
 */
export async function measureGuardrails(
  prometheus: PrometheusClient | undefined,
  spec: GuardrailSpec,
  context: GuardrailContext,
  iteration: number,
  usage: Record<string, number | null>,
  signal?: AbortSignal,
): Promise<Measurement[]> {
  const measuredAt = new Date().toISOString();
  const measurements: Measurement[] = [];
  const queries = guardrailQueries(spec, context);
  const samplesQuery = queries.find((q) => q.metric === 'samples' && spec.minSamples > 0);
  const metricQueries = queries.filter((q) => q !== samplesQuery);
  try {
    if (metricQueries.length && !prometheus) throw new PrometheusError('PROMETHEUS_URL is not set on the server');
    const samples = samplesQuery && prometheus ? await prometheus.queryValue(samplesQuery.query, signal) : undefined;
    for (const q of metricQueries) {
      const metric = spec.metrics.find((m) => m.name === q.metric);
      if (!metric || !prometheus) continue;
      const value = await prometheus.queryValue(q.query, signal);
      measurements.push({
        iteration,
        metric: metric.name,
        query: q.query,
        canary: value.kind === 'value' ? value.value : null,
        stable: null,
        samples: samples?.kind === 'value' ? samples.value : null,
        threshold: {
          ...(metric.max !== undefined ? { max: metric.max } : {}),
          ...(metric.min !== undefined ? { min: metric.min } : {}),
          minSamples: spec.minSamples,
        },
        ...judge(metric, spec.minSamples, value, undefined, samples, samplesQuery?.query),
        measuredAt,
        ...(q.flag ? { flag: q.flag } : {}),
      });
    }
  } catch (error) {
    if (!(error instanceof PrometheusError) || error.rejected) throw error;
    measurements.length = 0;
    for (const q of metricQueries) {
      const metric = spec.metrics.find((m) => m.name === q.metric);
      measurements.push({
        iteration,
        metric: q.metric,
        query: q.query,
        canary: null,
        stable: null,
        samples: null,
        threshold: {
          ...(metric?.max !== undefined ? { max: metric.max } : {}),
          ...(metric?.min !== undefined ? { min: metric.min } : {}),
          minSamples: spec.minSamples,
        },
        outcome: 'inconclusive',
        reason: `Prometheus error: ${error.message}`,
        measuredAt,
        ...(q.flag ? { flag: q.flag } : {}),
      });
    }
  }
  if (spec.usage) {
    const min = spec.usage.minEvaluations;
    for (const flag of context.flags) {
      const evaluations = usage[flag] ?? null;
      const enough = evaluations !== null && evaluations >= min;
      measurements.push({
        iteration,
        metric: FLAG_USAGE_METRIC,
        query: `evaluations of ${flag} in ${context.environment} reported by the SDKs during the step`,
        canary: evaluations,
        stable: null,
        samples: evaluations,
        threshold: { min, minSamples: min },
        outcome: enough ? 'successful' : 'inconclusive',
        reason: enough
          ? `${flag} was evaluated ${evaluations} times at ${context.percent}%`
          : `${flag} was evaluated ${evaluations ?? 0} times at ${context.percent}%, fewer than usage.minEvaluations ${min}: nobody exercised it`,
        measuredAt,
        flag,
      });
    }
  }
  return measurements;
}

/**
 * The verdict of the step measured last (`iteration`): Failed once more steps failed than
 * `failureLimit` allows (the kill switch); Inconclusive when this step proved nothing either way
 * (a person decides); else Successful. Same shape as the canary's verdict.
 */
export function decideGuardrailVerdict(spec: GuardrailSpec, measurements: Measurement[], iteration: number): AnalysisVerdict {
  const iterations = [...new Set(measurements.map((m) => m.iteration))];
  const failedSteps = new Set(measurements.filter((m) => m.outcome === 'failed').map((m) => m.iteration));
  const current = measurements.filter((m) => m.iteration === iteration);
  const inconclusiveSteps = new Set(measurements.filter((m) => m.outcome === 'inconclusive' && !failedSteps.has(m.iteration)).map((m) => m.iteration));
  const counts = { iterations: iterations.length, failures: failedSteps.size, inconclusive: inconclusiveSteps.size };
  const failed = current.find((m) => m.outcome === 'failed');
  if (failed && failedSteps.size > spec.failureLimit) {
    return {
      verdict: 'Failed',
      ...describe(failed),
      reason: `${failed.reason}${failed.flag ? ` with ${failed.flag} on` : ''} (query: ${failed.query}); ${failedSteps.size} failed step${failedSteps.size === 1 ? '' : 's'}, failureLimit ${spec.failureLimit}`,
      ...counts,
    };
  }
  const unsure = current.find((m) => m.outcome === 'inconclusive');
  if (unsure && !failed) {
    return { verdict: 'Inconclusive', ...describe(unsure), reason: `${unsure.reason} — a person decides`, ...counts };
  }
  return {
    verdict: 'Successful',
    reason: `every guardrail within bounds${failed ? ` (${failedSteps.size} failed step${failedSteps.size === 1 ? '' : 's'} within failureLimit ${spec.failureLimit})` : ''}`,
    ...counts,
  };
}

function describe(m: Measurement): Pick<AnalysisVerdict, 'metric' | 'query' | 'values' | 'threshold'> {
  return { metric: m.metric, query: m.query, values: { canary: m.canary, stable: m.stable, samples: m.samples }, threshold: m.threshold };
}
