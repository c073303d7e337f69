// The compiled form of flags and segments, and the evaluation hot path over it.
//
// Everything that can be decided without a context is decided by compile.ts: values are in
// Sets or lower-cased, regexes compiled, numbers/dates/versions parsed, segment references
// resolved, dotted attribute paths split and every constant result object built and frozen.
// What is left here walks those structures and, on the common path, allocates nothing; the
// returned result is one of the pre-built objects. Classes (rather than object literals) keep
// every compiled condition the same shape, which keeps the property accesses monomorphic.

import { bucketWithPrefix } from './bucket';
import { parseIsoDate } from './iso-date';
import { MAX_MATCH_INPUT_LENGTH, type FlagRegex } from './safe-regex';
import { compareParsedSemver, parseSemver, type ParsedSemver } from './semver';
import { MAX_PREREQUISITE_DEPTH, type ConfigProblem, type ErrorCode, type EvaluationContext, type EvaluationResult, type FlagType, type Reason } from './types';

// Operator codes, in the order of OPERATORS, so that ranges can be tested with `<=`.
export const OP_IN = 0;
export const OP_NOT_IN = 1;
export const OP_CONTAINS = 2;
export const OP_STARTS_WITH = 3;
export const OP_ENDS_WITH = 4;
export const OP_MATCHES = 5;
export const OP_EQ = 6;
export const OP_LT = 7;
export const OP_LTE = 8;
export const OP_GT = 9;
export const OP_GTE = 10;
export const OP_BEFORE = 11;
export const OP_AFTER = 12;
export const OP_SEMVER_EQ = 13;
export const OP_SEMVER_LT = 14;
export const OP_SEMVER_GT = 15;
export const OP_IN_SEGMENT = 16;

export class CompiledSegment {
  constructor(
    readonly key: string,
    readonly conditions: readonly CompiledCondition[],
  ) {}
}

export class CompiledCondition {
  constructor(
    readonly op: number,
    readonly attribute: string,
    /** The attribute split on '.', or null when it has no dot. */
    readonly path: readonly string[] | null,
    readonly negate: boolean,
    readonly caseInsensitive: boolean,
    /** in / not_in */
    readonly set: ReadonlySet<string> | null,
    /** contains / starts_with / ends_with, already lower-cased when caseInsensitive */
    readonly texts: readonly string[],
    readonly regexes: readonly FlagRegex[],
    /** eq..gte: the operand; before/after: epoch milliseconds */
    readonly number: number,
    readonly semver: ParsedSemver | null,
    readonly segments: readonly CompiledSegment[],
  ) {}
}

export class CompiledServe {
  constructor(
    /** The result for a single-variant serve; null for a rollout. */
    readonly single: EvaluationResult | null,
    /** Cumulative weights: variant i is served when bucket < thresholds[i]. */
    readonly thresholds: readonly number[],
    readonly results: readonly EvaluationResult[],
    readonly prefix: Int32Array | null,
    readonly bucketAttribute: string,
    readonly bucketPath: readonly string[] | null,
    readonly missingKey: EvaluationResult | null,
  ) {}
}

export class CompiledRule {
  constructor(
    readonly id: string,
    readonly conditions: readonly CompiledCondition[],
    readonly serve: CompiledServe,
  ) {}
}

/**
 * One prerequisite of a flag. `target` is linked after every flag of the snapshot is compiled
 * (null: the prerequisite flag is not in the snapshot, which fails the prerequisite).
 */
export class CompiledPrerequisite {
  target: CompiledFlag | null = null;
  constructor(
    readonly key: string,
    readonly variants: ReadonlySet<string>,
    /** The dependent flag's off variant, marked with this prerequisite's key. */
    readonly failed: EvaluationResult,
  ) {}
}

const EMPTY_CONTEXT: EvaluationContext = Object.freeze({});
// Bound once: inside vm contexts (Jest, sandboxes) every global lookup is slow.
const hasOwn = Object.prototype.hasOwnProperty;
const isArray = Array.isArray;
const isFiniteNumber = Number.isFinite;

export class CompiledFlag {
  constructor(
    readonly key: string,
    readonly type: FlagType,
    readonly enabled: boolean,
    readonly disabled: EvaluationResult | null,
    readonly rules: readonly CompiledRule[],
    readonly defaultServe: CompiledServe | null,
    /** Set when the configuration is invalid; then it is the only possible outcome. */
    readonly parseError: EvaluationResult | null,
    readonly problems: readonly ConfigProblem[],
    private readonly mismatches: Readonly<Record<string, EvaluationResult>>,
  ) {}

  /** Null when the flag has none; set once by the compiler, linked by compile.ts#linkPrerequisites. */
  prerequisites: readonly CompiledPrerequisite[] | null = null;

  evaluate(context: EvaluationContext, expectedType?: FlagType): EvaluationResult {
    if (this.parseError !== null) return this.parseError;
    if (expectedType != null && expectedType !== this.type) {
      return hasOwn.call(this.mismatches, expectedType) ? this.mismatches[expectedType] : typeMismatch(this.key, this.type, expectedType);
    }
    if (!this.enabled) return this.disabled!;
    const ctx = context !== null && typeof context === 'object' ? context : EMPTY_CONTEXT;
    try {
      // One null check is all that flags without prerequisites pay.
      if (this.prerequisites !== null) {
        const failed = this.failedPrerequisite(ctx, 0);
        if (failed !== null) return failed;
      }
      return this.match(ctx);
    } catch (err) {
      // Only reachable through hostile contexts (throwing getters, proxies).
      return errorResult('GENERAL', `evaluating flag "${this.key}" failed: ${describeError(err)}`);
    }
  }

  /** What this flag serves when another flag checks it as a prerequisite; null = the prerequisite fails. */
  private servedAsPrerequisite(ctx: EvaluationContext, depth: number): EvaluationResult | null {
    if (this.parseError !== null || !this.enabled) return null;
    if (this.prerequisites !== null && this.failedPrerequisite(ctx, depth) !== null) return null;
    return this.match(ctx);
  }

  /**
   * The first failing prerequisite's result, or null when all hold. Links past
   * MAX_PREREQUISITE_DEPTH fail, so a cyclic snapshot (which writes refuse, but a hand-made
   * bootstrap may hold) ends instead of recursing forever.
   */
  private failedPrerequisite(ctx: EvaluationContext, depth: number): EvaluationResult | null {
    const list = this.prerequisites!;
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      const target = p.target;
      const served = target !== null && depth < MAX_PREREQUISITE_DEPTH ? target.servedAsPrerequisite(ctx, depth + 1) : null;
      if (served === null || served.variant === undefined || !p.variants.has(served.variant)) return p.failed;
    }
    return null;
  }

  private match(ctx: EvaluationContext): EvaluationResult {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (allHold(rule.conditions, ctx)) return serve(rule.serve, ctx);
    }
    return serve(this.defaultServe!, ctx);
  }
}

export function serve(s: CompiledServe, ctx: EvaluationContext): EvaluationResult {
  if (s.single !== null) return s.single;
  const v = lookup(ctx, s.bucketAttribute, s.bucketPath);
  let text: string;
  if (typeof v === 'string') {
    if (v.length === 0) return s.missingKey!;
    text = v;
  } else if (typeof v === 'number') {
    text = `${v}`;
  } else {
    return s.missingKey!;
  }
  const b = bucketWithPrefix(s.prefix!, text);
  const thresholds = s.thresholds;
  for (let i = 0; i < thresholds.length; i++) {
    if (b < thresholds[i]) return s.results[i];
  }
  // Unreachable: the compiler guarantees the last threshold is TOTAL_WEIGHT.
  return s.results[s.results.length - 1];
}

/**
 * `context[attribute]` when the context has that own property; otherwise, for a dotted
 * attribute, the value at that path through nested objects. Only own properties count, so
 * inherited members such as `constructor` or `toString` never look like attributes.
 */
export function lookup(ctx: object, attribute: string, path: readonly string[] | null): unknown {
  if (hasOwn.call(ctx, attribute)) return (ctx as Record<string, unknown>)[attribute];
  if (path === null) return undefined;
  let current: unknown = ctx;
  for (let i = 0; i < path.length; i++) {
    if (current === null || typeof current !== 'object') return undefined;
    const part = path[i];
    if (!hasOwn.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function allHold(conditions: readonly CompiledCondition[], ctx: EvaluationContext): boolean {
  for (let i = 0; i < conditions.length; i++) {
    if (!conditionHolds(conditions[i], ctx)) return false;
  }
  return true;
}

function conditionHolds(c: CompiledCondition, ctx: EvaluationContext): boolean {
  let result: boolean;
  const op = c.op;
  if (op === OP_IN_SEGMENT) {
    result = inAnySegment(c.segments, ctx);
  } else {
    const v = lookup(ctx, c.attribute, c.path);
    if (v === undefined || v === null) result = false;
    else if (op <= OP_MATCHES) result = textCondition(c, v);
    else if (op <= OP_GTE) result = numberCondition(c, v);
    else if (op <= OP_AFTER) result = dateCondition(c, v);
    else result = semverCondition(c, v);
  }
  return result !== c.negate;
}

function inAnySegment(segments: readonly CompiledSegment[], ctx: EvaluationContext): boolean {
  for (let i = 0; i < segments.length; i++) {
    if (allHold(segments[i].conditions, ctx)) return true;
  }
  return false;
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return `${v}`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

function textCondition(c: CompiledCondition, v: unknown): boolean {
  let any = false;
  if (isArray(v)) {
    for (let i = 0; i < v.length && !any; i++) {
      const s = scalarText(v[i]);
      if (s !== undefined) any = textTest(c, s);
    }
  } else {
    const s = scalarText(v);
    // Objects and other unusable values behave like a missing attribute.
    if (s === undefined) return false;
    any = textTest(c, s);
  }
  return c.op === OP_NOT_IN ? !any : any;
}

function textTest(c: CompiledCondition, s: string): boolean {
  if (c.op === OP_MATCHES) {
    const input = s.length > MAX_MATCH_INPUT_LENGTH ? s.slice(0, MAX_MATCH_INPUT_LENGTH) : s;
    const regexes = c.regexes;
    for (let i = 0; i < regexes.length; i++) {
      if (regexes[i].test(input)) return true;
    }
    return false;
  }
  const text = c.caseInsensitive ? s.toLowerCase() : s;
  if (c.op <= OP_NOT_IN) return c.set!.has(text);
  const texts = c.texts;
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    if (c.op === OP_CONTAINS ? text.includes(t) : c.op === OP_STARTS_WITH ? text.startsWith(t) : text.endsWith(t)) {
      return true;
    }
  }
  return false;
}

/** Accepts plain decimal notation only, so '', ' ', '0x10' and 'Infinity' are not numbers. */
export const NUMERIC_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return isFiniteNumber(v) ? v : NaN;
  if (typeof v === 'string' && NUMERIC_TEXT.test(v)) return Number(v);
  return NaN;
}

function numberCondition(c: CompiledCondition, v: unknown): boolean {
  const x = toNumber(v);
  if (x !== x) return false;
  const n = c.number;
  switch (c.op) {
    case OP_EQ:
      return x === n;
    case OP_LT:
      return x < n;
    case OP_LTE:
      return x <= n;
    case OP_GT:
      return x > n;
    default:
      return x >= n;
  }
}

function dateCondition(c: CompiledCondition, v: unknown): boolean {
  let t: number;
  if (typeof v === 'number') t = isFiniteNumber(v) ? v : NaN;
  else if (typeof v === 'string') t = parseIsoDate(v);
  else return false;
  if (t !== t) return false;
  return c.op === OP_BEFORE ? t < c.number : t > c.number;
}

function semverCondition(c: CompiledCondition, v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const parsed = parseSemver(v);
  if (parsed === undefined) return false;
  const cmp = compareParsedSemver(parsed, c.semver!);
  return c.op === OP_SEMVER_EQ ? cmp === 0 : c.op === OP_SEMVER_LT ? cmp < 0 : cmp > 0;
}

export function makeResult(value: unknown, variant: string, reason: Reason, ruleId?: string): EvaluationResult {
  return Object.freeze(ruleId === undefined ? { value, variant, reason } : { value, variant, reason, ruleId });
}

export function errorResult(errorCode: ErrorCode, errorMessage: string): EvaluationResult {
  return Object.freeze({ value: undefined, reason: 'ERROR' as const, errorCode, errorMessage });
}

export function typeMismatch(key: string, actual: string, expected: unknown): EvaluationResult {
  return errorResult('TYPE_MISMATCH', `flag "${key}" is of type ${actual}, but ${String(expected)} was requested`);
}

export function flagNotFound(key: unknown): EvaluationResult {
  return errorResult('FLAG_NOT_FOUND', `flag "${String(key)}" not found`);
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
