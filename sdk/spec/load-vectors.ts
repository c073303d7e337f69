// Loads the conformance vectors for any test suite that evaluates flags (core, SDKs, OFREP).
// Node only (uses fs); import it by relative path from a test.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode, FlagType, Reason, Segment, SnapshotFlag } from '@switchyard/core';

export interface VectorExpectation {
  /** null means "no value": the caller's default is used (error results). */
  value: unknown;
  variant?: string;
  reason: Reason;
  errorCode?: ErrorCode;
  ruleId?: string;
  /** The prerequisite flag that failed (then reason is DISABLED and the variant is the off variant). */
  failedPrerequisite?: string;
}

export interface VectorCase {
  name: string;
  /** Key into the vector's `flags`; may be absent from it (FLAG_NOT_FOUND cases). */
  flag: string;
  context: Record<string, unknown>;
  expectedType?: FlagType;
  expected: VectorExpectation;
  /** The rollout bucket the context falls into, for rollout cases. */
  bucket?: number;
}

export interface Vector {
  /** File name within the vectors directory, e.g. "rollouts.json". */
  file: string;
  description: string;
  segments: Record<string, Segment>;
  flags: Record<string, SnapshotFlag>;
  cases: VectorCase[];
}

export const VECTORS_DIR = join(__dirname, 'vectors');

/** Every `*.json` vector file, sorted by name. Throws on files that do not have the vector shape. */
export function loadVectors(dir: string = VECTORS_DIR): Vector[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<Vector, 'file'>;
      if (typeof parsed.description !== 'string' || typeof parsed.flags !== 'object' || typeof parsed.segments !== 'object' || !Array.isArray(parsed.cases)) {
        throw new Error(`${file}: expected { description, segments, flags, cases }`);
      }
      for (const c of parsed.cases) {
        if (typeof c.name !== 'string' || typeof c.flag !== 'string' || typeof c.expected?.reason !== 'string') {
          throw new Error(`${file}: malformed case ${JSON.stringify(c).slice(0, 120)}`);
        }
      }
      return { file, ...parsed };
    });
}
