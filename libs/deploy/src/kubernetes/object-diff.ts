import { createHmac, randomBytes } from 'node:crypto';
import type { KubeObject } from './kube-resources';
import type { FieldChange } from './object-diff.contract';

export type { FieldChange } from './object-diff.contract';

// Fields the server owns or that change on every write: a plan that listed them would bury the real change.
const IGNORED = new Set(['metadata.managedFields', 'metadata.resourceVersion', 'metadata.generation', 'metadata.uid', 'metadata.creationTimestamp', 'status']);
const IGNORED_ANNOTATIONS = ['deployment.kubernetes.io/revision', 'kubectl.kubernetes.io/last-applied-configuration'];

/** The leaf fields that differ between the live object and what an apply would make of it (Secret values redacted). */
export function diffObjects(live: KubeObject | undefined, next: KubeObject): FieldChange[] {
  const changes: FieldChange[] = [];
  walk(redactSecret(clean(live)), redactSecret(clean(next)), '', changes);
  return changes;
}

// Keyed per process: a plain hash of a short secret (a PIN, a word) could be reversed by guessing.
// Within one plan the same value hashes the same, so an approver still sees which keys change.
const SECRET_HASH_KEY = randomBytes(32);

/** `sha256:1a2b…` of a Secret value: shows that it changed, never what it is. */
export function secretValueHash(value: unknown): string {
  return `sha256:${createHmac('sha256', SECRET_HASH_KEY).update(String(value)).digest('hex').slice(0, 16)}`;
}

/**
 * A Secret with every value under `data` and `stringData` replaced by its keyed hash (keys kept),
 * for anything shown, stored, logged or sent. Other kinds come back as they are.
 */
export function redactSecret<T>(object: T): T {
  if (!isRecord(object) || object.kind !== 'Secret') return object;
  const copy = structuredClone(object) as Record<string, unknown>;
  for (const field of ['data', 'stringData']) {
    const values = copy[field];
    if (isRecord(values)) copy[field] = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, secretValueHash(value)]));
  }
  return copy as T;
}

function clean(object: KubeObject | undefined): unknown {
  if (!object) return undefined;
  const copy = structuredClone(object) as Record<string, unknown>;
  const metadata = (copy.metadata ?? {}) as Record<string, unknown>;
  for (const path of IGNORED) {
    const [head, tail] = path.split('.');
    if (tail === undefined) delete copy[head];
    else if (head === 'metadata') delete metadata[tail];
  }
  const annotations = metadata.annotations as Record<string, string> | undefined;
  if (annotations) {
    for (const key of IGNORED_ANNOTATIONS) delete annotations[key];
    if (Object.keys(annotations).length === 0) delete metadata.annotations;
  }
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(before: unknown, after: unknown, path: string, changes: FieldChange[]): void {
  if (isRecord(before) && isRecord(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) walk(before[key], after[key], path ? `${path}.${key}` : key, changes);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const named = [...before, ...after].every((item) => isRecord(item) && typeof item.name === 'string');
    if (named) {
      const byName = (list: unknown[]) => new Map(list.map((item) => [String((item as { name: string }).name), item]));
      const a = byName(before);
      const b = byName(after);
      for (const name of new Set([...a.keys(), ...b.keys()])) walk(a.get(name), b.get(name), `${path}[${name}]`, changes);
      return;
    }
    if (before.length === after.length) {
      before.forEach((item, i) => walk(item, after[i], `${path}[${i}]`, changes));
      return;
    }
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ path, before: before ?? null, after: after ?? null });
}
