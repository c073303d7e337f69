import { formatField, formatPath, type PathPatternSet, type PathSegment } from './json-path';
import type { DifferenceKind } from './mirror-report.contract';

export { DIFFERENCE_KINDS, type DifferenceKind } from './mirror-report.contract';

/**
 * One difference between the primary's and another response. `field` is what differences are
 * counted under (indices as `[*]`, `header:<name>`, `status`, `body`); `path` is the concrete spot.
 */
export interface Difference {
  field: string;
  path: string;
  kind: DifferenceKind;
  primary?: unknown;
  candidate?: unknown;
}

export interface JsonDiffOptions {
  ignore: PathPatternSet;
  unorderedArrays: PathPatternSet;
  /** A response that differs everywhere says so in this many entries; the rest adds nothing. */
  maxDifferences?: number;
}

type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** Structural diff of two parsed JSON documents, primary first. */
export function diffJson(primary: unknown, candidate: unknown, options: JsonDiffOptions): Difference[] {
  const out: Difference[] = [];
  new JsonDiff(options, out).diff(primary, candidate, []);
  return out;
}

class JsonDiff {
  private readonly limit: number;

  constructor(
    private readonly options: JsonDiffOptions,
    private readonly out: Difference[],
  ) {
    this.limit = options.maxDifferences ?? 100;
  }

  diff(a: unknown, b: unknown, path: PathSegment[]): void {
    if (this.out.length >= this.limit) return;
    if (!this.options.ignore.empty && this.options.ignore.matches(path)) return;
    const ta = typeOf(a);
    const tb = typeOf(b);
    if (ta !== tb) {
      this.push(path, 'type', a, b);
      return;
    }
    if (ta === 'array') {
      this.diffArrays(a as unknown[], b as unknown[], path);
    } else if (ta === 'object') {
      this.diffObjects(a as Record<string, unknown>, b as Record<string, unknown>, path);
    } else if (a !== b) {
      this.push(path, 'value', a, b);
    }
  }

  private diffObjects(a: Record<string, unknown>, b: Record<string, unknown>, path: PathSegment[]): void {
    for (const key of Object.keys(a)) {
      path.push(key);
      if (hasOwn(b, key)) this.diff(a[key], b[key], path);
      else if (!this.ignored(path)) this.push(path, 'missing', a[key], undefined);
      path.pop();
    }
    for (const key of Object.keys(b)) {
      if (hasOwn(a, key)) continue;
      path.push(key);
      if (!this.ignored(path)) this.push(path, 'extra', undefined, b[key]);
      path.pop();
    }
  }

  private diffArrays(a: unknown[], b: unknown[], path: PathSegment[]): void {
    if (a.length !== b.length) {
      // Element-wise diffs after an insertion would blame every later element; the length is the news.
      this.push(path, 'length', a.length, b.length);
      return;
    }
    if (!this.options.unorderedArrays.empty && this.options.unorderedArrays.matches(path)) {
      this.diffUnordered(a, b, path);
      return;
    }
    const start = this.out.length;
    for (let i = 0; i < a.length; i++) {
      path.push(i);
      this.diff(a[i], b[i], path);
      path.pop();
    }
    if (this.out.length > start && this.sameElements(a, b, path)) {
      this.out.length = start;
      this.push(path, 'order', undefined, undefined);
    }
  }

  private diffUnordered(a: unknown[], b: unknown[], path: PathSegment[]): void {
    const keysA = a.map((value, i) => this.canonical(value, [...path, i]));
    const keysB = b.map((value, i) => this.canonical(value, [...path, i]));
    const unmatchedB = new Map<string, number[]>();
    keysB.forEach((key, i) => {
      const list = unmatchedB.get(key);
      if (list) list.push(i);
      else unmatchedB.set(key, [i]);
    });
    const leftoverA: number[] = [];
    keysA.forEach((key, i) => {
      const list = unmatchedB.get(key);
      if (list && list.length > 0) list.shift();
      else leftoverA.push(i);
    });
    const leftoverB = [...unmatchedB.values()].flat().sort((x, y) => x - y);
    // Same length, so the leftovers pair up; each pair is diffed where the primary had it.
    leftoverA.forEach((ia, n) => {
      path.push(ia);
      this.diff(a[ia], b[leftoverB[n]], path);
      path.pop();
    });
  }

  private sameElements(a: unknown[], b: unknown[], path: PathSegment[]): boolean {
    const counts = new Map<string, number>();
    a.forEach((value, i) => {
      const key = this.canonical(value, [...path, i]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
    for (let i = 0; i < b.length; i++) {
      const key = this.canonical(b[i], [...path, i]);
      const n = counts.get(key);
      if (!n) return false;
      counts.set(key, n - 1);
    }
    return true;
  }

  /** Key-sorted serialisation without ignored parts, so equal-but-reordered elements compare equal. */
  private canonical(value: unknown, path: PathSegment[]): string {
    if (!this.options.ignore.empty && this.options.ignore.matches(path)) return '~';
    if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
    if (Array.isArray(value)) {
      const parts = value.map((item, i) => this.canonical(item, [...path, i]));
      if (!this.options.unorderedArrays.empty && this.options.unorderedArrays.matches(path)) parts.sort();
      return `[${parts.join(',')}]`;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${this.canonical(record[key], [...path, key])}`).join(',')}}`;
  }

  private ignored(path: PathSegment[]): boolean {
    return !this.options.ignore.empty && this.options.ignore.matches(path);
  }

  private push(path: PathSegment[], kind: DifferenceKind, primary: unknown, candidate: unknown): void {
    if (this.out.length >= this.limit) return;
    const difference: Difference = { field: formatField(path), path: formatPath(path), kind };
    if (primary !== undefined) difference.primary = primary;
    if (candidate !== undefined) difference.candidate = candidate;
    this.out.push(difference);
  }
}
