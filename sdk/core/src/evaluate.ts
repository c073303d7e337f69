import { compileFlag, linkPrerequisites, SegmentTable } from './compile';
import type { CompiledFlag } from './runtime';
import { describeError, errorResult, flagNotFound } from './runtime';
import type { EnvironmentConfig, EvaluationContext, EvaluationResult, FlagDefinition, FlagType, Segment, SnapshotFlag } from './types';

export interface EvaluateOptions {
  /** Segment definitions that `in_segment` conditions may refer to. */
  segments?: Record<string, Segment>;
  expectedType?: FlagType;
  /** The key to report and to bucket rollouts by; defaults to `flag.key`. */
  flagKey?: string;
  /** The other flags of the environment, by key, that prerequisites may name; without them every prerequisite fails. */
  flags?: Record<string, SnapshotFlag>;
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
    const segments = new SegmentTable(options.segments ?? {});
    const compiled = compileFlag(flag, env ?? flag, segments, {
      key: options.flagKey,
    });
    if (compiled.prerequisites !== null) {
      // Compiles only the flags the prerequisite chain reaches; cached first, so cycles end.
      const others = options.flags ?? {};
      const done = new Map<string, CompiledFlag>();
      const find = (key: string): CompiledFlag | undefined => {
        const cached = done.get(key);
        if (cached !== undefined || !Object.prototype.hasOwnProperty.call(others, key)) return cached;
        const other = compileFlag(others[key], others[key], segments, { key, requireKeyMatch: true });
        done.set(key, other);
        linkPrerequisites(other, find);
        return other;
      };
      linkPrerequisites(compiled, find);
    }
    return compiled.evaluate(context, options.expectedType);
  } catch (err) {
    return errorResult('GENERAL', describeError(err));
  }
}
