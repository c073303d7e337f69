// What canary and guardrail analysis report on the wire: one measurement, and the verdict a
// rollout carries. Browser-safe (types and `as const` lists only).

export const VERDICTS = ['Successful', 'Failed', 'Inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];
export type MeasurementOutcome = 'successful' | 'failed' | 'inconclusive';

export interface MeasurementThreshold {
  max?: number;
  min?: number;
  maxRatio?: number;
  minSamples: number;
}

/** One metric, measured once: the values, the thresholds, and what they mean. */
export interface Measurement {
  iteration: number;
  metric: string;
  query: string;
  canary: number | null;
  stable: number | null;
  samples: number | null;
  threshold: MeasurementThreshold;
  outcome: MeasurementOutcome;
  reason: string;
  measuredAt: string;
  /** A flag release's guardrail measured for one flag (queries with {{flag}}, and flag usage). */
  flag?: string;
}

export interface AnalysisVerdict {
  verdict: Verdict;
  /** The metric, query, values and threshold that decided it (absent for an all-green Successful). */
  metric?: string;
  query?: string;
  values?: { canary: number | null; stable: number | null; samples: number | null };
  threshold?: MeasurementThreshold;
  reason: string;
  iterations: number;
  failures: number;
  inconclusive: number;
}
