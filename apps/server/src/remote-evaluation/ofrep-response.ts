import type { EvaluationResult } from '@switchyard/core';
import type { EnvironmentState } from '@switchyard/store';

/**
 * OFREP's reason enum (STATIC, TARGETING_MATCH, SPLIT, DISABLED, UNKNOWN, ERROR) has no DEFAULT.
 * A DEFAULT result from a flag with no rules is the same for everyone, so it is STATIC; with
 * rules that did not match it is UNKNOWN. Either way `metadata.reason` carries the exact
 * OpenFeature reason.
 */
export function ofrepReason(result: EvaluationResult, rulesInFlag: number): string {
  if (result.reason !== 'DEFAULT') return result.reason;
  return rulesInFlag === 0 ? 'STATIC' : 'UNKNOWN';
}

export interface OfrepSuccess {
  key: string;
  value: unknown;
  reason: string;
  variant?: string;
  metadata: Record<string, string | number | boolean>;
}

export interface OfrepFailure {
  key: string;
  errorCode: string;
  errorDetails: string;
}

const DETAILS: Record<string, string> = {
  FLAG_NOT_FOUND: 'flag not found in this environment',
  TYPE_MISMATCH: 'the flag’s type does not match the requested type',
  TARGETING_KEY_MISSING: 'the rollout buckets by an attribute the context does not have',
  PARSE_ERROR: 'the flag’s configuration is invalid',
  GENERAL: 'evaluation failed',
};

export function evaluateForOfrep(state: EnvironmentState, key: string, context: Record<string, unknown>): OfrepSuccess | OfrepFailure {
  const result = state.compiled.evaluate(key, context);
  if (result.reason === 'ERROR')
    return { key, errorCode: result.errorCode ?? 'GENERAL', errorDetails: result.errorMessage ?? DETAILS[result.errorCode ?? 'GENERAL'] };
  const flag = state.compiled.flag(key)!;
  // The environment and its version are said once per bulk response, not per flag: they were ~30% of a bulk body.
  const metadata: Record<string, string | number | boolean> = { reason: result.reason, flagVersion: flag.version };
  if (result.ruleId) metadata.ruleId = result.ruleId;
  if (result.failedPrerequisite) metadata.failedPrerequisite = result.failedPrerequisite;
  return {
    key,
    value: result.value,
    reason: ofrepReason(result, flag.rules.length),
    ...(result.variant !== undefined ? { variant: result.variant } : {}),
    metadata,
  };
}
