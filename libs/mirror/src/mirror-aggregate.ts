import { z } from 'zod';
import type { DifferenceKind } from './json-diff';
import {
  decideVerdict,
  emptySkips,
  SKIP_REASONS,
  type BreakerReport,
  type EndpointReport,
  type FieldExample,
  type FieldReport,
  type RouteReport,
  type SkipReason,
  type SuggestedIgnore,
} from './mirror-report';
import type { MirrorRoute } from './mirror-route.schema';
import { isSignificant } from './noise-filter';

/** Beyond the per-endpoint field cap, differences are pooled under this name. */
export const OTHER_FIELDS = '(other fields)';

export interface LatencyReservoir {
  /** How many values were offered; `values` is a uniform sample of them. */
  seen: number;
  values: number[];
}

export interface FieldAggregate {
  raw: number;
  noise: number;
  kinds: Partial<Record<DifferenceKind, number>>;
  examples: FieldExample[];
  noiseExamples: { primary?: unknown; other?: unknown }[];
}

/**
 * Everything learnt about one endpoint, as plain JSON: what a proxy sends to the server and what
 * the server stores. Counts add up when merged, so reports can be built from any set of batches.
 */
export interface EndpointAggregate {
  endpoint: string;
  seen: number;
  sampled: number;
  compared: number;
  noiseCompared: number;
  skipped: Record<SkipReason, number>;
  mismatchedRaw: number;
  fields: Record<string, FieldAggregate>;
  /** Sorted differing fields of one request, joined by "\n" → how many requests had exactly that set. */
  signatures: Record<string, number>;
  signatureOverflow: number;
  /** primary status → candidate status → count. */
  statusMatrix: Record<string, Record<string, number>>;
  latencyMs: { primary: LatencyReservoir; candidate: LatencyReservoir; difference: LatencyReservoir };
}

export interface RouteAggregate {
  route: string;
  /** Start of the period these counts cover. */
  since: string;
  endpoints: EndpointAggregate[];
  breaker?: BreakerReport;
}

export interface AggregateLimits {
  maxEndpoints: number;
  maxFieldsPerEndpoint: number;
  examplesPerField: number;
  maxSignatures: number;
  latencySamples: number;
  fieldsInReport: number;
}

export const DEFAULT_AGGREGATE_LIMITS: AggregateLimits = {
  maxEndpoints: 200,
  maxFieldsPerEndpoint: 256,
  examplesPerField: 3,
  maxSignatures: 1024,
  latencySamples: 1024,
  fieldsInReport: 25,
};

export function emptyEndpointAggregate(endpoint: string): EndpointAggregate {
  return {
    endpoint,
    seen: 0,
    sampled: 0,
    compared: 0,
    noiseCompared: 0,
    skipped: emptySkips(),
    mismatchedRaw: 0,
    fields: {},
    signatures: {},
    signatureOverflow: 0,
    statusMatrix: {},
    latencyMs: { primary: { seen: 0, values: [] }, candidate: { seen: 0, values: [] }, difference: { seen: 0, values: [] } },
  };
}

/**
 * Adds `from` into `into` (mutating it) within the limits: counts add, examples keep the newest,
 * fields and signatures past their caps are pooled, latency reservoirs are merged by weight.
 */
export function mergeEndpointAggregate(
  into: EndpointAggregate,
  from: EndpointAggregate,
  limits: AggregateLimits = DEFAULT_AGGREGATE_LIMITS,
  random: () => number = Math.random,
): EndpointAggregate {
  into.seen += from.seen;
  into.sampled += from.sampled;
  into.compared += from.compared;
  into.noiseCompared += from.noiseCompared;
  into.mismatchedRaw += from.mismatchedRaw;
  for (const reason of SKIP_REASONS) into.skipped[reason] += from.skipped[reason] ?? 0;
  for (const [name, field] of Object.entries(from.fields)) {
    const key = name in into.fields || Object.keys(into.fields).length < limits.maxFieldsPerEndpoint ? name : OTHER_FIELDS;
    const target = (into.fields[key] ??= { raw: 0, noise: 0, kinds: {}, examples: [], noiseExamples: [] });
    target.raw += field.raw;
    target.noise += field.noise;
    for (const [kind, count] of Object.entries(field.kinds) as [DifferenceKind, number][]) target.kinds[kind] = (target.kinds[kind] ?? 0) + count;
    target.examples = [...target.examples, ...field.examples].slice(-limits.examplesPerField);
    target.noiseExamples = [...target.noiseExamples, ...field.noiseExamples].slice(-limits.examplesPerField);
  }
  for (const [signature, count] of Object.entries(from.signatures)) {
    if (signature in into.signatures) into.signatures[signature] += count;
    else if (Object.keys(into.signatures).length < limits.maxSignatures) into.signatures[signature] = count;
    else into.signatureOverflow += count;
  }
  into.signatureOverflow += from.signatureOverflow;
  for (const [primary, row] of Object.entries(from.statusMatrix)) {
    const target = (into.statusMatrix[primary] ??= {});
    for (const [candidate, count] of Object.entries(row)) target[candidate] = (target[candidate] ?? 0) + count;
  }
  for (const key of ['primary', 'candidate', 'difference'] as const) {
    into.latencyMs[key] = mergeReservoirs(into.latencyMs[key], from.latencyMs[key], limits.latencySamples, random);
  }
  return into;
}

/** Merges route aggregates of one route; endpoints past the cap are dropped (the proxy caps them the same way). */
export function mergeRouteAggregates(route: string, parts: readonly RouteAggregate[], limits: AggregateLimits = DEFAULT_AGGREGATE_LIMITS): RouteAggregate {
  const endpoints = new Map<string, EndpointAggregate>();
  let since: string | undefined;
  let breaker: BreakerReport | undefined;
  for (const part of parts) {
    if (since === undefined || part.since < since) since = part.since;
    if (part.breaker) breaker = part.breaker;
    for (const endpoint of part.endpoints) {
      let target = endpoints.get(endpoint.endpoint);
      if (!target) {
        if (endpoints.size >= limits.maxEndpoints) continue;
        target = emptyEndpointAggregate(endpoint.endpoint);
        endpoints.set(endpoint.endpoint, target);
      }
      mergeEndpointAggregate(target, endpoint, limits);
    }
  }
  return { route, since: since ?? new Date().toISOString(), endpoints: [...endpoints.values()], ...(breaker ? { breaker } : {}) };
}

/** A weighted merge of two uniform samples: each side contributes in proportion to what it saw. */
export function mergeReservoirs(a: LatencyReservoir, b: LatencyReservoir, capacity: number, random: () => number = Math.random): LatencyReservoir {
  const seen = a.seen + b.seen;
  if (a.values.length + b.values.length <= capacity) return { seen, values: [...a.values, ...b.values] };
  const fromA = Math.min(a.values.length, Math.round((capacity * a.seen) / Math.max(seen, 1)));
  const fromB = Math.min(b.values.length, capacity - fromA);
  return { seen, values: [...pick(a.values, fromA, random), ...pick(b.values, fromB, random)] };
}

function pick(values: readonly number[], count: number, random: () => number): number[] {
  const copy = [...values];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}

/**
 * The report of one route from its aggregate: noise cancellation and the verdict thresholds are
 * applied here, at read time, so changing thresholds never needs the traffic again.
 */
export function buildRouteReport(
  route: MirrorRoute,
  aggregate: RouteAggregate,
  limits: Pick<AggregateLimits, 'examplesPerField' | 'fieldsInReport'> = DEFAULT_AGGREGATE_LIMITS,
): RouteReport {
  const endpoints = aggregate.endpoints.map((endpoint) => endpointReport(route, endpoint, limits.fieldsInReport));
  endpoints.sort(
    (a, b) => b.mismatchRate.afterNoise - a.mismatchRate.afterNoise || b.mismatchRate.raw - a.mismatchRate.raw || a.endpoint.localeCompare(b.endpoint),
  );
  const totals = {
    seen: 0,
    sampled: 0,
    compared: 0,
    skipped: emptySkips(),
    mismatched: { raw: 0, afterNoise: 0 },
    mismatchRate: { raw: 0, afterNoise: 0 },
  };
  for (const endpoint of endpoints) {
    totals.seen += endpoint.seen;
    totals.sampled += endpoint.sampled;
    totals.compared += endpoint.compared;
    totals.mismatched.raw += endpoint.mismatched.raw;
    totals.mismatched.afterNoise += endpoint.mismatched.afterNoise;
    for (const reason of SKIP_REASONS) totals.skipped[reason] += endpoint.skipped[reason];
  }
  totals.mismatchRate = rates(totals.mismatched, totals.compared);
  const thresholds = route.verdict;
  let verdict = decideVerdict(totals.compared, totals.mismatched.afterNoise, thresholds);
  if (verdict === 'pass' && endpoints.some((endpoint) => endpoint.verdict === 'fail')) verdict = 'fail';
  return {
    route: route.name,
    since: aggregate.since,
    noiseSource: route.secondary ? 'secondary' : 'calibration',
    verdict,
    thresholds: { ...thresholds, noise: { ...route.compare.noise } },
    ...(aggregate.breaker ? { breaker: aggregate.breaker } : {}),
    totals,
    suggestedIgnores: suggestIgnores(aggregate.endpoints, limits.examplesPerField),
    endpoints,
  };
}

function endpointReport(route: MirrorRoute, stats: EndpointAggregate, fieldsInReport: number): EndpointReport {
  const significant = new Set<string>();
  const fields: FieldReport[] = [];
  for (const [name, field] of Object.entries(stats.fields)) {
    const noise = scaledNoise(stats, field.noise);
    const isReal = isSignificant(field.raw, noise, stats.compared, route.compare.noise);
    if (isReal) significant.add(name);
    if (field.raw === 0) continue;
    fields.push({
      field: name,
      kinds: { ...field.kinds },
      raw: field.raw,
      noise: Math.round(noise * 100) / 100,
      significant: isReal,
      examples: field.examples,
    });
  }
  fields.sort((a, b) => Number(b.significant) - Number(a.significant) || b.raw - a.raw || a.field.localeCompare(b.field));
  let afterNoise = stats.signatureOverflow;
  for (const [signature, count] of Object.entries(stats.signatures)) {
    if (signature.split('\n').some((field) => significant.has(field))) afterNoise += count;
  }
  const mismatched = { raw: stats.mismatchedRaw, afterNoise };
  return {
    endpoint: stats.endpoint,
    seen: stats.seen,
    sampled: stats.sampled,
    compared: stats.compared,
    noiseCompared: stats.noiseCompared,
    skipped: { ...emptySkips(), ...stats.skipped },
    mismatched,
    mismatchRate: rates(mismatched, stats.compared),
    fields: fields.slice(0, fieldsInReport),
    statusMatrix: stats.statusMatrix,
    latencyMs: {
      primary: summarize(stats.latencyMs.primary),
      candidate: summarize(stats.latencyMs.candidate),
      difference: summarize(stats.latencyMs.difference),
    },
    verdict: decideVerdict(stats.compared, afterNoise, route.verdict),
  };
}

/** Noise was measured on `noiseCompared` pairs; scale it to the `compared` requests it is weighed against. */
function scaledNoise(stats: EndpointAggregate, noise: number): number {
  if (stats.noiseCompared === 0) return 0;
  return (noise * stats.compared) / stats.noiseCompared;
}

function suggestIgnores(endpoints: readonly EndpointAggregate[], examplesPerField: number): SuggestedIgnore[] {
  const byRule = new Map<string, SuggestedIgnore>();
  for (const stats of endpoints) {
    if (stats.noiseCompared === 0) continue;
    for (const [name, field] of Object.entries(stats.fields)) {
      // The live version disagrees with itself here, more than by a fluke.
      if (name === OTHER_FIELDS || field.noise < Math.max(2, stats.noiseCompared * 0.01)) continue;
      const suggestion = byRule.get(name) ?? { rule: name, endpoints: [], evidence: { differing: 0, baselinePairs: 0, rate: 0, examples: [] } };
      suggestion.endpoints.push(stats.endpoint);
      suggestion.evidence.differing += field.noise;
      suggestion.evidence.baselinePairs += stats.noiseCompared;
      for (const example of field.noiseExamples) if (suggestion.evidence.examples.length < examplesPerField) suggestion.evidence.examples.push(example);
      byRule.set(name, suggestion);
    }
  }
  const suggestions = [...byRule.values()];
  for (const suggestion of suggestions)
    suggestion.evidence.rate = Math.round((suggestion.evidence.differing / suggestion.evidence.baselinePairs) * 10_000) / 10_000;
  return suggestions.sort((a, b) => b.evidence.rate - a.evidence.rate || a.rule.localeCompare(b.rule));
}

function summarize(reservoir: LatencyReservoir): { count: number; p50: number | null; p95: number | null; p99: number | null } {
  if (reservoir.values.length === 0) return { count: 0, p50: null, p95: null, p99: null };
  const sorted = [...reservoir.values].sort((a, b) => a - b);
  const rank = (percentile: number) => Math.round(sorted[Math.max(1, Math.ceil((percentile / 100) * sorted.length)) - 1] * 1000) / 1000;
  return { count: reservoir.seen, p50: rank(50), p95: rank(95), p99: rank(99) };
}

function rates(mismatched: { raw: number; afterNoise: number }, compared: number): { raw: number; afterNoise: number } {
  if (compared === 0) return { raw: 0, afterNoise: 0 };
  return { raw: round(mismatched.raw / compared), afterNoise: round(mismatched.afterNoise / compared) };
}

function round(rate: number): number {
  return Math.round(rate * 1_000_000) / 1_000_000;
}

const count = z.int().min(0);
const reservoirSchema = z.strictObject({ seen: count, values: z.array(z.number()).max(100_000) });
const skippedSchema = z.strictObject(
  Object.fromEntries(SKIP_REASONS.map((reason) => [reason, count.default(0)])) as Record<SkipReason, z.ZodDefault<typeof count>>,
);

/** What `POST /api/v1/mirror/reports` accepts: a proxy's batch of route aggregates. */
export const reportBatchSchema = z.strictObject({
  proxy: z.string().max(200).optional(),
  routes: z
    .array(
      z.strictObject({
        // Spelled like route names, so a refusal that names it echoes nothing else.
        route: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a mirror route name'),
        since: z.iso.datetime({ offset: true }),
        breaker: z.custom<BreakerReport>((value) => value === undefined || (typeof value === 'object' && value !== null)).optional(),
        endpoints: z
          .array(
            z.strictObject({
              endpoint: z.string().min(1).max(1000),
              seen: count,
              sampled: count,
              compared: count,
              noiseCompared: count,
              skipped: skippedSchema,
              mismatchedRaw: count,
              fields: z.record(
                z.string(),
                z.strictObject({
                  raw: count,
                  noise: count,
                  kinds: z.record(z.string(), count),
                  examples: z.array(z.custom<FieldExample>((value) => typeof value === 'object' && value !== null)).max(100),
                  noiseExamples: z.array(z.object({ primary: z.unknown(), other: z.unknown() })).max(100),
                }),
              ),
              signatures: z.record(z.string(), count),
              signatureOverflow: count,
              statusMatrix: z.record(z.string(), z.record(z.string(), count)),
              latencyMs: z.strictObject({ primary: reservoirSchema, candidate: reservoirSchema, difference: reservoirSchema }),
            }),
          )
          .max(1000),
      }),
    )
    .max(1000),
});

export type ReportBatch = z.output<typeof reportBatchSchema>;
