/**
 * Server-side apply as the API server does it, reduced to what a deploy tool can observe: every
 * manager owns a set of leaf fields; applying a configuration takes ownership of its fields,
 * removes the fields the same manager applied before and no longer sets (unless someone else
 * owns them), merges associative lists (containers by name, ports by port…) element by element,
 * and refuses to change a field another manager owns unless `force` is set.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Segment = string | { key: JsonObject };
export type FieldPath = Segment[];

export interface Ownership {
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  paths: Map<string, FieldPath>;
}

export interface FieldConflict {
  manager: string;
  path: string;
}

/** Which fields identify an element of a list, per list field name (the API's patchMergeKey / listMapKeys). */
function listKeyFields(listName: string | undefined, item: JsonObject): string[] | undefined {
  switch (listName) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name' in item ? ['name'] : undefined;
    case 'ports':
      if ('containerPort' in item) return ['containerPort'];
      if ('port' in item) return ['port'];
      return undefined;
    case 'volumeMounts':
      return 'mountPath' in item ? ['mountPath'] : undefined;
    default:
      return undefined;
  }
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keyedList(listName: string | undefined, value: Json | undefined): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((item) => isObject(item) && listKeyFields(listName, item) !== undefined);
}

function itemKey(listName: string | undefined, item: JsonObject): JsonObject {
  const fields = listKeyFields(listName, item) ?? [];
  const key: JsonObject = Object.fromEntries(fields.map((field) => [field, item[field]]));
  // A port's protocol defaults to TCP: `{containerPort: 80}` and `{containerPort: 80, protocol: TCP}` are one element.
  if (listName === 'ports') key.protocol ??= 'TCP';
  return key;
}

function sameKey(a: JsonObject, b: JsonObject): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function pathKey(path: FieldPath): string {
  return path.map((s) => (typeof s === 'string' ? `.${s}` : `[${JSON.stringify(s.key)}]`)).join('');
}

// Fields the server owns itself; nobody's apply configuration claims them.
const SERVER_FIELDS = new Set([
  '.apiVersion',
  '.kind',
  '.metadata.name',
  '.metadata.namespace',
  '.metadata.resourceVersion',
  '.metadata.uid',
  '.metadata.generation',
  '.metadata.creationTimestamp',
  '.metadata.managedFields',
  '.metadata.deletionTimestamp',
]);

/** Every leaf field a configuration sets (an empty mapping counts as a leaf: `{}` is a value). */
export function leafPaths(value: Json, prefix: FieldPath = [], listName?: string): Map<string, FieldPath> {
  const out = new Map<string, FieldPath>();
  const visit = (node: Json, path: FieldPath, name: string | undefined) => {
    if (isObject(node)) {
      const entries = Object.entries(node);
      if (entries.length === 0 && path.length > 0) out.set(pathKey(path), path);
      for (const [key, child] of entries) {
        const childPath = [...path, key];
        if (SERVER_FIELDS.has(pathKey(childPath))) continue;
        visit(child, childPath, key);
      }
    } else if (keyedList(name, node)) {
      for (const item of node as JsonObject[]) {
        const itemPath: FieldPath = [...path, { key: itemKey(name, item) }];
        visit(item, itemPath, undefined);
      }
    } else {
      out.set(pathKey(path), path);
    }
  };
  visit(value, prefix, listName);
  return out;
}

export function getAt(root: Json | undefined, path: FieldPath): Json | undefined {
  let current: Json | undefined = root;
  let listName: string | undefined;
  for (const segment of path) {
    if (typeof segment === 'string') {
      if (!isObject(current)) return undefined;
      current = current[segment];
      listName = segment;
    } else {
      if (!Array.isArray(current)) return undefined;
      const name = listName;
      current = current.find((item) => isObject(item) && sameKey(itemKey(name, item), segment.key));
      listName = undefined;
    }
  }
  return current;
}

/** Removes one field (or one list element) and prunes the mappings and elements it leaves empty. */
export function removeAt(root: JsonObject, path: FieldPath): void {
  deleteOne(root, path);
  for (let i = path.length - 1; i >= 1; i--) {
    const prefix = path.slice(0, i);
    const node = getAt(root, prefix);
    const last = prefix[prefix.length - 1];
    const empty =
      (isObject(node) && (typeof last === 'string' ? Object.keys(node).length === 0 : Object.keys(node).every((k) => k in last.key))) ||
      (Array.isArray(node) && node.length === 0);
    if (!empty) break;
    deleteOne(root, prefix);
  }
}

function deleteOne(root: JsonObject, path: FieldPath): void {
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (typeof last === 'string') {
    if (isObject(parent)) delete parent[last];
    return;
  }
  if (!Array.isArray(parent)) return;
  const owner = path[path.length - 2];
  const listName = typeof owner === 'string' ? owner : undefined;
  const index = parent.findIndex((item) => isObject(item) && sameKey(itemKey(listName, item), last.key));
  if (index >= 0) parent.splice(index, 1);
}

/** Merges a configuration into an object: mappings field by field, associative lists element by element. */
export function mergeInto(base: Json | undefined, patch: Json, listName?: string): Json {
  if (isObject(patch)) {
    const result: JsonObject = isObject(base) ? { ...base } : {};
    for (const [key, value] of Object.entries(patch)) result[key] = mergeInto(result[key], value, key);
    return result;
  }
  if (keyedList(listName, patch) && Array.isArray(base)) {
    const result = [...base];
    for (const item of patch as JsonObject[]) {
      const key = itemKey(listName, item);
      const index = result.findIndex((existing) => isObject(existing) && sameKey(itemKey(listName, existing), key));
      if (index >= 0) result[index] = mergeInto(result[index], item);
      else result.push(item);
    }
    return result;
  }
  return structuredClone(patch);
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function canonical(value: Json | undefined): Json | undefined {
  if (Array.isArray(value)) return value.map((v) => canonical(v) as Json);
  if (isObject(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k]) as Json]),
    );
  return value;
}

/**
 * Applies `config` for `manager` onto `existing` (undefined: creation). Returns the merged object
 * and the new ownership, or the conflicts when another manager owns a field the config changes.
 */
export function applyConfiguration(
  existing: JsonObject | undefined,
  owners: Map<string, Ownership>,
  manager: string,
  config: JsonObject,
  options: { force: boolean; apiVersion: string; now: string },
): { object: JsonObject; owners: Map<string, Ownership> } | { conflicts: FieldConflict[] } {
  const applied = leafPaths(config);
  const next = new Map<string, Ownership>([...owners].map(([name, o]) => [name, { ...o, paths: new Map(o.paths) }]));
  const conflicts: FieldConflict[] = [];
  if (existing) {
    for (const [name, ownership] of next) {
      if (name === manager) continue;
      for (const [key, path] of ownership.paths) {
        if (!applied.has(key)) continue;
        if (deepEqual(getAt(config, path), getAt(existing, path))) continue;
        conflicts.push({ manager: name, path: key });
      }
    }
  }
  if (conflicts.length && !options.force) return { conflicts };
  for (const { manager: name, path } of conflicts) next.get(name)?.paths.delete(path);

  const object: JsonObject = existing ? structuredClone(existing) : {};
  const previous = next.get(manager)?.paths ?? new Map<string, FieldPath>();
  for (const [key, path] of previous) {
    if (applied.has(key)) continue;
    const ownedElsewhere = [...next].some(([name, o]) => name !== manager && o.paths.has(key));
    if (!ownedElsewhere) removeAt(object, path);
  }
  const merged = mergeInto(object, config) as JsonObject;
  next.set(manager, { operation: 'Apply', apiVersion: options.apiVersion, time: options.now, paths: applied });
  for (const [name, o] of next) if (o.paths.size === 0 && name !== manager) next.delete(name);
  return { object: merged, owners: next };
}

/** A non-apply write (create, update, patch) takes the fields it changed, silently. */
export function recordUpdate(
  before: JsonObject | undefined,
  after: JsonObject,
  owners: Map<string, Ownership>,
  manager: string,
  options: { apiVersion: string; now: string; subresource?: string },
): Map<string, Ownership> {
  const next = new Map<string, Ownership>([...owners].map(([name, o]) => [name, { ...o, paths: new Map(o.paths) }]));
  const afterPaths = leafPaths(options.subresource === 'status' ? { status: after.status ?? {} } : withoutStatus(after));
  const changed = new Map<string, FieldPath>();
  for (const [key, path] of afterPaths) if (!before || !deepEqual(getAt(before, path), getAt(after, path))) changed.set(key, path);
  for (const [, o] of next) {
    for (const key of [...o.paths.keys()]) if (changed.has(key) || (!afterPaths.has(key) && !options.subresource)) o.paths.delete(key);
  }
  if (changed.size) {
    const own = next.get(manager);
    const paths = own && own.operation === 'Update' ? own.paths : new Map<string, FieldPath>();
    for (const [key, path] of changed) paths.set(key, path);
    next.set(manager, { operation: 'Update', apiVersion: options.apiVersion, time: options.now, subresource: options.subresource, paths });
  }
  for (const [name, o] of next) if (o.paths.size === 0) next.delete(name);
  return next;
}

function withoutStatus(object: JsonObject): JsonObject {
  const { status: _status, ...rest } = object;
  return rest;
}

/** metadata.managedFields as the API server renders them (FieldsV1). */
export function managedFields(owners: Map<string, Ownership>): JsonObject[] {
  return [...owners].map(([manager, o]) => ({
    manager,
    operation: o.operation,
    apiVersion: o.apiVersion,
    time: o.time,
    fieldsType: 'FieldsV1',
    fieldsV1: fieldsV1([...o.paths.values()]),
    ...(o.subresource ? { subresource: o.subresource } : {}),
  }));
}

function fieldsV1(paths: FieldPath[]): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const segment of path) {
      const name = typeof segment === 'string' ? `f:${segment}` : `k:${JSON.stringify(segment.key)}`;
      if (!isObject(node[name])) node[name] = typeof segment === 'string' ? {} : { '.': {} };
      node = node[name] as JsonObject;
    }
  }
  return root;
}
