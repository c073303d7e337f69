import { validateFlagConfig, type EnvironmentConfig, type FlagDefinition, type Prerequisite, type Rule, type Segment, type Serve } from '@switchyard/core';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import { emptyDraft, fromCondition, toCondition, type ConditionDraft } from './condition.model';
import { checkRollout, evenRollout, isRollout, newSalt, rowsOf, toRollout, type RolloutRow } from './rollout.model';

/**
 * The write body of PATCH /api/v1/flags/{key}/environments/{env}. The server's is a zod schema
 * (libs/flags flag.schemas), not a contract, so the UI states the part it sends.
 */
export interface EnvironmentConfigPatch {
  enabled?: boolean;
  offVariant?: string;
  rules?: Array<Omit<Rule, 'id'> & { id?: string }>;
  defaultServe?: Serve;
  /** The whole list; `[]` removes every prerequisite. */
  prerequisites?: Prerequisite[];
}

/**
 * One environment's targeting as the flag page edits it. Drafts keep raw input (percent text,
 * value text) so the page never fights the keyboard; {@link buildTargeting} turns a draft into the
 * API patch and the exact config the preview evaluates, or into problems named by API paths.
 */
export interface ServeDraft {
  mode: 'variant' | 'rollout';
  variant: string;
  rows: RolloutRow[];
  bucketBy: string;
  /** Kept across edits so users stay in their bucket; new rollouts get one at once. */
  salt: string;
}

export interface RuleDraft {
  /** Stable React key; `id` is the server's and is absent for new rules. */
  uid: string;
  id?: string;
  description: string;
  conditions: ConditionDraft[];
  serve: ServeDraft;
}

/** "Serve this flag only when `flag` serves one of `variants`" (checked before the rules). */
export interface PrerequisiteDraft {
  uid: string;
  flag: string;
  variants: string[];
}

/** A flag that may be picked as a prerequisite, with the variants it can serve. */
export interface PrerequisiteChoice {
  key: string;
  variants: string[];
}

export interface TargetingDraft {
  offVariant: string;
  rules: RuleDraft[];
  defaultServe: ServeDraft;
  prerequisites: PrerequisiteDraft[];
}

let uidCounter = 0;
const nextUid = () => `r${(uidCounter += 1)}`;

export function serveDraftOf(serve: Serve, variants: readonly string[]): ServeDraft {
  if (isRollout(serve)) {
    return {
      mode: 'rollout',
      variant: serve.rollout[0]?.variant ?? variants[0] ?? '',
      rows: rowsOf(serve.rollout),
      bucketBy: serve.bucketBy ?? '',
      salt: serve.salt,
    };
  }
  return { mode: 'variant', variant: serve.variant, rows: evenRollout(variants), bucketBy: '', salt: '' };
}

/** Switching a serve to a rollout starts from an even split with a fresh salt. */
export function withMode(serve: ServeDraft, mode: ServeDraft['mode'], variants: readonly string[]): ServeDraft {
  if (mode === serve.mode) return serve;
  if (mode === 'variant') return { ...serve, mode };
  return { ...serve, mode, rows: serve.rows.length ? serve.rows : evenRollout(variants), salt: serve.salt || newSalt() };
}

export function draftOf(
  config: Pick<EnvironmentConfig, 'offVariant' | 'rules' | 'defaultServe' | 'prerequisites'>,
  variants: readonly string[],
): TargetingDraft {
  return {
    offVariant: config.offVariant,
    prerequisites: (config.prerequisites ?? []).map((p) => ({ uid: nextUid(), flag: p.flag, variants: [...p.variants] })),
    rules: config.rules.map((rule) => ({
      uid: nextUid(),
      id: rule.id,
      description: rule.description ?? '',
      conditions: rule.conditions.map(fromCondition),
      serve: serveDraftOf(rule.serve, variants),
    })),
    defaultServe: serveDraftOf(config.defaultServe, variants),
  };
}

/** The flags a prerequisite may name: every other unarchived flag, by key. */
export function prerequisiteChoices(
  flags: ReadonlyArray<{ key: string; archived: boolean; variants: Record<string, unknown> }>,
  self: string,
): PrerequisiteChoice[] {
  return flags
    .filter((f) => !f.archived && f.key !== self)
    .map((f) => ({ key: f.key, variants: Object.keys(f.variants) }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** A prerequisite on `key`, asking for its "on" variant when it has one (the usual boolean gate), else its first. */
export function prerequisiteOn(key: string, choices: readonly PrerequisiteChoice[]): PrerequisiteDraft {
  const variants = choices.find((c) => c.key === key)?.variants ?? [];
  return { uid: nextUid(), flag: key, variants: variants.includes('on') ? ['on'] : variants.slice(0, 1) };
}

/** Ticks or unticks one variant, keeping the order the flag lists its variants in. */
export function toggleVariant(p: PrerequisiteDraft, variant: string, order: readonly string[]): PrerequisiteDraft {
  const chosen = p.variants.includes(variant) ? p.variants.filter((v) => v !== variant) : [...p.variants, variant];
  return { ...p, variants: [...chosen].sort((a, b) => order.indexOf(a) - order.indexOf(b)) };
}

export function newRule(variants: readonly string[]): RuleDraft {
  return { uid: nextUid(), description: '', conditions: [emptyDraft()], serve: serveDraftOf({ variant: variants[0] ?? '' }, variants) };
}

export function moveRule(draft: TargetingDraft, index: number, delta: -1 | 1): TargetingDraft {
  const target = index + delta;
  if (target < 0 || target >= draft.rules.length) return draft;
  const rules = [...draft.rules];
  [rules[index], rules[target]] = [rules[target], rules[index]];
  return { ...draft, rules };
}

export function removeRule(draft: TargetingDraft, index: number): TargetingDraft {
  return { ...draft, rules: draft.rules.filter((_, i) => i !== index) };
}

function buildServe(serve: ServeDraft, path: string, problems: ErrorDetail[]): Serve | undefined {
  if (serve.mode === 'variant') {
    if (!serve.variant) problems.push({ path: `${path}.variant`, problem: 'pick a variant' });
    return { variant: serve.variant };
  }
  const check = checkRollout(serve.rows);
  check.rowProblems.forEach((problem, i) => {
    if (problem) problems.push({ path: `${path}.rollout[${i}].weight`, problem });
  });
  if (check.problem && !check.rowProblems.some(Boolean)) problems.push({ path: `${path}.rollout`, problem: check.problem });
  const rollout = toRollout(serve.rows);
  if (!rollout) return undefined;
  const bucketBy = serve.bucketBy.trim();
  return { rollout, salt: serve.salt || newSalt(), ...(bucketBy ? { bucketBy } : {}) };
}

export interface BuiltTargeting {
  problems: ErrorDetail[];
  /** The PATCH body; present only when there are no problems. */
  patch?: EnvironmentConfigPatch;
  /** The config as it will be stored (for the preview); present only when there are no problems. */
  config?: EnvironmentConfig;
}

/**
 * Builds the patch and checks it exactly as the server will: first the editor's own rules
 * (typed values, rollout sums), then sdk/core's validateFlagConfig, the server's validator.
 */
export function buildTargeting(
  draft: TargetingDraft,
  flag: FlagDefinition,
  enabled: boolean,
  segments: Record<string, Segment>,
  /** The flags prerequisites may name; when given, unknown flags and variants are problems here (the server checks them anyway). */
  choices?: readonly PrerequisiteChoice[],
): BuiltTargeting {
  const problems: ErrorDetail[] = [];
  const prerequisites: Prerequisite[] = [];
  draft.prerequisites.forEach((p, i) => {
    const choice = choices?.find((c) => c.key === p.flag);
    if (!p.flag) problems.push({ path: `prerequisites[${i}].flag`, problem: 'pick a flag' });
    else if (choices && !choice) problems.push({ path: `prerequisites[${i}].flag`, problem: `no flag "${p.flag}" exists (or it is archived)` });
    else if (draft.prerequisites.findIndex((q) => q.flag === p.flag) < i)
      problems.push({ path: `prerequisites[${i}].flag`, problem: `"${p.flag}" is already a prerequisite` });
    if (p.variants.length === 0) problems.push({ path: `prerequisites[${i}].variants`, problem: 'pick at least one variant' });
    const unknown = choice ? p.variants.filter((v) => !choice.variants.includes(v)) : [];
    if (unknown.length)
      problems.push({ path: `prerequisites[${i}].variants`, problem: `"${p.flag}" has no variant ${unknown.map((v) => `"${v}"`).join(', ')}` });
    prerequisites.push({ flag: p.flag, variants: p.variants });
  });
  const rules: Rule[] = [];
  draft.rules.forEach((rule, r) => {
    const conditions = rule.conditions.flatMap((condition, c) => {
      const result = toCondition(condition);
      if (result.problems) {
        for (const p of result.problems) problems.push({ path: `rules[${r}].conditions[${c}].${p.field}`, problem: p.problem });
        return [];
      }
      return [result.condition];
    });
    const serve = buildServe(rule.serve, `rules[${r}].serve`, problems);
    const description = rule.description.trim();
    if (serve) rules.push({ id: rule.id ?? rule.uid, ...(description ? { description } : {}), conditions, serve });
  });
  const defaultServe = buildServe(draft.defaultServe, 'defaultServe', problems);
  if (!draft.offVariant) problems.push({ path: 'offVariant', problem: 'pick a variant' });
  if (problems.length > 0 || !defaultServe) return { problems };
  const config: EnvironmentConfig = {
    enabled,
    offVariant: draft.offVariant,
    rules,
    defaultServe,
    version: 0,
    ...(prerequisites.length ? { prerequisites } : {}),
  };
  const engineProblems = validateFlagConfig(flag, config, segments);
  if (engineProblems.length > 0) return { problems: engineProblems.map((p) => ({ path: p.path || 'variants', problem: p.problem })) };
  const patch: EnvironmentConfigPatch = {
    offVariant: draft.offVariant,
    // New rules go without an id; the server assigns one.
    rules: draft.rules.map((rule, i) => (rule.id ? rules[i] : withoutId(rules[i]))),
    defaultServe,
    prerequisites,
  };
  return { problems: [], patch, config };
}

function withoutId(rule: Rule): Omit<Rule, 'id'> {
  const { id: _id, ...rest } = rule;
  return rest;
}

/** The stored part of a config, for comparing a draft with what the server has. */
export function storedPart(
  config: Pick<EnvironmentConfig, 'offVariant' | 'rules' | 'defaultServe' | 'prerequisites'>,
): Pick<EnvironmentConfig, 'offVariant' | 'rules' | 'defaultServe' | 'prerequisites'> {
  return {
    offVariant: config.offVariant,
    rules: config.rules,
    defaultServe: config.defaultServe,
    ...(config.prerequisites?.length ? { prerequisites: config.prerequisites } : {}),
  };
}
