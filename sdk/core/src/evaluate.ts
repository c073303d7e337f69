import { compileFlag, SegmentTable } from './compile';
import { describeError, errorResult, flagNotFound } from './runtime';
import type { EnvironmentConfig, EvaluationContext, EvaluationResult, FlagDefinition, FlagType, Segment, SnapshotFlag } from './types';

export interface EvaluateOptions {
  /** Segment definitions that `in_segment` conditions may refer to. */
  segments?: Record<string, Segment>;
  expectedType?: FlagType;
  /** The key to report and to bucket rollouts by; defaults to `flag.key`. */
  flagKey?: string;
}

/**
 * Evaluates one flag without a compiled snapshot. It compiles the flag on every call, so it is
 * meant for tools, tests and one-off checks; use `compileSnapshot(...).evaluate` for traffic.
 *
 * `env` is the flag's configuration in one environment; it may be omitted when `flag` is a
 * SnapshotFlag, which carries its configuration itself. When both are given, `env` is used.
 */
export function evaluate(
  flag: SnapshotFlag | FlagDefinition | undefined,
  env: EnvironmentConfig | undefined,
  context: EvaluationContext,
  options: EvaluateOptions = {},
): EvaluationResult {
  try {
    if (flag === undefined || flag === null) return flagNotFound(options.flagKey ?? '');
    const compiled = compileFlag(flag, env ?? flag, new SegmentTable(options.segments ?? {}), {
      key: options.flagKey,
    });
    return compiled.evaluate(context, options.expectedType);
  } catch (err) {
    return errorResult('GENERAL', describeError(err));
  }
}
