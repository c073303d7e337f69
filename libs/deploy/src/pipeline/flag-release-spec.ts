import { parseDurationMs } from '@switchyard/config';
import type { FlagReleaseSpec, GuardrailSpec, MetricSpec } from './pipeline-spec';

/** A schema violation as pipeline-schema.ts locates it (segments from the file's root). */
interface Violation {
  segments: string[];
  at: 'value';
  problem: string;
}

/** `10%` or `10` → 10; anything else → NaN (the schema has already refused other shapes). */
function percentOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?%$/.test(value)) return Number(value.slice(0, -1));
  return Number.NaN;
}

/**
 * What the JSON schema cannot say about `release:`: each step a percentage in (0, 100] and higher
 * than the one before, a positive interval, unique flags and metric names, metrics with a bound,
 * and something to measure at all.
 */
export function flagReleaseViolations(release: Record<string, unknown> | undefined, at: string[]): Violation[] {
  if (!release) return [];
  const violations: Violation[] = [];
  const steps = Array.isArray(release.steps) ? release.steps : [];
  let previous = 0;
  steps.forEach((raw, i) => {
    const percent = percentOf(raw);
    if (!(percent > 0 && percent <= 100)) {
      violations.push({ segments: [...at, 'steps', String(i)], at: 'value', problem: `must be more than 0% and at most 100% (got ${String(raw)})` });
    } else if (percent <= previous) {
      violations.push({
        segments: [...at, 'steps', String(i)],
        at: 'value',
        problem: `must be higher than the step before it (${previous}%): steps only go up (got ${String(raw)})`,
      });
    }
    if (percent > 0 && percent <= 100) previous = Math.max(previous, percent);
  });
  const interval = parseDurationMs(String(release.interval));
  if (interval === undefined || interval <= 0) {
    violations.push({ segments: [...at, 'interval'], at: 'value', problem: 'must be a duration longer than zero, such as 10m' });
  }
  const flags = Array.isArray(release.flags) ? (release.flags as string[]) : [];
  const seenFlags = new Set<string>();
  flags.forEach((flag, i) => {
    if (seenFlags.has(flag)) violations.push({ segments: [...at, 'flags', String(i)], at: 'value', problem: `"${flag}" is already in the list` });
    seenFlags.add(flag);
  });
  const guardrails = (release.guardrails ?? {}) as Partial<GuardrailSpec>;
  const metrics = guardrails.metrics ?? [];
  const names = new Set<string>();
  metrics.forEach((metric, j) => {
    const where = [...at, 'guardrails', 'metrics', String(j)];
    if (names.has(metric.name)) violations.push({ segments: [...where, 'name'], at: 'value', problem: `"${metric.name}" is already a guardrail` });
    names.add(metric.name);
    if (metric.max === undefined && metric.min === undefined && metric.compare === undefined) {
      violations.push({ segments: where, at: 'value', problem: 'needs a bound: max or min' });
    } else if (metric.compare !== undefined) {
      // After promotion there is one track; nothing to compare with.
      violations.push({
        segments: [...where, 'compare'],
        at: 'value',
        problem: 'is not available for guardrails (the release runs on one track); use max or min',
      });
    }
  });
  if (metrics.length === 0 && !guardrails.usage) {
    violations.push({ segments: [...at, 'guardrails'], at: 'value', problem: 'needs something to measure: metrics, usage, or both' });
  }
  return violations;
}

/** The block as the rollout uses it: percentages as numbers, defaults filled in. */
export function normaliseFlagRelease(release: Record<string, unknown>): FlagReleaseSpec {
  const guardrails = (release.guardrails ?? {}) as Partial<GuardrailSpec>;
  return {
    flags: (release.flags as string[]).map(String),
    steps: (release.steps as unknown[]).map(percentOf),
    interval: String(release.interval ?? '10m'),
    guardrails: {
      minSamples: guardrails.minSamples ?? 0,
      ...(guardrails.samples ? { samples: guardrails.samples } : {}),
      failureLimit: guardrails.failureLimit ?? 0,
      metrics: (guardrails.metrics ?? []) as MetricSpec[],
      ...(guardrails.usage ? { usage: { minEvaluations: guardrails.usage.minEvaluations } } : {}),
    },
  };
}
