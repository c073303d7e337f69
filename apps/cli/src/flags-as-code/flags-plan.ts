import { configDocument, documentsOf, environmentDocument, isObject, sameJson, segmentDocument, type Json, type JsonObject } from './flag-documents';
import type { DesiredState } from './flags-directory';

/** What the server holds, as the admin API lists it (flags include archived ones). */
export interface ServerState {
  environments: JsonObject[];
  segments: JsonObject[];
  flags: JsonObject[];
}

export interface PlanRequest {
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: JsonObject;
  /** Sent as If-Match: the flag's version as the executor last saw it, or a segment's version read for the plan. */
  ifMatch?: { flag: string } | { version: number };
}

export interface PlanStep {
  action: 'create' | 'update' | 'delete';
  /** "flag checkout", "flag checkout in production", "segment beta-users", "environment qa". */
  target: string;
  /** One line per changed field: `enabled: false → true`. */
  details: string[];
  /** Environments whose served values this write changes (confirmations and comments are per environment). */
  environments: string[];
  request: PlanRequest;
}

export interface Plan {
  steps: PlanStep[];
  /** On the server, not in the directory, and left alone (no --prune, or never deleted: environments). */
  notInGit: string[];
  /** Changes the API cannot make; the plan is refused as a whole. */
  errors: string[];
}

const FLAG_DEFAULTS = (key: string, type: Json): JsonObject => ({
  name: key,
  description: '',
  tags: [],
  clientSide: false,
  owner: null,
  variantDescriptions: {},
  ...(type === 'boolean' ? { variants: { on: true, off: false } } : {}),
});
const SEGMENT_DEFAULTS = (key: string): JsonObject => ({ name: key, description: '' });
const ENVIRONMENT_DEFAULTS = (key: string): JsonObject => ({ name: key, requiresConfirmation: false, requiresComment: false });
/** Fields that name the thing or cannot change through an update. */
const FLAG_FIXED = new Set(['key', 'type', 'environments']);

const enc = encodeURIComponent;

/**
 * The targeting a new environment (or a new flag without targeting) gets on the server: off,
 * serving the first variant (boolean flags: off serves "off", on serves "on"). Mirrors
 * libs/flags' defaultConfig, which the CLI cannot import without the server's Nest code.
 */
export function defaultConfigOf(type: Json, variants: JsonObject): JsonObject {
  const names = Object.keys(variants);
  if (type === 'boolean' && 'on' in variants && 'off' in variants) return { enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } };
  return { enabled: false, offVariant: names[0] ?? '', rules: [], defaultServe: { variant: names[0] ?? '' } };
}

/**
 * A file's targeting with what it leaves to the server taken from the server: rule ids and rollout
 * salts. A hand-written rule without an id or a rollout without a salt is then not a change, and
 * applying it keeps the users in their buckets.
 */
function withServerIds(desired: JsonObject, current: JsonObject | undefined): JsonObject {
  const out: JsonObject = { ...desired };
  const salted = (serve: Json, before: Json | undefined): Json =>
    isObject(serve) && 'rollout' in serve && serve.salt === undefined && isObject(before) && typeof before.salt === 'string'
      ? { ...serve, salt: before.salt }
      : serve;
  if (Array.isArray(desired.rules)) {
    const currentRules = Array.isArray(current?.rules) ? current.rules : [];
    out.rules = desired.rules.map((rule, i) => {
      if (!isObject(rule)) return rule;
      const before = currentRules[i];
      const id = rule.id ?? (isObject(before) ? before.id : undefined);
      const byId = currentRules.find((r) => isObject(r) && id !== undefined && r.id === id);
      return { ...(id === undefined ? {} : { id }), ...rule, serve: salted(rule.serve, isObject(byId) ? byId.serve : undefined) };
    });
  }
  if (desired.defaultServe !== undefined) out.defaultServe = salted(desired.defaultServe, current?.defaultServe);
  return out;
}

function short(value: Json | undefined): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** `rules[0].serve.rollout[1].weight: 10000 → 20000`, one line per differing leaf (whole arrays when their length differs). */
export function diffLines(before: Json | undefined, after: Json | undefined, path = ''): string[] {
  if (sameJson(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((key) => !(key in before))];
    return keys.flatMap((key) => diffLines(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => diffLines(item, after[i], `${path}[${i}]`));
  }
  return [`${path || '(value)'}: ${short(before)} → ${short(after)}`];
}

/** Keys of `value` whose value differs from `current`'s (after defaults), as a patch body. */
function changedFields(desired: JsonObject, current: JsonObject, skip: Set<string>): JsonObject {
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(desired)) {
    if (skip.has(key)) continue;
    if (!sameJson(value, current[key] ?? null)) patch[key] = value;
  }
  return patch;
}

/** Segments that `conditions` reference (in_segment). */
function referencedSegments(conditions: Json | undefined): string[] {
  if (!Array.isArray(conditions)) return [];
  return conditions.flatMap((c) => (isObject(c) && c.operator === 'in_segment' && Array.isArray(c.values) ? c.values.map(String) : []));
}

/** Flags that a flag's prerequisites name, in any environment. */
function prerequisiteFlags(flag: JsonObject): string[] {
  const envs = isObject(flag.environments) ? Object.values(flag.environments) : [];
  return envs.flatMap((config) =>
    isObject(config) && Array.isArray(config.prerequisites)
      ? config.prerequisites.flatMap((p) => (isObject(p) && typeof p.flag === 'string' ? [p.flag] : []))
      : [],
  );
}

/** Ordered so that each comes after those it references (a cycle is left to the server to refuse). */
function dependencyOrder(segments: JsonObject[], references: (value: JsonObject) => string[] = (s) => referencedSegments(s.conditions)): JsonObject[] {
  const byKey = new Map(segments.map((s) => [String(s.key), s]));
  const done = new Set<string>();
  const out: JsonObject[] = [];
  const visit = (segment: JsonObject, path: Set<string>) => {
    const key = String(segment.key);
    if (done.has(key) || path.has(key)) return;
    path.add(key);
    for (const ref of references(segment)) {
      const dep = byKey.get(ref);
      if (dep) visit(dep, path);
    }
    done.add(key);
    out.push(segment);
  };
  for (const segment of segments) visit(segment, new Set());
  return out;
}

export interface PlanOptions {
  /** Delete (segments) and archive (flags) what the directory does not hold. */
  prune: boolean;
}

/** Compares a directory with the server: the writes that make the server match it, in an order the API accepts. */
export function planChanges(desired: DesiredState, server: ServerState, options: PlanOptions): Plan {
  const steps: PlanStep[] = [];
  const notInGit: string[] = [];
  const errors: string[] = [];

  // ---- environments: created and updated, never deleted (the API has no delete).
  const serverEnvs = new Map(server.environments.map((env) => [String(env.key), environmentDocument(env)]));
  const allEnvKeys = [...serverEnvs.keys()];
  if (desired.environments) {
    for (const env of desired.environments) {
      const key = String(env.key);
      const current = serverEnvs.get(key);
      const wanted = { ...ENVIRONMENT_DEFAULTS(key), ...env };
      if (!current) {
        steps.push({
          action: 'create',
          target: `environment ${key}`,
          details: [],
          environments: [],
          request: { method: 'POST', path: '/api/v1/environments', body: env },
        });
        allEnvKeys.push(key);
        continue;
      }
      const patch = changedFields(wanted, current, new Set(['key']));
      if (Object.keys(patch).length)
        steps.push({
          action: 'update',
          target: `environment ${key}`,
          details: diffLines(pick(current, Object.keys(patch)), patch),
          environments: [],
          request: { method: 'PATCH', path: `/api/v1/environments/${enc(key)}`, body: patch },
        });
    }
    const declared = new Set(desired.environments.map((env) => String(env.key)));
    for (const key of serverEnvs.keys()) if (!declared.has(key)) notInGit.push(`environment ${key} (environments are never deleted by apply)`);
  }

  // ---- segments: created (referenced ones first) and updated before the flags that may use them.
  const serverSegments = new Map(server.segments.map((s) => [String(s.key), s]));
  for (const segment of dependencyOrder(desired.segments)) {
    const key = String(segment.key);
    const current = serverSegments.get(key);
    if (!current) {
      steps.push({
        action: 'create',
        target: `segment ${key}`,
        details: [],
        environments: [],
        request: { method: 'POST', path: '/api/v1/segments', body: segment },
      });
      continue;
    }
    const currentDoc = segmentDocument(current);
    const patch = changedFields({ ...SEGMENT_DEFAULTS(key), ...segment }, currentDoc, new Set(['key']));
    if (Object.keys(patch).length)
      steps.push({
        action: 'update',
        target: `segment ${key}`,
        details: diffLines(pick(currentDoc, Object.keys(patch)), patch),
        // New conditions change every flag that uses the segment, in every environment.
        environments: 'conditions' in patch ? allEnvKeys : [],
        request: { method: 'PATCH', path: `/api/v1/segments/${enc(key)}`, body: patch, ifMatch: { version: Number(current.version) } },
      });
  }

  // ---- flags
  const serverFlags = new Map(server.flags.map((f) => [String(f.key), f]));
  const current = documentsOf({ environments: server.environments, segments: [], flags: server.flags });
  const currentFlagDocs = new Map(current.flags.map((f) => [String(f.key), f]));
  const knownEnvs = new Set(allEnvKeys);
  for (const flag of desired.flags) {
    for (const env of Object.keys(isObject(flag.environments) ? flag.environments : {}))
      if (!knownEnvs.has(env))
        errors.push(`flags/${String(flag.key)}.yaml: environments.${env}: is not an environment of the server (add it to environments.yaml)`);
  }
  // New flags first, each after the flags its prerequisites name, so every update can refer to them.
  const created = dependencyOrder(
    desired.flags.filter((flag) => !serverFlags.has(String(flag.key))),
    prerequisiteFlags,
  );
  for (const flag of [...created, ...desired.flags.filter((f) => serverFlags.has(String(f.key)))]) {
    const key = String(flag.key);
    const existing = serverFlags.get(key);
    const desiredEnvs = isObject(flag.environments) ? flag.environments : {};
    if (!existing) {
      const variants = isObject(flag.variants) ? flag.variants : (FLAG_DEFAULTS(key, flag.type).variants as JsonObject | undefined);
      // Environments left at the server's default need no targeting (nor a confirmation) at creation.
      const environments: JsonObject = {};
      for (const [env, config] of Object.entries(desiredEnvs)) {
        if (isObject(config) && !(variants && sameJson({ ...defaultConfigOf(flag.type, variants), ...config }, defaultConfigOf(flag.type, variants))))
          environments[env] = config;
      }
      const body: JsonObject = { ...flag, environments };
      if (Object.keys(environments).length === 0) delete body.environments;
      steps.push({
        action: 'create',
        target: `flag ${key}`,
        details: Object.keys(environments).map((env) => `targeting in ${env}`),
        environments: Object.keys(environments),
        request: { method: 'POST', path: '/api/v1/flags', body },
      });
      continue;
    }
    const currentDoc = currentFlagDocs.get(key)!;
    const flagEnvs = Object.keys(isObject(existing.environments) ? existing.environments : {});
    if (existing.type !== flag.type) {
      errors.push(
        `flags/${key}.yaml: type: is "${String(flag.type)}" but the flag on the server is "${String(existing.type)}"; a flag's type cannot change (archive it and create a new key)`,
      );
      continue;
    }
    if (existing.archived === true)
      steps.push({
        action: 'update',
        target: `flag ${key}`,
        details: ['archived: true → false (unarchive)'],
        environments: flagEnvs,
        request: { method: 'PATCH', path: `/api/v1/flags/${enc(key)}`, body: { archived: false }, ifMatch: { flag: key } },
      });
    const wanted = { ...FLAG_DEFAULTS(key, flag.type), ...flag };
    const definition = changedFields(wanted, { ...FLAG_DEFAULTS(key, flag.type), ...currentDoc }, FLAG_FIXED);
    let finalVariants: JsonObject | undefined;
    if (Object.keys(definition).length) {
      const body: JsonObject = { ...definition };
      // Variants that targeting still uses cannot go before the targeting changes: keep them until then.
      if (isObject(definition.variants) && isObject(currentDoc.variants)) {
        const removed = Object.keys(currentDoc.variants).filter((name) => !(name in (definition.variants as JsonObject)));
        if (removed.length) {
          finalVariants = definition.variants;
          body.variants = { ...definition.variants, ...Object.fromEntries(removed.map((name) => [name, (currentDoc.variants as JsonObject)[name]])) };
          if ('variantDescriptions' in body) delete body.variantDescriptions;
        }
      }
      steps.push({
        action: 'update',
        target: `flag ${key}`,
        details: diffLines(pick({ ...FLAG_DEFAULTS(key, flag.type), ...currentDoc }, Object.keys(definition)), definition),
        environments: 'variants' in definition ? flagEnvs : [],
        request: { method: 'PATCH', path: `/api/v1/flags/${enc(key)}`, body, ifMatch: { flag: key } },
      });
    }
    const currentEnvs = isObject(currentDoc.environments) ? currentDoc.environments : {};
    for (const [env, config] of Object.entries(desiredEnvs)) {
      if (!isObject(config)) continue;
      const variants = isObject(wanted.variants) ? wanted.variants : {};
      const before = isObject(currentEnvs[env]) ? currentEnvs[env] : defaultConfigOf(flag.type, variants);
      const filled = withServerIds(configDocument(config), before);
      const patch = changedFields(filled, before, new Set());
      if (!Object.keys(patch).length) continue;
      steps.push({
        action: 'update',
        target: `flag ${key} in ${env}`,
        details: diffLines(pick(before, Object.keys(patch)), patch),
        environments: [env],
        request: { method: 'PATCH', path: `/api/v1/flags/${enc(key)}/environments/${enc(env)}`, body: patch, ifMatch: { flag: key } },
      });
    }
    if (finalVariants) {
      steps.push({
        action: 'update',
        target: `flag ${key}`,
        details: ['variants: the ones no longer in the file are removed'],
        environments: flagEnvs,
        request: {
          method: 'PATCH',
          path: `/api/v1/flags/${enc(key)}`,
          body: { variants: finalVariants, ...('variantDescriptions' in definition ? { variantDescriptions: definition.variantDescriptions } : {}) },
          ifMatch: { flag: key },
        },
      });
    }
  }

  // ---- what the directory does not hold: archived (flags) and deleted (segments) only with --prune.
  const declaredFlags = new Set(desired.flags.map((f) => String(f.key)));
  for (const flag of server.flags) {
    const key = String(flag.key);
    if (declaredFlags.has(key) || flag.archived === true) continue;
    if (!options.prune) {
      notInGit.push(`flag ${key}`);
      continue;
    }
    steps.push({
      action: 'delete',
      target: `flag ${key}`,
      details: ['archived (its history is kept)'],
      environments: Object.keys(isObject(flag.environments) ? flag.environments : {}),
      request: { method: 'DELETE', path: `/api/v1/flags/${enc(key)}`, ifMatch: { flag: key } },
    });
  }
  const declaredSegments = new Set(desired.segments.map((s) => String(s.key)));
  const orphans = dependencyOrder(server.segments.filter((s) => !declaredSegments.has(String(s.key)))).reverse();
  for (const segment of orphans) {
    const key = String(segment.key);
    if (!options.prune) {
      notInGit.push(`segment ${key}`);
      continue;
    }
    steps.push({
      action: 'delete',
      target: `segment ${key}`,
      details: [],
      environments: [],
      request: { method: 'DELETE', path: `/api/v1/segments/${enc(key)}`, ifMatch: { version: Number(segment.version) } },
    });
  }
  notInGit.sort();
  return { steps, notInGit, errors };
}

function pick(value: JsonObject, keys: string[]): JsonObject {
  return Object.fromEntries(keys.map((key) => [key, value[key] ?? null]));
}

const SYMBOL = { create: '+', update: '~', delete: '-' } as const;

/** The plan as people read it: one block per write, its changed fields below, then what is not in git. */
export function describePlan(plan: Plan): string {
  const lines: string[] = [];
  for (const step of plan.steps) {
    lines.push(`  ${SYMBOL[step.action]} ${step.action} ${step.target}`);
    for (const detail of step.details) lines.push(`      ${detail}`);
  }
  for (const item of plan.notInGit) lines.push(`  ! not in git: ${item}`);
  const count = (action: PlanStep['action']) => plan.steps.filter((s) => s.action === action).length;
  const summary = `${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${plan.notInGit.length} not in git`;
  if (lines.length === 0) return 'no changes: the server matches the directory\n';
  return `${lines.join('\n')}\n${summary}\n`;
}
