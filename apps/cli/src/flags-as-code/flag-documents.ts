import { Document, visit } from 'yaml';

/**
 * The documents of a flags-as-code directory, built from what the admin API returns. Generic on
 * purpose: a field the API adds later (an environment's `prerequisites`, an environment's approval
 * setting) is exported and applied as it is; only the fields that belong to one installation are
 * left out — versions, timestamps, the archived mark (archived flags are not exported).
 *
 * Kept: rule ids (they let the server match a rule across edits) and rollout salts. A salt decides
 * which bucket a user falls in (hash of flag key, salt and the user's attribute), so a flag copied to
 * another installation with its salt serves every user the same variant there.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Server-side bookkeeping that differs between installations or over time. */
const FLAG_INTERNAL = new Set(['createdAt', 'updatedAt', 'version', 'archived', 'stale']);
const CONFIG_INTERNAL = new Set(['version', 'updatedAt']);
const SEGMENT_INTERNAL = new Set(['version', 'createdAt', 'updatedAt']);
const ENVIRONMENT_INTERNAL = new Set(['version', 'createdAt', 'updatedAt']);

// Field orders a reader expects; fields not listed follow in alphabetical order.
const FLAG_ORDER = ['key', 'name', 'description', 'type', 'owner', 'tags', 'clientSide', 'variants', 'variantDescriptions', 'environments'];
const CONFIG_ORDER = ['enabled', 'offVariant', 'defaultServe', 'rules'];
const RULE_ORDER = ['id', 'description', 'conditions', 'serve'];
const CONDITION_ORDER = ['attribute', 'operator', 'values', 'negate', 'caseInsensitive'];
const SERVE_ORDER = ['variant', 'rollout', 'bucketBy', 'salt'];
const WEIGHT_ORDER = ['variant', 'weight'];
const SEGMENT_ORDER = ['key', 'name', 'description', 'conditions'];
const ENVIRONMENT_ORDER = ['key', 'name', 'requiresConfirmation', 'requiresComment'];

export interface FlagsDocuments {
  environments: JsonObject[];
  segments: JsonObject[];
  flags: JsonObject[];
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Known fields in `order`, the rest alphabetically; each value shaped by `shape` when given. */
function ordered(value: JsonObject, order: string[], shape: (key: string, value: Json) => Json = (_key, v) => sortedDeep(v)): JsonObject {
  const keys = Object.keys(value);
  const known = order.filter((key) => keys.includes(key));
  const rest = keys.filter((key) => !order.includes(key)).sort();
  const out: JsonObject = {};
  for (const key of [...known, ...rest]) if (value[key] !== undefined) out[key] = shape(key, value[key]);
  return out;
}

/** Unknown structure: keys sorted at every level, so the bytes never depend on the server's key order. */
function sortedDeep(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (!isObject(value)) return value;
  return ordered(value, []);
}

function without(value: JsonObject, drop: Set<string>): JsonObject {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !drop.has(key)));
}

export function conditionDocument(condition: Json): Json {
  return isObject(condition) ? ordered(condition, CONDITION_ORDER) : condition;
}

function serveDocument(serve: Json): Json {
  if (!isObject(serve)) return serve;
  return ordered(serve, SERVE_ORDER, (key, value) =>
    key === 'rollout' && Array.isArray(value) ? value.map((w) => (isObject(w) ? ordered(w, WEIGHT_ORDER) : w)) : sortedDeep(value),
  );
}

function ruleDocument(rule: Json): Json {
  if (!isObject(rule)) return rule;
  return ordered(rule, RULE_ORDER, (key, value) => {
    if (key === 'conditions' && Array.isArray(value)) return value.map(conditionDocument);
    if (key === 'serve') return serveDocument(value);
    return sortedDeep(value);
  });
}

/** One environment's targeting as the files hold it (also used for a file's own, possibly partial, config). */
export function configDocument(config: JsonObject): JsonObject {
  return ordered(without(config, CONFIG_INTERNAL), CONFIG_ORDER, (key, value) => {
    if (key === 'rules' && Array.isArray(value)) return value.map(ruleDocument);
    if (key === 'defaultServe') return serveDocument(value);
    return sortedDeep(value);
  });
}

/**
 * A flag as its file holds it. `environmentOrder` is the installation's environment order (the
 * API's list order), so files list environments as the UI does.
 */
export function flagDocument(flag: JsonObject, environmentOrder: string[]): JsonObject {
  const trimmed = without(flag, FLAG_INTERNAL);
  // No owner is the absence of one; creating a flag takes no null owner.
  if (trimmed.owner === null) delete trimmed.owner;
  if (isObject(trimmed.variantDescriptions) && Object.keys(trimmed.variantDescriptions).length === 0) delete trimmed.variantDescriptions;
  return ordered(trimmed, FLAG_ORDER, (key, value) => {
    // Variant order is meaningful (the first is the default of a new environment): kept as the server has it.
    if (key === 'variants' && isObject(value)) return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, sortedDeep(v)]));
    if (key === 'variantDescriptions' && isObject(value)) {
      const variants = isObject(flag.variants) ? Object.keys(flag.variants) : [];
      return ordered(value, variants);
    }
    if (key === 'environments' && isObject(value)) {
      const out: JsonObject = {};
      const keys = [
        ...environmentOrder.filter((env) => env in value),
        ...Object.keys(value)
          .filter((env) => !environmentOrder.includes(env))
          .sort(),
      ];
      for (const env of keys) out[env] = isObject(value[env]) ? configDocument(value[env]) : value[env];
      return out;
    }
    return sortedDeep(value);
  });
}

export function segmentDocument(segment: JsonObject): JsonObject {
  return ordered(without(segment, SEGMENT_INTERNAL), SEGMENT_ORDER, (key, value) =>
    key === 'conditions' && Array.isArray(value) ? value.map(conditionDocument) : sortedDeep(value),
  );
}

export function environmentDocument(environment: JsonObject): JsonObject {
  return ordered(without(environment, ENVIRONMENT_INTERNAL), ENVIRONMENT_ORDER);
}

/** The server's state as documents: environments in the server's order, segments and flags by key. */
export function documentsOf(server: { environments: JsonObject[]; segments: JsonObject[]; flags: JsonObject[] }): FlagsDocuments {
  const environmentOrder = server.environments.map((env) => String(env.key));
  const byKey = (a: JsonObject, b: JsonObject) => String(a.key).localeCompare(String(b.key));
  return {
    environments: server.environments.map(environmentDocument),
    segments: [...server.segments].sort(byKey).map(segmentDocument),
    flags: [...server.flags].sort(byKey).map((flag) => flagDocument(flag, environmentOrder)),
  };
}

/** Plain words that YAML 1.1 readers (many linters and CI tools) take for booleans: quoted so every reader sees a string. */
const YAML11_BOOLEAN = /^(?:y|n|yes|no|on|off|true|false)$/i;

/** YAML with fixed formatting: no line folding, two-space indent, so the same state gives the same bytes. */
export function toYaml(value: Json): string {
  const document = new Document(value);
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && YAML11_BOOLEAN.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return document.toString({ indent: 2, lineWidth: 0, minContentWidth: 0, indentSeq: true });
}

/** Relative path → file text, for every file of an export. */
export function renderFiles(documents: FlagsDocuments): Map<string, string> {
  const files = new Map<string, string>();
  files.set('environments.yaml', toYaml(documents.environments));
  for (const segment of documents.segments) files.set(`segments/${String(segment.key)}.yaml`, toYaml(segment));
  for (const flag of documents.flags) files.set(`flags/${String(flag.key)}.yaml`, toYaml(flag));
  return files;
}

/** Deep equality of JSON values, key order ignored. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameJson(a[key], b[key]));
}
