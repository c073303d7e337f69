import {
  compileSnapshot,
  type CompiledSnapshot,
  type EvaluationContext,
  type EvaluationResult,
  type FlagType,
  type Segment,
  type Snapshot,
  type SnapshotFlag,
} from '@switchyard/core';

/** The data of an SSE `change` event or a Redis change message; `null` means deleted. */
export interface SnapshotChange {
  environment: string;
  version: number;
  previousVersion: number;
  flags: Record<string, SnapshotFlag | null>;
  segments: Record<string, Segment | null>;
  /** Redis only: "refetch the snapshot key". */
  full: boolean;
}

type Table<T> = Record<string, T>;

const MAX_COMPARE_DEPTH = 64;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Null-prototype tables: a flag or segment called "__proto__" or "constructor" is just a key.
function table<T>(source: Record<string, unknown> | undefined): Table<T> {
  const out = Object.create(null) as Table<T>;
  if (source !== undefined) for (const key of Object.keys(source)) out[key] = source[key] as T;
  return out;
}

/** Checks the outer shape of a snapshot from the wire or a file; flags themselves are checked by the compiler. */
export function asSnapshot(value: unknown): Snapshot | undefined {
  if (!isRecord(value) || !isRecord(value.flags)) return undefined;
  if (typeof value.version !== 'number' || !Number.isFinite(value.version)) return undefined;
  if (value.segments !== undefined && !isRecord(value.segments)) return undefined;
  return {
    environment: typeof value.environment === 'string' ? value.environment : '',
    version: value.version,
    flags: value.flags as Table<SnapshotFlag>,
    segments: (value.segments ?? {}) as Table<Segment>,
  };
}

export function asChange(value: unknown): SnapshotChange | undefined {
  if (!isRecord(value)) return undefined;
  const full = value.full === true;
  if (typeof value.version !== 'number' && !full) return undefined;
  if (value.flags !== undefined && !isRecord(value.flags)) return undefined;
  if (value.segments !== undefined && !isRecord(value.segments)) return undefined;
  return {
    environment: typeof value.environment === 'string' ? value.environment : '',
    version: typeof value.version === 'number' ? value.version : NaN,
    previousVersion: typeof value.previousVersion === 'number' ? value.previousVersion : NaN,
    flags: (value.flags ?? {}) as Table<SnapshotFlag | null>,
    segments: (value.segments ?? {}) as Table<Segment | null>,
    full,
  };
}

/** Structural equality of two JSON values (key order ignored). */
export function sameJson(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (depth > MAX_COMPARE_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/** The segment keys that `in_segment` conditions in a list of conditions refer to. */
function segmentRefs(conditions: unknown, into: (key: string) => boolean): boolean {
  if (!Array.isArray(conditions)) return false;
  for (const c of conditions) {
    if (!isRecord(c) || c.operator !== 'in_segment' || !Array.isArray(c.values)) continue;
    for (const v of c.values) if (typeof v === 'string' && into(v)) return true;
  }
  return false;
}

function flagUsesAny(flag: unknown, segments: ReadonlySet<string>): boolean {
  if (!isRecord(flag) || !Array.isArray(flag.rules)) return false;
  const hit = (key: string) => segments.has(key);
  for (const rule of flag.rules) if (isRecord(rule) && segmentRefs(rule.conditions, hit)) return true;
  return false;
}

/** Changed segments plus every segment that reaches one of them through `in_segment`. */
function segmentClosure(changed: Set<string>, segments: Table<Segment>): Set<string> {
  const out = new Set(changed);
  let grew = true;
  while (grew) {
    grew = false;
    for (const key of Object.keys(segments)) {
      if (out.has(key)) continue;
      if (segmentRefs((segments[key] as unknown as Record<string, unknown> | undefined)?.conditions, (k) => out.has(k))) {
        out.add(key);
        grew = true;
      }
    }
  }
  return out;
}

function notFound(key: string): EvaluationResult {
  return Object.freeze({ value: undefined, reason: 'ERROR' as const, errorCode: 'FLAG_NOT_FOUND' as const, errorMessage: `flag "${key}" not found` });
}

/**
 * The flags the client evaluates, kept current by full snapshots and deltas.
 *
 * A full snapshot is compiled at once. A delta that touches only flags is compiled into a small
 * overlay consulted before the base, so a change to one flag of ten thousand costs one flag's
 * compilation instead of blocking the event loop for a whole-snapshot compile; the overlay is
 * folded into a fresh base once it grows past an eighth of the base. Segment changes can affect
 * any flag, so they recompile everything.
 */
export class LiveSnapshot {
  environment: string;
  version: number;
  private flags: Table<SnapshotFlag>;
  private segments: Table<Segment>;
  private base: CompiledSnapshot;
  private overlay: CompiledSnapshot | null = null;
  private overlayFlags: Table<SnapshotFlag> = table(undefined);
  private overlaySize = 0;
  private readonly removed = new Set<string>();
  private patched = false;
  private count: number;

  constructor(snapshot: Snapshot) {
    this.environment = snapshot.environment;
    this.version = snapshot.version;
    this.flags = table(snapshot.flags);
    this.segments = table(snapshot.segments);
    this.count = Object.keys(this.flags).length;
    this.base = this.compileAll();
  }

  get size(): number {
    return this.count;
  }

  evaluate(key: string, context: EvaluationContext, expectedType: FlagType): EvaluationResult {
    if (this.patched) {
      const overlay = this.overlay;
      if (overlay !== null && overlay.has(key)) return overlay.evaluate(key, context, expectedType);
      if (this.removed.has(key)) return notFound(key);
    }
    return this.base.evaluate(key, context, expectedType);
  }

  flag(key: string): SnapshotFlag | undefined {
    return this.flags[key];
  }

  keys(): string[] {
    return Object.keys(this.flags);
  }

  /** The current state as a snapshot (sharing this object's tables: serialise it right away). */
  toSnapshot(): Snapshot {
    return { environment: this.environment, version: this.version, flags: this.flags, segments: this.segments };
  }

  /** Replaces everything; returns the keys of flags whose definition or segments differ. */
  replace(snapshot: Snapshot): string[] {
    const flags = table<SnapshotFlag>(snapshot.flags);
    const segments = table<Segment>(snapshot.segments);
    const keys = new Set<string>();
    for (const key of Object.keys(this.flags)) if (!(key in flags) || !sameJson(this.flags[key], flags[key])) keys.add(key);
    for (const key of Object.keys(flags)) if (!(key in this.flags)) keys.add(key);
    const changedSegments = new Set<string>();
    for (const key of Object.keys(this.segments)) if (!(key in segments) || !sameJson(this.segments[key], segments[key])) changedSegments.add(key);
    for (const key of Object.keys(segments)) if (!(key in this.segments)) changedSegments.add(key);
    if (changedSegments.size > 0) {
      const affected = segmentClosure(changedSegments, segments);
      for (const key of Object.keys(flags)) if (!keys.has(key) && flagUsesAny(flags[key], affected)) keys.add(key);
    }
    this.environment = snapshot.environment;
    this.version = snapshot.version;
    this.flags = flags;
    this.segments = segments;
    this.count = Object.keys(flags).length;
    this.base = this.compileAll();
    return Array.from(keys);
  }

  /**
   * Applies a delta. Returns the changed keys, an empty list for a delta this state already
   * includes, or `undefined` when the delta does not follow this version (something was missed,
   * and the caller must fetch a full snapshot).
   */
  applyChange(change: SnapshotChange): string[] | undefined {
    if (change.version <= this.version) return [];
    if (change.previousVersion !== this.version) return undefined;
    const keys = new Set<string>();
    const changedSegments = new Set<string>();
    for (const key of Object.keys(change.segments)) {
      const segment = change.segments[key];
      if (segment === null) delete this.segments[key];
      else this.segments[key] = segment;
      changedSegments.add(key);
    }
    for (const key of Object.keys(change.flags)) {
      const flag = change.flags[key];
      keys.add(key);
      if (flag === null) {
        if (key in this.flags) this.count--;
        delete this.flags[key];
        if (key in this.overlayFlags) {
          delete this.overlayFlags[key];
          this.overlaySize--;
        }
        this.removed.add(key);
      } else {
        if (!(key in this.flags)) this.count++;
        this.flags[key] = flag;
        if (!(key in this.overlayFlags)) this.overlaySize++;
        this.overlayFlags[key] = flag;
        this.removed.delete(key);
      }
    }
    this.version = change.version;
    if (changedSegments.size > 0) {
      const affected = segmentClosure(changedSegments, this.segments);
      for (const key of Object.keys(this.flags)) if (!keys.has(key) && flagUsesAny(this.flags[key], affected)) keys.add(key);
      this.base = this.compileAll();
    } else if (this.overlaySize > Math.max(32, this.size >> 3)) {
      this.base = this.compileAll();
    } else if (keys.size > 0) {
      this.overlay =
        this.overlaySize > 0
          ? compileSnapshot({ environment: this.environment, version: this.version, flags: this.overlayFlags, segments: this.segments })
          : null;
      this.patched = true;
    }
    return Array.from(keys);
  }

  private compileAll(): CompiledSnapshot {
    this.overlay = null;
    this.overlayFlags = table(undefined);
    this.overlaySize = 0;
    this.removed.clear();
    this.patched = false;
    return compileSnapshot({ environment: this.environment, version: this.version, flags: this.flags, segments: this.segments });
  }
}
