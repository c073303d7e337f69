/**
 * A readable before/after diff of two JSON values: one entry per changed leaf, named by the same
 * paths the API uses in errors (`rules[0].serve.rollout[1].weight`). Arrays of objects with an
 * `id` (rules) are matched by id, so reordering shows as a move instead of every rule changing.
 */
export type DiffKind = 'added' | 'removed' | 'changed' | 'moved';

export interface DiffEntry {
  path: string;
  kind: DiffKind;
  before?: unknown;
  after?: unknown;
}

export interface DiffOptions {
  /** Keys skipped at any depth (bookkeeping such as updatedAt). */
  ignore?: readonly string[];
}

const DEFAULT_IGNORE = ['updatedAt'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function child(base: string, key: string): string {
  const name = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  if (base === '') return name.startsWith('"') ? `[${name}]` : name;
  return name.startsWith('"') ? `${base}[${name}]` : `${base}.${name}`;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!equal(a[key], b[key])) return false;
    return true;
  }
  return false;
}

const hasIds = (items: unknown[]): items is Array<Record<string, unknown> & { id: string }> =>
  items.length > 0 && items.every((item) => isRecord(item) && typeof item.id === 'string');

const isScalarList = (items: unknown[]) => items.every((item) => item === null || typeof item !== 'object');

export function diffValues(before: unknown, after: unknown, options: DiffOptions = {}): DiffEntry[] {
  const ignore = new Set(options.ignore ?? DEFAULT_IGNORE);
  const out: DiffEntry[] = [];
  walk(before, after, '', ignore, out);
  return out;
}

function walk(before: unknown, after: unknown, path: string, ignore: Set<string>, out: DiffEntry[]): void {
  if (equal(before, after)) return;
  if (before === undefined) {
    out.push({ path: path || '(value)', kind: 'added', after });
    return;
  }
  if (after === undefined) {
    out.push({ path: path || '(value)', kind: 'removed', before });
    return;
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) {
      if (ignore.has(key)) continue;
      walk(before[key], after[key], child(path, key), ignore, out);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    // A short list of plain values (tags, condition values) reads best as one line.
    if (isScalarList(before) && isScalarList(after)) {
      out.push({ path: path || '(value)', kind: 'changed', before, after });
      return;
    }
    if (hasIds(before) && hasIds(after)) {
      diffById(before, after, path, ignore, out);
      return;
    }
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) walk(before[i], after[i], `${path}[${i}]`, ignore, out);
    return;
  }
  out.push({ path: path || '(value)', kind: 'changed', before, after });
}

function diffById(before: Array<{ id: string }>, after: Array<{ id: string }>, path: string, ignore: Set<string>, out: DiffEntry[]): void {
  const beforeIndex = new Map(before.map((item, i) => [item.id, i]));
  const afterIds = new Set(after.map((item) => item.id));
  before.forEach((item, i) => {
    if (!afterIds.has(item.id)) out.push({ path: `${path}[${i}]`, kind: 'removed', before: item });
  });
  after.forEach((item, i) => {
    const was = beforeIndex.get(item.id);
    if (was === undefined) {
      out.push({ path: `${path}[${i}]`, kind: 'added', after: item });
      return;
    }
    // Position among the survivors, so deleting rule 0 does not report every later rule as moved.
    const survivorsBefore = before.filter((b) => afterIds.has(b.id)).findIndex((b) => b.id === item.id);
    const survivorsAfter = after.filter((a) => beforeIndex.has(a.id)).findIndex((a) => a.id === item.id);
    if (survivorsBefore !== survivorsAfter) out.push({ path: `${path}[${i}]`, kind: 'moved', before: was + 1, after: i + 1 });
    walk(before[was], item, `${path}[${i}]`, ignore, out);
  });
}

/** A compact one-line rendering of a value for a diff cell. */
export function formatValue(value: unknown, max = 160): string {
  if (value === undefined) return '—';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** How a diff entry reads in a sentence (`rules[0] moved from 2 to 1`). */
export function describeEntry(entry: DiffEntry): string {
  switch (entry.kind) {
    case 'added':
      return `${entry.path} added: ${formatValue(entry.after)}`;
    case 'removed':
      return `${entry.path} removed (was ${formatValue(entry.before)})`;
    case 'moved':
      return `${entry.path} moved from position ${String(entry.before)} to ${String(entry.after)}`;
    case 'changed':
      return `${entry.path}: ${formatValue(entry.before)} → ${formatValue(entry.after)}`;
  }
}
