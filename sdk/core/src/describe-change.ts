import { TOTAL_WEIGHT } from './bucket';
import type { Condition, Operator, Prerequisite, Rule, Serve } from './types';

/**
 * Plain-language descriptions of flag and segment changes ("Production: turns OFF", "Default: on
 * 40 % → 30 %", "Rule 'Nordics' added: …"), shared by the admin UI (confirm, restore, history,
 * audit) and the server (audit summaries), so every place uses the same words. No ids, salts or
 * raw weights: rules are named by their description or position, weights are percentages.
 */

/** The targeting of a flag in one environment (only what evaluates; bookkeeping is ignored). */
export interface DescribableEnvironment {
  enabled: boolean;
  offVariant: string;
  rules: Rule[];
  defaultServe: Serve;
  prerequisites?: Prerequisite[];
}

export interface DescribableFlag {
  name?: string;
  description?: string;
  tags?: string[];
  owner?: string | null;
  variants?: Record<string, unknown>;
  variantDescriptions?: Record<string, string>;
  archived?: boolean;
  environments?: Record<string, DescribableEnvironment | undefined>;
}

export interface DescribableSegment {
  name?: string;
  description?: string;
  conditions: Condition[];
}

export interface EnvironmentChanges {
  environment: string;
  /** The environment's display name (its key when no name is known). */
  name: string;
  changes: string[];
}

export interface ChangeDescription {
  /** Changes to the flag itself (name, variants, …); variants and archiving reach every environment. */
  flag: string[];
  /** Only environments that change, in the order of the names given. */
  environments: EnvironmentChanges[];
}

export interface EnvironmentName {
  key: string;
  name: string;
}

const OPERATOR_WORDS: Record<Operator, string> = {
  in: 'in',
  not_in: 'not in',
  contains: 'contains',
  starts_with: 'starts with',
  ends_with: 'ends with',
  matches: 'matches',
  eq: '=',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  before: 'before',
  after: 'after',
  semver_eq: '= version',
  semver_lt: '< version',
  semver_gt: '> version',
  in_segment: 'in segment',
};

const MAX_VALUES = 10;
const MAX_TEXT = 80;

/** What changes between two versions of a flag, grouped by environment. */
export function describeFlagChange(
  before: DescribableFlag | undefined,
  after: DescribableFlag,
  environments: readonly EnvironmentName[] = [],
): ChangeDescription {
  const flag = before ? describeDefinition(before, after) : ['Flag created'];
  const names = new Map(environments.map((env) => [env.key, env.name]));
  const keys = [...new Set([...names.keys(), ...Object.keys(before?.environments ?? {}), ...Object.keys(after.environments ?? {})])];
  const changed: EnvironmentChanges[] = [];
  for (const key of keys) {
    const was = before?.environments?.[key];
    const now = after.environments?.[key];
    if (!was && !now) continue;
    // A new flag starts off with no rules; only what differs from that is worth saying.
    const changes = describeEnvironmentChange(was ?? (before ? undefined : { ...now!, enabled: false, rules: [] }), now);
    if (changes.length) changed.push({ environment: key, name: names.get(key) ?? key, changes });
  }
  return { flag, environments: changed };
}

/** One line per change: flag-level first, then "Production: turns OFF" per environment. */
export function changeSentences(description: ChangeDescription): string[] {
  return [...description.flag, ...description.environments.flatMap((env) => env.changes.map((change) => `${env.name}: ${change}`))];
}

/** What changes in one environment's targeting; empty when nothing that evaluates differs. */
export function describeEnvironmentChange(before: DescribableEnvironment | undefined, after: DescribableEnvironment | undefined): string[] {
  if (!after) return before ? ['targeting removed'] : [];
  if (!before)
    return [
      after.enabled ? 'added, ON' : 'added, OFF',
      ...describePrerequisites([], after.prerequisites ?? []),
      ...after.rules.map((rule, i) => `${ruleLabel(rule, i)} added: ${ruleText(rule)}`),
    ];
  const out: string[] = [];
  if (before.enabled !== after.enabled) out.push(after.enabled ? 'turns ON' : 'turns OFF');
  out.push(...describePrerequisites(before.prerequisites ?? [], after.prerequisites ?? []));
  out.push(...describeRules(before.rules, after.rules));
  out.push(...describeServe('Default', before.defaultServe, after.defaultServe));
  if (before.offVariant !== after.offVariant) out.push(`When off: ${before.offVariant} → ${after.offVariant}`);
  // Every difference must be said: a change the words above miss is still named.
  if (out.length === 0 && !equal(plain(before), plain(after))) out.push('Targeting changed');
  return out;
}

/** What changes in a segment; a segment change reaches every flag (and environment) using it. */
export function describeSegmentChange(before: DescribableSegment | undefined, after: DescribableSegment): string[] {
  if (!before) return ['Segment created'];
  const out = describeText(before, after);
  out.push(...describeConditions('Conditions: ', before.conditions, after.conditions));
  return out;
}

/**
 * The flag a restore of `old` writes: its definition (name, description, tags, owner, variants;
 * never archived) and its targeting in every environment it has, or, with `environment`, only that
 * environment's targeting. The server restores exactly this, and the UI describes exactly this.
 */
export function restoredFlag<F extends DescribableFlag>(current: F, old: DescribableFlag, environment?: string): F {
  const environments = { ...current.environments };
  for (const [key, config] of Object.entries(old.environments ?? {})) {
    if (config && key in environments && (environment === undefined || key === environment)) environments[key] = plain(config);
  }
  if (environment !== undefined) return { ...current, environments };
  return {
    ...current,
    name: old.name,
    description: old.description,
    tags: old.tags,
    owner: old.owner,
    variants: old.variants,
    // Versions written before descriptions existed keep today's texts for the variants they restore.
    variantDescriptions: old.variantDescriptions ?? keep(current.variantDescriptions ?? {}, old.variants ?? {}),
    archived: false,
    environments,
  };
}

/** Whether the definition changes something every environment serves (variants, archiving). */
export function changesEveryEnvironment(before: DescribableFlag, after: DescribableFlag): boolean {
  return !equal(before.variants, after.variants) || Boolean(before.archived) !== Boolean(after.archived);
}

/** "40 %" for a weight of 40000 (weights are thousandths of a percent). */
export function formatWeight(weight: number): string {
  return `${Number(((weight / TOTAL_WEIGHT) * 100).toFixed(3))} %`;
}

/** "on 40 %, off 60 %" or "on"; the bucketing attribute when it is not the targeting key. */
export function serveText(serve: Serve): string {
  if ('variant' in serve) return serve.variant;
  const split = serve.rollout.map((w) => `${w.variant} ${formatWeight(w.weight)}`).join(', ');
  return serve.bucketBy && serve.bucketBy !== 'targetingKey' ? `${split} (by ${serve.bucketBy})` : split;
}

export function conditionText(condition: Condition): string {
  const operator = `${condition.negate ? 'not ' : ''}${OPERATOR_WORDS[condition.operator] ?? condition.operator}`;
  const subject = condition.operator === 'in_segment' ? operator : `${condition.attribute} ${operator}`;
  return `${subject} ${valuesText(condition.values)}${condition.caseInsensitive ? ' (any case)' : ''}`;
}

// ---- internals ---------------------------------------------------------------------------------

function keep(descriptions: Record<string, string>, variants: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(descriptions).filter(([name]) => name in variants));
}

function describeDefinition(before: DescribableFlag, after: DescribableFlag): string[] {
  const out = describeText(before, after);
  if (!equal(before.tags ?? [], after.tags ?? [])) out.push(`Tags: ${listText(before.tags)} → ${listText(after.tags)}`);
  if ((before.owner ?? null) !== (after.owner ?? null)) out.push(`Owner: ${before.owner || 'none'} → ${after.owner || 'none'}`);
  const was = before.variants ?? {};
  const now = after.variants ?? {};
  for (const name of Object.keys(now)) {
    if (!(name in was)) out.push(`Variant '${name}' added: ${valueText(now[name])}`);
    else if (!equal(was[name], now[name])) out.push(`Variant '${name}': ${valueText(was[name])} → ${valueText(now[name])}`);
  }
  for (const name of Object.keys(was)) if (!(name in now)) out.push(`Variant '${name}' removed`);
  const saidWas = before.variantDescriptions ?? {};
  const saidNow = after.variantDescriptions ?? {};
  for (const name of Object.keys(now)) {
    if (name in was && (saidWas[name] ?? '') !== (saidNow[name] ?? '')) out.push(`Variant '${name}': description changed`);
  }
  if (Boolean(before.archived) !== Boolean(after.archived)) out.push(after.archived ? 'Archived' : 'Unarchived');
  return out;
}

function describeText(before: { name?: string; description?: string }, after: { name?: string; description?: string }): string[] {
  const out: string[] = [];
  if (before.name !== undefined && after.name !== undefined && before.name !== after.name) out.push(`Name: '${clip(before.name)}' → '${clip(after.name)}'`);
  if ((before.description ?? '') !== (after.description ?? '')) out.push('Description changed');
  return out;
}

function describeRules(before: Rule[], after: Rule[]): string[] {
  const out: string[] = [];
  const beforeIds = new Set(before.map((rule) => rule.id));
  const afterIds = new Set(after.map((rule) => rule.id));
  before.forEach((rule, i) => {
    if (!afterIds.has(rule.id)) out.push(`${ruleLabel(rule, i)} removed`);
  });
  const survivorsBefore = before.filter((rule) => afterIds.has(rule.id)).map((rule) => rule.id);
  const survivorsAfter = after.filter((rule) => beforeIds.has(rule.id)).map((rule) => rule.id);
  after.forEach((rule, i) => {
    const label = ruleLabel(rule, i);
    const was = before.find((r) => r.id === rule.id);
    if (!was) {
      out.push(`${label} added: ${ruleText(rule)}`);
      return;
    }
    if (survivorsBefore.indexOf(rule.id) !== survivorsAfter.indexOf(rule.id)) out.push(`${label} moved from position ${before.indexOf(was) + 1} to ${i + 1}`);
    if ((was.description ?? '') !== (rule.description ?? '')) out.push(`${label}: description ${quoted(was.description)} → ${quoted(rule.description)}`);
    out.push(...describeConditions(`${label}: `, was.conditions, rule.conditions));
    out.push(...describeServe(label, was.serve, rule.serve));
  });
  return out;
}

function describeConditions(prefix: string, before: Condition[], after: Condition[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const was = before[i];
    const now = after[i];
    if (equal(was, now)) continue;
    if (!was) out.push(`${prefix}condition added: ${conditionText(now)}`);
    else if (!now) out.push(`${prefix}condition removed: ${conditionText(was)}`);
    else if (
      was.attribute === now.attribute &&
      was.operator === now.operator &&
      Boolean(was.negate) === Boolean(now.negate) &&
      Boolean(was.caseInsensitive) === Boolean(now.caseInsensitive)
    ) {
      const subject = conditionText({ ...now, values: [], caseInsensitive: false }).trimEnd();
      out.push(`${prefix}${subject} ${valuesText(was.values)} → ${valuesText(now.values)}`);
    } else out.push(`${prefix}condition '${conditionText(was)}' → '${conditionText(now)}'`);
  }
  return out;
}

function describeServe(label: string, before: Serve, after: Serve): string[] {
  if (equal(before, after)) return [];
  if ('rollout' in before && 'rollout' in after) {
    const out: string[] = [];
    const weight = (serve: typeof before, variant: string) => serve.rollout.find((w) => w.variant === variant)?.weight ?? 0;
    const variants = [...new Set([...before.rollout, ...after.rollout].map((w) => w.variant))];
    const moved = variants
      .filter((v) => weight(before, v) !== weight(after, v))
      .map((v) => `${v} ${formatWeight(weight(before, v))} → ${formatWeight(weight(after, v))}`);
    if (moved.length) out.push(`${label}: ${moved.join(', ')}`);
    const by = (serve: typeof before) => serve.bucketBy || 'targetingKey';
    if (by(before) !== by(after)) out.push(`${label}: split by ${by(before)} → ${by(after)}`);
    // A new salt with the same percentages still moves users between variants.
    if (out.length === 0 && before.salt !== after.salt) out.push(`${label}: users re-bucketed (same percentages)`);
    return out.length ? out : [`${label}: ${serveText(before)} → ${serveText(after)}`];
  }
  return [`${label}: ${serveText(before)} → ${serveText(after)}`];
}

/** "Prerequisite added: only when gate serves on", "Prerequisite gate: serves on → serves on or beta". */
function describePrerequisites(before: Prerequisite[], after: Prerequisite[]): string[] {
  const out: string[] = [];
  const served = (p: Prerequisite) => `serves ${p.variants.map((v) => clip(v)).join(' or ')}`;
  for (const p of before) if (!after.some((q) => q.flag === p.flag)) out.push(`Prerequisite removed: ${clip(p.flag)}`);
  for (const p of after) {
    const was = before.find((q) => q.flag === p.flag);
    if (!was) out.push(`Prerequisite added: only when ${clip(p.flag)} ${served(p)}`);
    else if (!equal(was.variants, p.variants)) out.push(`Prerequisite ${clip(p.flag)}: ${served(was)} → ${served(p)}`);
  }
  return out;
}

function ruleLabel(rule: Rule, index: number): string {
  const description = rule.description?.trim();
  return description ? `Rule '${clip(description)}'` : `Rule ${index + 1}`;
}

function ruleText(rule: Rule): string {
  const when = rule.conditions.length ? rule.conditions.map(conditionText).join(' and ') : 'everyone';
  return `${when} → ${serveText(rule.serve)}`;
}

function valuesText(values: ReadonlyArray<string | number>): string {
  const shown = values.slice(0, MAX_VALUES).map((v) => clip(String(v)));
  return values.length > MAX_VALUES ? `${shown.join(', ')} and ${values.length - MAX_VALUES} more` : shown.join(', ');
}

function listText(items: readonly string[] | undefined): string {
  return items && items.length ? items.join(', ') : 'none';
}

function valueText(value: unknown): string {
  return clip(JSON.stringify(value) ?? String(value));
}

function quoted(text: string | undefined): string {
  return text ? `'${clip(text)}'` : 'none';
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

function plain(config: DescribableEnvironment): DescribableEnvironment {
  return {
    enabled: config.enabled,
    offVariant: config.offVariant,
    rules: config.rules,
    defaultServe: config.defaultServe,
    ...(config.prerequisites?.length ? { prerequisites: config.prerequisites } : {}),
  };
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => equal(v, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(x), ...Object.keys(y)].filter((k) => x[k] !== undefined || y[k] !== undefined));
    return [...keys].every((k) => equal(x[k], y[k]));
  }
  return false;
}
