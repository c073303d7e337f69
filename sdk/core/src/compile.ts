// Turns flag and segment definitions into the runtime structures of runtime.ts, and is the
// single place where configurations are validated: validateFlagConfig runs the same compiler
// and only keeps the problems, so the server can never accept a flag that SDKs reject.
//
// Compilation never throws for bad input. A flag with any problem compiles to a flag whose
// only outcome is ERROR/PARSE_ERROR, so one broken flag cannot take down a whole snapshot.

import { bucketPrefix, TOTAL_WEIGHT } from './bucket';
import { parseIsoDate } from './iso-date';
import {
  CompiledCondition,
  CompiledFlag,
  CompiledPrerequisite,
  CompiledRule,
  CompiledSegment,
  CompiledServe,
  describeError,
  errorResult,
  flagNotFound,
  makeResult,
  NUMERIC_TEXT,
  OP_AFTER,
  OP_GTE,
  OP_IN_SEGMENT,
  OP_MATCHES,
  OP_NOT_IN,
  typeMismatch,
} from './runtime';
import { compileRegex, type FlagRegex } from './safe-regex';
import { parseSemver, type ParsedSemver } from './semver';
import {
  FLAG_TYPES,
  OPERATORS,
  STRING_OPERATORS,
  type CompiledSnapshot,
  type ConfigProblem,
  type EnvironmentConfig,
  type EvaluationContext,
  type EvaluationResult,
  type FlagDefinition,
  type FlagType,
  type Operator,
  type Segment,
  type Snapshot,
  type SnapshotFlag,
} from './types';

const hasOwn = Object.prototype.hasOwnProperty;
const MAX_JSON_DEPTH = 64;

type Problems = ConfigProblem[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function quote(s: unknown): string {
  return JSON.stringify(String(s));
}

function property(base: string, name: string): string {
  const key = /^[A-Za-z_$][\w$-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
  return base === '' ? key.replace(/^\./, '') : base + key;
}

export function describeProblem(p: ConfigProblem): string {
  return p.path === '' ? p.problem : `${p.path}: ${p.problem}`;
}

// ---------------------------------------------------------------------------------------------
// Segments

/** Resolves `in_segment` references; a string return value is the problem with the reference. */
export interface SegmentSource {
  resolve(key: string): CompiledSegment | string;
}

/** Resolves against segment definitions, compiling each once and detecting reference cycles. */
export class SegmentTable implements SegmentSource {
  private readonly done = new Map<string, CompiledSegment | string>();
  private readonly visiting = new Set<string>();

  constructor(private readonly source: Record<string, Segment>) {}

  resolve(key: string): CompiledSegment | string {
    const cached = this.done.get(key);
    if (cached !== undefined) return cached;
    if (this.visiting.has(key)) return `segment ${quote(key)} refers back to itself through in_segment`;
    if (!hasOwn.call(this.source, key)) return `unknown segment ${quote(key)}`;
    const problems: Problems = [];
    const compiled = this.compile(key, this.source[key], problems);
    const outcome = problems.length === 0 ? compiled : `segment ${quote(key)} is invalid: ${describeProblem(problems[0])}`;
    this.done.set(key, outcome);
    return outcome;
  }

  /** Compiles one segment definition, reporting problems relative to the segment. */
  compile(key: string, segment: unknown, problems: Problems): CompiledSegment {
    this.visiting.add(key);
    try {
      if (!isRecord(segment)) {
        problems.push({ path: '', problem: 'must be an object with key and conditions' });
        return new CompiledSegment(key, []);
      }
      return new CompiledSegment(key, compileConditions(segment.conditions, 'conditions', this, problems));
    } finally {
      this.visiting.delete(key);
    }
  }
}

/** Only knows which segment keys exist; used by validation when segments live elsewhere. */
class SegmentExistence implements SegmentSource {
  constructor(private readonly exists: (key: string) => boolean) {}

  resolve(key: string): CompiledSegment | string {
    return this.exists(key) ? new CompiledSegment(key, []) : `unknown segment ${quote(key)}`;
  }
}

export function segmentSource(segments: Record<string, Segment> | ((key: string) => boolean) | undefined): SegmentSource {
  return typeof segments === 'function' ? new SegmentExistence(segments) : new SegmentTable(segments ?? {});
}

// ---------------------------------------------------------------------------------------------
// Conditions

function compileConditions(raw: unknown, path: string, segments: SegmentSource, problems: Problems): CompiledCondition[] {
  if (!Array.isArray(raw)) {
    problems.push({ path, problem: 'must be an array of conditions' });
    return [];
  }
  const out: CompiledCondition[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = compileCondition(raw[i], `${path}[${i}]`, segments, problems);
    if (c !== undefined) out.push(c);
  }
  return out;
}

function compileCondition(raw: unknown, path: string, segments: SegmentSource, problems: Problems): CompiledCondition | undefined {
  if (!isRecord(raw)) {
    problems.push({ path, problem: 'must be an object with attribute, operator and values' });
    return undefined;
  }
  const before = problems.length;
  const operator = raw.operator;
  const op = OPERATORS.indexOf(operator as Operator);
  if (op < 0) {
    problems.push({ path: `${path}.operator`, problem: `must be one of ${OPERATORS.join(', ')}` });
  }

  const attribute = raw.attribute;
  if (op !== OP_IN_SEGMENT && (typeof attribute !== 'string' || attribute.length === 0)) {
    problems.push({ path: `${path}.attribute`, problem: 'must be a non-empty attribute name' });
  }

  const negate = raw.negate;
  if (negate !== undefined && typeof negate !== 'boolean') {
    problems.push({ path: `${path}.negate`, problem: 'must be a boolean' });
  }
  const caseInsensitive = raw.caseInsensitive;
  if (caseInsensitive !== undefined && typeof caseInsensitive !== 'boolean') {
    problems.push({ path: `${path}.caseInsensitive`, problem: 'must be a boolean' });
  } else if (caseInsensitive === true && op >= 0 && !STRING_OPERATORS.includes(operator as Operator)) {
    problems.push({
      path: `${path}.caseInsensitive`,
      problem: `only applies to the operators ${STRING_OPERATORS.join(', ')}`,
    });
  }

  const values = raw.values;
  if (!Array.isArray(values) || values.length === 0) {
    problems.push({ path: `${path}.values`, problem: 'must be a non-empty array' });
    return undefined;
  }
  if (op < 0) return undefined;

  const ci = caseInsensitive === true;
  let set: Set<string> | null = null;
  const texts: string[] = [];
  const regexes: FlagRegex[] = [];
  let number = NaN;
  let semver: ParsedSemver | null = null;
  const resolved: CompiledSegment[] = [];
  const valuePath = (i: number) => `${path}.values[${i}]`;

  if (op <= OP_MATCHES) {
    if (op <= OP_NOT_IN) set = new Set();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (op === OP_MATCHES) {
        if (typeof v !== 'string') {
          problems.push({ path: valuePath(i), problem: 'must be a string (a regular expression)' });
          continue;
        }
        const regex = compileRegex(v, ci);
        if (typeof regex === 'string') {
          problems.push({ path: valuePath(i), problem: `regex is not allowed: ${regex}` });
          continue;
        }
        regexes.push(regex);
        continue;
      }
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
        problems.push({ path: valuePath(i), problem: 'must be a string or number' });
        continue;
      }
      const text = ci ? String(v).toLowerCase() : String(v);
      if (set !== null) set.add(text);
      else texts.push(text);
    }
  } else if (op === OP_IN_SEGMENT) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'string' || v.length === 0) {
        problems.push({ path: valuePath(i), problem: 'must be a segment key' });
        continue;
      }
      const segment = segments.resolve(v);
      if (typeof segment === 'string') problems.push({ path: valuePath(i), problem: segment });
      else resolved.push(segment);
    }
  } else {
    // Comparison operators take exactly one operand; a list would suggest `in` semantics
    // that they do not have.
    if (values.length !== 1) {
      problems.push({ path: `${path}.values`, problem: `must contain exactly one value for ${String(operator)}` });
    }
    const v = values[0];
    if (op <= OP_GTE) {
      number = typeof v === 'number' ? (Number.isFinite(v) ? v : NaN) : typeof v === 'string' && NUMERIC_TEXT.test(v) ? Number(v) : NaN;
      if (number !== number) problems.push({ path: valuePath(0), problem: 'must be a number' });
    } else if (op <= OP_AFTER) {
      number = typeof v === 'string' ? parseIsoDate(v) : NaN;
      if (number !== number) {
        problems.push({ path: valuePath(0), problem: 'must be an ISO-8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z' });
      }
    } else {
      semver = typeof v === 'string' ? (parseSemver(v) ?? null) : null;
      if (semver === null) problems.push({ path: valuePath(0), problem: 'must be a valid semantic version such as 1.2.3' });
    }
  }

  if (problems.length !== before) return undefined;
  const name = op === OP_IN_SEGMENT ? '' : (attribute as string);
  return new CompiledCondition(op, name, name.includes('.') ? name.split('.') : null, negate === true, ci, set, texts, regexes, number, semver, resolved);
}

// ---------------------------------------------------------------------------------------------
// Variants and serves

function checkVariantValue(type: FlagType, value: unknown): string | undefined {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be a boolean';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a finite number';
    default:
      return value !== null && typeof value === 'object' ? undefined : 'must be a JSON object or array';
  }
}

/**
 * A deep, frozen copy of a JSON value. Results share variant values across evaluations, so a
 * caller mutating an object value must not be able to change what everyone else receives.
 */
function frozenJson(value: unknown, path: string, problems: Problems, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    problems.push({ path, problem: 'must be a finite number' });
    return undefined;
  }
  if (depth > MAX_JSON_DEPTH) {
    problems.push({ path, problem: `is nested deeper than ${MAX_JSON_DEPTH} levels (or circular)` });
    return undefined;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(frozenJson(value[i], `${path}[${i}]`, problems, depth + 1));
    return Object.freeze(out);
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) {
        const copy = frozenJson((value as Record<string, unknown>)[k], property(path, k), problems, depth + 1);
        Object.defineProperty(out, k, { value: copy, enumerable: true, writable: false, configurable: false });
      }
      return Object.freeze(out);
    }
  }
  problems.push({ path, problem: 'must be a JSON value' });
  return undefined;
}

interface FlagScope {
  key: string;
  variants: Map<string, unknown>;
  problems: Problems;
}

function checkVariantName(scope: FlagScope, name: unknown, path: string): name is string {
  if (typeof name !== 'string') {
    scope.problems.push({ path, problem: 'must be a variant name' });
    return false;
  }
  if (!scope.variants.has(name)) {
    const known = Array.from(scope.variants.keys()).map(quote).join(', ');
    scope.problems.push({ path, problem: `unknown variant ${quote(name)} (variants: ${known || 'none'})` });
    return false;
  }
  return true;
}

function compileServe(
  scope: FlagScope,
  raw: unknown,
  path: string,
  singleReason: 'TARGETING_MATCH' | 'DEFAULT',
  ruleId: string | undefined,
): CompiledServe | undefined {
  const problems = scope.problems;
  const before = problems.length;
  if (!isRecord(raw)) {
    problems.push({ path, problem: 'must be { variant } or { rollout, salt, bucketBy? }' });
    return undefined;
  }
  const hasVariant = raw.variant !== undefined;
  const hasRollout = raw.rollout !== undefined;
  if (hasVariant === hasRollout) {
    problems.push({ path, problem: 'must have exactly one of variant or rollout' });
    return undefined;
  }
  if (hasVariant) {
    if (!checkVariantName(scope, raw.variant, `${path}.variant`)) return undefined;
    const variant = raw.variant as string;
    const single = makeResult(scope.variants.get(variant), variant, singleReason, ruleId);
    return new CompiledServe(single, [], [], null, '', null, null);
  }

  const rollout = raw.rollout;
  if (!Array.isArray(rollout) || rollout.length === 0) {
    problems.push({ path: `${path}.rollout`, problem: 'must be a non-empty array of { variant, weight }' });
    return undefined;
  }
  const thresholds: number[] = [];
  const results: EvaluationResult[] = [];
  let total = 0;
  let weightsValid = true;
  for (let i = 0; i < rollout.length; i++) {
    const entry = rollout[i];
    const entryPath = `${path}.rollout[${i}]`;
    if (!isRecord(entry)) {
      problems.push({ path: entryPath, problem: 'must be { variant, weight }' });
      weightsValid = false;
      continue;
    }
    const weight = entry.weight;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0) {
      problems.push({
        path: `${entryPath}.weight`,
        problem: `must be a non-negative integer (thousandths of a percent, ${TOTAL_WEIGHT} = 100%)`,
      });
      weightsValid = false;
    } else {
      total += weight;
    }
    if (checkVariantName(scope, entry.variant, `${entryPath}.variant`)) {
      const variant = entry.variant as string;
      results.push(makeResult(scope.variants.get(variant), variant, 'SPLIT', ruleId));
      thresholds.push(total);
    }
  }
  if (weightsValid && total !== TOTAL_WEIGHT) {
    problems.push({ path: `${path}.rollout`, problem: `weights must sum to ${TOTAL_WEIGHT} (got ${total})` });
  }
  const salt = raw.salt;
  if (typeof salt !== 'string') {
    problems.push({ path: `${path}.salt`, problem: 'must be a string' });
  }
  const bucketBy = raw.bucketBy === undefined ? 'targetingKey' : raw.bucketBy;
  if (typeof bucketBy !== 'string' || bucketBy.length === 0) {
    problems.push({ path: `${path}.bucketBy`, problem: 'must be a non-empty attribute name' });
  }
  if (problems.length !== before) return undefined;

  const attribute = bucketBy as string;
  const missingKey = errorResult(
    'TARGETING_KEY_MISSING',
    `flag "${scope.key}" needs the context attribute "${attribute}" (a non-empty string or a number) to pick a rollout variant`,
  );
  return new CompiledServe(
    null,
    thresholds,
    results,
    bucketPrefix(scope.key, salt as string),
    attribute,
    attribute.includes('.') ? attribute.split('.') : null,
    missingKey,
  );
}

// ---------------------------------------------------------------------------------------------
// Flags

export interface CompileFlagOptions {
  /** The key the flag is addressed by and whose hash buckets it; defaults to `flag.key`. */
  key?: string;
  /** Require `flag.key` to equal `key` (snapshots, where both exist). */
  requireKeyMatch?: boolean;
}

/** Compiles one flag for one environment. Never throws; problems end up in `flag.problems`. */
export function compileFlag(flag: unknown, env: unknown, segments: SegmentSource, options: CompileFlagOptions = {}): CompiledFlag {
  const problems: Problems = [];
  let key = options.key ?? (isRecord(flag) && typeof flag.key === 'string' ? flag.key : '');
  try {
    return buildFlag(flag, env, segments, options, problems);
  } catch (err) {
    // Defensive: buildFlag is written not to throw, but a hostile object (throwing getters)
    // must still only break this one flag.
    problems.push({ path: '', problem: `could not be compiled: ${describeError(err)}` });
    key = key || '(unknown)';
    return brokenFlag(key, 'boolean', problems);
  }
}

function brokenFlag(key: string, type: FlagType, problems: Problems): CompiledFlag {
  const extra = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  const parseError = errorResult('PARSE_ERROR', `flag "${key}" has an invalid configuration: ${describeProblem(problems[0])}${extra}`);
  return new CompiledFlag(key, type, false, null, [], null, parseError, Object.freeze(problems.slice()), {});
}

function buildFlag(flag: unknown, env: unknown, segments: SegmentSource, options: CompileFlagOptions, problems: Problems): CompiledFlag {
  if (!isRecord(flag)) {
    problems.push({ path: '', problem: 'flag must be an object' });
    return brokenFlag(options.key ?? '(unknown)', 'boolean', problems);
  }
  if (typeof flag.key !== 'string' || flag.key.length === 0) {
    if (options.key === undefined || options.requireKeyMatch) {
      problems.push({ path: 'key', problem: 'must be a non-empty string' });
    }
  } else if (options.requireKeyMatch && options.key !== undefined && flag.key !== options.key) {
    problems.push({ path: 'key', problem: `must equal the key the flag is listed under (${quote(options.key)})` });
  }
  const key = options.key ?? (typeof flag.key === 'string' ? flag.key : '');

  const type = flag.type as FlagType;
  if (!FLAG_TYPES.includes(type)) {
    problems.push({ path: 'type', problem: `must be one of ${FLAG_TYPES.join(', ')}` });
  }

  const variants = new Map<string, unknown>();
  if (!isRecord(flag.variants)) {
    problems.push({ path: 'variants', problem: 'must be an object mapping variant names to values' });
  } else {
    const names = Object.keys(flag.variants);
    if (names.length === 0) problems.push({ path: 'variants', problem: 'must define at least one variant' });
    for (const name of names) {
      const value = flag.variants[name];
      const path = property('variants', name);
      const typeProblem = FLAG_TYPES.includes(type) ? checkVariantValue(type, value) : undefined;
      if (typeProblem !== undefined) {
        problems.push({ path, problem: `${typeProblem} (the flag type is ${type})` });
        // Still a known name, so references to it do not produce follow-up problems.
        variants.set(name, undefined);
        continue;
      }
      variants.set(name, frozenJson(value, path, problems, 0));
    }
  }
  const scope: FlagScope = { key, variants, problems };

  if (!isRecord(env)) {
    problems.push({ path: 'environment', problem: 'missing environment configuration (enabled, offVariant, rules, defaultServe)' });
    return brokenFlag(key, type, problems);
  }
  if (typeof env.enabled !== 'boolean') problems.push({ path: 'enabled', problem: 'must be a boolean' });
  const offVariant = env.offVariant;
  const offOk = checkVariantName(scope, offVariant, 'offVariant');

  const rules: CompiledRule[] = [];
  const ruleIds = new Set<string>();
  if (!Array.isArray(env.rules)) {
    problems.push({ path: 'rules', problem: 'must be an array of rules' });
  } else {
    for (let i = 0; i < env.rules.length; i++) {
      const raw: unknown = env.rules[i];
      const path = `rules[${i}]`;
      if (!isRecord(raw)) {
        problems.push({ path, problem: 'must be an object with id, conditions and serve' });
        continue;
      }
      const id = raw.id;
      if (typeof id !== 'string' || id.length === 0) {
        problems.push({ path: `${path}.id`, problem: 'must be a non-empty string' });
      } else if (ruleIds.has(id)) {
        problems.push({ path: `${path}.id`, problem: `duplicate rule id ${quote(id)}` });
      } else {
        ruleIds.add(id);
      }
      const conditions = compileConditions(raw.conditions, `${path}.conditions`, segments, problems);
      const served = compileServe(scope, raw.serve, `${path}.serve`, 'TARGETING_MATCH', typeof id === 'string' ? id : undefined);
      if (served !== undefined) rules.push(new CompiledRule(id as string, conditions, served));
    }
  }
  const defaultServe = compileServe(scope, env.defaultServe, 'defaultServe', 'DEFAULT', undefined);
  const prerequisites = compilePrerequisites(key, env.prerequisites, problems);

  if (problems.length > 0) return brokenFlag(key, type, problems);

  const mismatches: Record<string, EvaluationResult> = {};
  for (const other of FLAG_TYPES) {
    if (other !== type) mismatches[other] = typeMismatch(key, type, other);
  }
  const disabled = offOk ? makeResult(variants.get(offVariant as string), offVariant as string, 'DISABLED') : null;
  const compiled = new CompiledFlag(key, type, env.enabled as boolean, disabled, rules, defaultServe!, null, Object.freeze([]), mismatches);
  if (prerequisites.length > 0) {
    const offValue = variants.get(offVariant as string);
    compiled.prerequisites = Object.freeze(
      prerequisites.map(
        (p) =>
          new CompiledPrerequisite(
            p.flag,
            new Set(p.variants),
            Object.freeze({ value: offValue, variant: offVariant as string, reason: 'DISABLED' as const, failedPrerequisite: p.flag }),
          ),
      ),
    );
  }
  return compiled;
}

/**
 * Checks the shape of `prerequisites`. Whether the named flags exist and have those variants
 * depends on the other flags, so it is not a problem of this flag: the server refuses such
 * writes, and at evaluation a missing flag or variant simply fails the prerequisite.
 */
function compilePrerequisites(key: string, raw: unknown, problems: Problems): Array<{ flag: string; variants: string[] }> {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push({ path: 'prerequisites', problem: 'must be an array of { flag, variants }' });
    return [];
  }
  const out: Array<{ flag: string; variants: string[] }> = [];
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const entry: unknown = raw[i];
    const path = `prerequisites[${i}]`;
    if (!isRecord(entry)) {
      problems.push({ path, problem: 'must be { flag, variants }' });
      continue;
    }
    const flag = entry.flag;
    let ok = true;
    if (typeof flag !== 'string' || flag.length === 0) {
      problems.push({ path: `${path}.flag`, problem: 'must be a flag key' });
      ok = false;
    } else if (flag === key) {
      problems.push({ path: `${path}.flag`, problem: 'a flag cannot be its own prerequisite' });
      ok = false;
    } else if (seen.has(flag)) {
      problems.push({ path: `${path}.flag`, problem: `duplicate prerequisite ${quote(flag)}` });
      ok = false;
    }
    const variants = entry.variants;
    if (!Array.isArray(variants) || variants.length === 0) {
      problems.push({ path: `${path}.variants`, problem: 'must be a non-empty array of variant names' });
      ok = false;
    } else {
      for (let j = 0; j < variants.length; j++) {
        if (typeof variants[j] !== 'string' || (variants[j] as string).length === 0) {
          problems.push({ path: `${path}.variants[${j}]`, problem: 'must be a variant name' });
          ok = false;
        }
      }
    }
    if (!ok) continue;
    seen.add(flag as string);
    out.push({ flag: flag as string, variants: (variants as string[]).slice() });
  }
  return out;
}

/** Points each prerequisite of `flag` at the compiled flag it names (null when there is none). */
export function linkPrerequisites(flag: CompiledFlag, find: (key: string) => CompiledFlag | undefined): void {
  const list = flag.prerequisites;
  if (list === null) return;
  for (const p of list) p.target = find(p.key) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/**
 * Checks a flag's configuration for one environment with exactly the rules the compiler
 * applies. `segments` is either the environment's segment definitions (then referenced segments
 * are validated too) or a predicate telling which segment keys exist.
 */
export function validateFlagConfig(
  flag: FlagDefinition,
  env: EnvironmentConfig,
  segments: Record<string, Segment> | ((key: string) => boolean),
): ConfigProblem[] {
  return compileFlag(flag, env, segmentSource(segments)).problems.slice();
}

/**
 * Checks a segment definition. `segments` are the other segments (the one being checked may be
 * among them); references to unknown segments and reference cycles are reported.
 */
export function validateSegment(segment: Segment, segments: Record<string, Segment> | ((key: string) => boolean) = {}): ConfigProblem[] {
  const problems: Problems = [];
  try {
    if (!isRecord(segment)) return [{ path: '', problem: 'must be an object with key and conditions' }];
    const key = segment.key;
    if (typeof key !== 'string' || key.length === 0) problems.push({ path: 'key', problem: 'must be a non-empty string' });
    if (typeof segments === 'function') {
      compileConditions(segment.conditions, 'conditions', new SegmentExistence(segments), problems);
    } else {
      const others: Record<string, Segment> = Object.assign(Object.create(null) as Record<string, Segment>, segments);
      if (typeof key === 'string') others[key] = segment;
      new SegmentTable(others).compile(typeof key === 'string' ? key : '', segment, problems);
    }
  } catch (err) {
    problems.push({ path: '', problem: `could not be checked: ${describeError(err)}` });
  }
  return problems;
}

class CompiledSnapshotImpl implements CompiledSnapshot {
  constructor(
    readonly environment: string,
    readonly version: number,
    private readonly compiled: Map<string, CompiledFlag>,
    private readonly sources: Map<string, SnapshotFlag>,
  ) {}

  keys(): string[] {
    return Array.from(this.compiled.keys());
  }

  has(key: string): boolean {
    return this.compiled.has(key);
  }

  flag(key: string): SnapshotFlag | undefined {
    return this.sources.get(key);
  }

  problems(key: string): readonly ConfigProblem[] {
    const f = this.compiled.get(key);
    return f === undefined ? [] : f.problems;
  }

  evaluate(key: string, context: EvaluationContext, expectedType?: FlagType): EvaluationResult {
    const f = this.compiled.get(key);
    if (f === undefined) return flagNotFound(key);
    return f.evaluate(context, expectedType);
  }
}

/**
 * Compiles every flag of a snapshot once, for fast and allocation-free evaluation. Invalid flags
 * compile to PARSE_ERROR flags. Throws a TypeError only when `snapshot` itself is not a
 * snapshot-shaped object (no `flags` object).
 */
export function compileSnapshot(snapshot: Snapshot): CompiledSnapshot {
  if (!isRecord(snapshot) || !isRecord(snapshot.flags)) {
    throw new TypeError('compileSnapshot: expected { environment, version, flags, segments }');
  }
  const segments = new SegmentTable(isRecord(snapshot.segments) ? (snapshot.segments as Record<string, Segment>) : {});
  const compiled = new Map<string, CompiledFlag>();
  const sources = new Map<string, SnapshotFlag>();
  for (const key of Object.keys(snapshot.flags)) {
    const flag = snapshot.flags[key];
    compiled.set(key, compileFlag(flag, flag, segments, { key, requireKeyMatch: true }));
    sources.set(key, flag);
  }
  const find = (key: string) => compiled.get(key);
  for (const flag of compiled.values()) linkPrerequisites(flag, find);
  return new CompiledSnapshotImpl(
    typeof snapshot.environment === 'string' ? snapshot.environment : '',
    typeof snapshot.version === 'number' ? snapshot.version : 0,
    compiled,
    sources,
  );
}
