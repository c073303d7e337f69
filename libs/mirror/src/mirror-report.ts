import type { SkipReason, Verdict, VerdictThresholds } from './mirror-report.contract';

export {
  SKIP_REASONS,
  type BreakerReport,
  type EndpointReport,
  type ExampleResponse,
  type FieldExample,
  type FieldReport,
  type MirrorReport,
  type MismatchRates,
  type NoiseSource,
  type RouteReport,
  type SkipReason,
  type SuggestedIgnore,
  type Verdict,
  type VerdictThresholds,
} from './mirror-report.contract';

export function decideVerdict(compared: number, mismatchedAfterNoise: number, thresholds: VerdictThresholds): Verdict {
  if (compared < thresholds.minCompared) return 'insufficient-data';
  return (mismatchedAfterNoise / compared) * 100 > thresholds.maxMismatchPercent ? 'fail' : 'pass';
}

export function emptySkips(): Record<SkipReason, number> {
  return { method: 0, bodyTooLarge: 0, budget: 0, overload: 0, breaker: 0, candidateTimeout: 0, candidateError: 0, primaryIncomplete: 0 };
}
