// Shared by the SDK's and the OpenFeature provider's conformance suites: which typed getter a
// caller would use for a vector case, and the default it passes.

import { FLAG_TYPES, type FlagType } from '@switchyard/core';
import type { Vector, VectorCase } from '../../spec/load-vectors';

export const DEFAULTS = {
  boolean: false,
  string: '<default>',
  number: -1,
  object: { default: true },
} as const;

/** The expected type when the case names one, else the flag's declared type (boolean when that is invalid or the flag is missing). */
export function typeFor(vector: Vector, c: VectorCase): FlagType {
  if (c.expectedType !== undefined) return c.expectedType;
  const declared = vector.flags[c.flag]?.type;
  return FLAG_TYPES.includes(declared) ? declared : 'boolean';
}

/** What a caller sees: the expected value, or the default when the vector says "no value". */
export function expectedOutcome(c: VectorCase, type: FlagType) {
  return {
    value: c.expected.value === null ? DEFAULTS[type] : c.expected.value,
    variant: c.expected.variant,
    reason: c.expected.reason,
    errorCode: c.expected.errorCode,
    ruleId: c.expected.ruleId,
    failedPrerequisite: c.expected.failedPrerequisite,
  };
}
