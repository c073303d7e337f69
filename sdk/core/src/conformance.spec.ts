// Runs every conformance vector in sdk/spec/vectors through both entry points of the engine.
// The loader is repeated here on purpose (rather than imported from sdk/spec/load-vectors) so
// that this suite reads the raw files itself; the shared loader is checked against it below.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadVectors, type Vector, type VectorCase, type VectorExpectation } from '../../spec/load-vectors';
import { referenceBucket } from '../../spec/reference-bucket';
import { bucket } from './bucket';
import { compileSnapshot } from './compile';
import { evaluate } from './evaluate';
import { OPERATORS, type Condition, type ErrorCode, type EvaluationContext, type EvaluationResult, type Reason, type Serve } from './types';

const VECTORS_DIR = join(__dirname, '..', '..', 'spec', 'vectors');

const vectors: Vector[] = readdirSync(VECTORS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')) as Omit<Vector, 'file'>) }));

function comparable(r: EvaluationResult | VectorExpectation) {
  return {
    value: r.value === undefined ? null : r.value,
    variant: r.variant,
    reason: r.reason,
    errorCode: r.errorCode,
    ruleId: r.ruleId,
    failedPrerequisite: r.failedPrerequisite,
  };
}

function attributeOf(context: Record<string, unknown>, attribute: string): unknown {
  if (Object.prototype.hasOwnProperty.call(context, attribute)) return context[attribute];
  return attribute.split('.').reduce<unknown>((v, part) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined), context);
}

function rolloutServed(vector: Vector, c: VectorCase): Extract<Serve, { rollout: unknown }> {
  const flag = vector.flags[c.flag];
  const serve = c.expected.ruleId === undefined ? flag.defaultServe : flag.rules.find((r) => r.id === c.expected.ruleId)!.serve;
  if (!('rollout' in serve)) throw new Error(`${c.name}: has a bucket but is not served by a rollout`);
  return serve;
}

describe.each(vectors.map((v) => [v.file, v] as const))('%s', (_file, vector) => {
  const compiled = compileSnapshot({ environment: 'conformance', version: 1, flags: vector.flags, segments: vector.segments });

  it.each(vector.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const context = c.context as EvaluationContext;
    const fromSnapshot = compiled.evaluate(c.flag, context, c.expectedType);
    const fromEvaluate = evaluate(vector.flags[c.flag], undefined, context, {
      segments: vector.segments,
      flags: vector.flags,
      expectedType: c.expectedType,
      flagKey: c.flag,
    });
    expect(comparable(fromSnapshot)).toEqual(comparable(c.expected));
    expect(comparable(fromEvaluate)).toEqual(comparable(c.expected));
    if (c.expected.reason === 'ERROR') expect(fromSnapshot.value).toBeUndefined();

    if (c.bucket !== undefined) {
      const serve = rolloutServed(vector, c);
      const value = String(attributeOf(c.context, serve.bucketBy ?? 'targetingKey'));
      expect(bucket(c.flag, serve.salt, value)).toBe(c.bucket);
      expect(referenceBucket(c.flag, serve.salt, value)).toBe(c.bucket);
      let cumulative = 0;
      const chosen = serve.rollout.find((w) => c.bucket! < (cumulative += w.weight));
      expect(chosen?.variant).toBe(c.expected.variant);
    }
  });
});

describe('conformance vectors', () => {
  const allCases = vectors.flatMap((v) => v.cases.map((c) => ({ vector: v, c })));

  it('are plentiful and named uniquely per file', () => {
    expect(allCases.length).toBeGreaterThanOrEqual(150);
    for (const v of vectors) expect(new Set(v.cases.map((c) => c.name)).size).toBe(v.cases.length);
  });

  it('are what the shared loader in sdk/spec returns', () => {
    const shared = loadVectors();
    expect(shared.map((v) => v.file)).toEqual(vectors.map((v) => v.file));
    expect(shared.map((v) => v.cases.length)).toEqual(vectors.map((v) => v.cases.length));
  });

  it('cover every operator with matching and non-matching cases', () => {
    const covered = new Map<string, Set<string>>();
    for (const { vector, c } of allCases) {
      const flag = vector.flags[c.flag];
      if (flag === undefined || c.expected.reason === 'ERROR') continue;
      // Operator files use single-condition rules; attribute the outcome to that operator.
      const rule = flag.rules.length === 1 ? flag.rules[0] : undefined;
      if (rule === undefined || rule.conditions.length !== 1) continue;
      const condition: Condition = rule.conditions[0];
      const outcomes = covered.get(condition.operator) ?? new Set<string>();
      outcomes.add(c.expected.reason === 'TARGETING_MATCH' ? 'match' : 'no match');
      covered.set(condition.operator, outcomes);
    }
    for (const op of OPERATORS) expect([op, [...(covered.get(op) ?? [])].sort()]).toEqual([op, ['match', 'no match']]);
  });

  it('cover every reason and error code that configuration can produce', () => {
    const reasons = new Set<Reason>(allCases.map(({ c }) => c.expected.reason));
    const codes = new Set<ErrorCode | undefined>(allCases.map(({ c }) => c.expected.errorCode));
    for (const r of ['DISABLED', 'TARGETING_MATCH', 'SPLIT', 'DEFAULT', 'ERROR'] as const) expect(reasons).toContain(r);
    for (const e of ['FLAG_NOT_FOUND', 'TYPE_MISMATCH', 'TARGETING_KEY_MISSING', 'PARSE_ERROR'] as const) expect(codes).toContain(e);
  });

  it('include rollout cases exactly on both sides of every boundary they test', () => {
    const boundaryCases = allCases.filter(({ c }) => c.bucket !== undefined);
    expect(boundaryCases.length).toBeGreaterThan(10);
    for (const w of [25000, 50000, 80000, 10000]) {
      expect(boundaryCases.some(({ c }) => c.bucket === w - 1)).toBe(true);
      expect(boundaryCases.some(({ c }) => c.bucket === w)).toBe(true);
    }
  });
});
