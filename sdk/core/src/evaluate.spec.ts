import { bucket } from './bucket';
import { compileSnapshot } from './compile';
import { evaluate } from './evaluate';
import type { Condition, EvaluationContext, Serve, Snapshot, SnapshotFlag } from './types';

function flag(overrides: Partial<SnapshotFlag> = {}): SnapshotFlag {
  return {
    key: 'f',
    type: 'string',
    variants: { a: 'A', b: 'B', c: 'C' },
    enabled: true,
    offVariant: 'c',
    rules: [],
    defaultServe: { variant: 'a' },
    version: 1,
    ...overrides,
  };
}

function snapshotOf(...flags: SnapshotFlag[]): Snapshot {
  return {
    environment: 'test',
    version: 3,
    flags: Object.fromEntries(flags.map((f) => [f.key, f])),
    segments: {},
  };
}

function cond(attribute: string, operator: Condition['operator'], values: Condition['values'], extra: Partial<Condition> = {}): Condition {
  return { attribute, operator, values, ...extra };
}

function holds(c: Condition, context: EvaluationContext): boolean {
  const f = flag({ rules: [{ id: 'r', conditions: [c], serve: { variant: 'b' } }] });
  const result = compileSnapshot(snapshotOf(f)).evaluate('f', context);
  expect(result.errorCode).toBeUndefined();
  return result.reason === 'TARGETING_MATCH';
}

describe('CompiledSnapshot', () => {
  it('exposes environment, version, keys, has and flag', () => {
    const f = flag();
    const s = compileSnapshot(snapshotOf(f, flag({ key: 'g' })));
    expect(s.environment).toBe('test');
    expect(s.version).toBe(3);
    expect(s.keys()).toEqual(['f', 'g']);
    expect(s.has('f')).toBe(true);
    expect(s.has('nope')).toBe(false);
    expect(s.flag('f')).toBe(f);
    expect(s.flag('nope')).toBeUndefined();
    expect(s.problems('f')).toEqual([]);
  });

  it('returns the same frozen object for constant outcomes', () => {
    const s = compileSnapshot(snapshotOf(flag({ rules: [{ id: 'r', conditions: [cond('x', 'in', ['1'])], serve: { variant: 'b' } }] })));
    const a = s.evaluate('f', { x: '1' });
    expect(a).toEqual({ value: 'B', variant: 'b', reason: 'TARGETING_MATCH', ruleId: 'r' });
    expect(s.evaluate('f', { x: '1' })).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(s.evaluate('f', {})).toBe(s.evaluate('f', { x: '2' }));
  });

  it('deep-freezes object values so callers cannot change what others receive', () => {
    const variants = { on: { color: 'red', sizes: [1, 2] }, off: {} };
    const s = compileSnapshot(snapshotOf(flag({ type: 'object', variants, offVariant: 'off', defaultServe: { variant: 'on' } })));
    const value = s.evaluate('f', {}).value as { color: string; sizes: number[] };
    expect(value).toEqual({ color: 'red', sizes: [1, 2] });
    expect(Object.isFrozen(value) && Object.isFrozen(value.sizes)).toBe(true);
    expect(() => {
      value.sizes.push(3);
    }).toThrow(TypeError);
    // The input snapshot is left alone.
    expect(Object.isFrozen(variants.on)).toBe(false);
  });

  it('keeps flags independent: one invalid flag does not affect the others', () => {
    const bad = flag({ key: 'bad', defaultServe: { variant: 'zzz' } });
    const s = compileSnapshot(snapshotOf(flag(), bad));
    expect(s.evaluate('f', {}).reason).toBe('DEFAULT');
    expect(s.evaluate('bad', {})).toMatchObject({ reason: 'ERROR', errorCode: 'PARSE_ERROR', value: undefined });
    expect(s.evaluate('bad', {}).errorMessage).toContain('defaultServe.variant: unknown variant "zzz"');
    expect(s.problems('bad')).toEqual([{ path: 'defaultServe.variant', problem: 'unknown variant "zzz" (variants: "a", "b", "c")' }]);
  });

  it('reports a flag listed under a different key as invalid', () => {
    const s = compileSnapshot({ environment: 'e', version: 1, flags: { other: flag() }, segments: {} });
    expect(s.evaluate('other', {}).errorCode).toBe('PARSE_ERROR');
    expect(s.problems('other')[0].path).toBe('key');
  });

  it('tolerates a missing segments map and rejects a snapshot without flags', () => {
    expect(compileSnapshot({ environment: 'e', version: 1, flags: {} } as unknown as Snapshot).keys()).toEqual([]);
    expect(() => compileSnapshot(null as unknown as Snapshot)).toThrow(TypeError);
  });

  it('never throws during evaluation, even for hostile or malformed contexts', () => {
    const f = flag({ rules: [{ id: 'r', conditions: [cond('x', 'in', ['1'])], serve: { variant: 'b' } }] });
    const s = compileSnapshot(snapshotOf(f));
    const hostile = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(s.evaluate('f', hostile as EvaluationContext)).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL', value: undefined });
    expect(s.evaluate('f', null as unknown as EvaluationContext).reason).toBe('DEFAULT');
    expect(s.evaluate('f', 'str' as unknown as EvaluationContext).reason).toBe('DEFAULT');
  });

  it('checks the expected type before anything else except parse errors', () => {
    const s = compileSnapshot(snapshotOf(flag({ enabled: false })));
    expect(s.evaluate('f', {}, 'boolean')).toMatchObject({ errorCode: 'TYPE_MISMATCH', value: undefined });
    expect(s.evaluate('f', {}, 'bool' as never)).toMatchObject({ errorCode: 'TYPE_MISMATCH' });
    expect(s.evaluate('f', {}, 'string').reason).toBe('DISABLED');
  });
});

describe('rollouts', () => {
  const rollout = (onWeight: number): Serve => ({
    rollout: [
      { variant: 'on', weight: onWeight },
      { variant: 'off', weight: 100000 - onWeight },
    ],
    salt: 'exp-1',
  });
  const boolFlag = (serve: Serve): SnapshotFlag =>
    flag({ key: 'ramp', type: 'boolean', variants: { on: true, off: false }, offVariant: 'off', defaultServe: serve });

  it('serves the first variant whose cumulative weight exceeds the bucket', () => {
    const s = compileSnapshot(snapshotOf(boolFlag(rollout(25000))));
    for (let i = 0; i < 2000; i++) {
      const key = `user-${i}`;
      const expected = bucket('ramp', 'exp-1', key) < 25000;
      expect(s.evaluate('ramp', { targetingKey: key })).toEqual({ value: expected, variant: expected ? 'on' : 'off', reason: 'SPLIT' });
    }
  });

  it('keeps users who were in at 10% in when the rollout grows to 20%', () => {
    const at10 = compileSnapshot(snapshotOf(boolFlag(rollout(10000))));
    const at20 = compileSnapshot(snapshotOf(boolFlag(rollout(20000))));
    let on10 = 0;
    let on20 = 0;
    for (let i = 0; i < 20000; i++) {
      const ctx = { targetingKey: `user-${i}` };
      const a = at10.evaluate('ramp', ctx).value;
      const b = at20.evaluate('ramp', ctx).value;
      if (a === true) {
        on10++;
        expect(b).toBe(true);
      }
      if (b === true) on20++;
    }
    expect(on10 / 20000).toBeCloseTo(0.1, 1);
    expect(on20 / 20000).toBeCloseTo(0.2, 1);
  });

  it('buckets by a custom (dotted) attribute and stringifies numbers', () => {
    const serve: Serve = { ...(rollout(50000) as { rollout: never; salt: string }), bucketBy: 'org.id' };
    const s = compileSnapshot(snapshotOf(boolFlag(serve)));
    const expected = bucket('ramp', 'exp-1', '42') < 50000;
    expect(s.evaluate('ramp', { org: { id: 42 } }).value).toBe(expected);
    expect(s.evaluate('ramp', { org: { id: '42' } }).value).toBe(expected);
    expect(s.evaluate('ramp', { targetingKey: 'x' })).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING', value: undefined });
  });

  it.each([[{}], [{ targetingKey: '' }], [{ targetingKey: true }], [{ targetingKey: { id: 1 } }], [{ targetingKey: null }]])(
    'reports TARGETING_KEY_MISSING for %j',
    (ctx) => {
      const s = compileSnapshot(snapshotOf(boolFlag(rollout(50000))));
      expect(s.evaluate('ramp', ctx as EvaluationContext)).toMatchObject({
        value: undefined,
        reason: 'ERROR',
        errorCode: 'TARGETING_KEY_MISSING',
      });
    },
  );

  it('never serves a zero-weight variant', () => {
    const serve: Serve = {
      rollout: [
        { variant: 'a', weight: 0 },
        { variant: 'b', weight: 100000 },
        { variant: 'c', weight: 0 },
      ],
      salt: '',
    };
    const s = compileSnapshot(snapshotOf(flag({ defaultServe: serve })));
    for (let i = 0; i < 1000; i++) expect(s.evaluate('f', { targetingKey: `u${i}` }).variant).toBe('b');
  });
});

describe('conditions', () => {
  it('reads dotted attributes from nested objects only when the literal key is absent', () => {
    const c = cond('user.country', 'in', ['NO']);
    expect(holds(c, { user: { country: 'NO' } })).toBe(true);
    expect(holds(c, { 'user.country': 'NO', user: { country: 'SE' } })).toBe(true);
    expect(holds(c, { 'user.country': 'SE', user: { country: 'NO' } })).toBe(false);
    expect(holds(c, { user: 'NO' })).toBe(false);
    expect(holds(c, { user: null })).toBe(false);
  });

  it('ignores inherited properties', () => {
    expect(holds(cond('constructor', 'contains', ['Object']), {})).toBe(false);
    expect(holds(cond('user.constructor.name', 'in', ['Object']), { user: {} })).toBe(false);
    expect(holds(cond('toString', 'in', ['x'], { negate: true }), {})).toBe(true);
  });

  it('negate inverts the operator result, including for missing attributes', () => {
    expect(holds(cond('x', 'not_in', ['a']), {})).toBe(false);
    expect(holds(cond('x', 'not_in', ['a'], { negate: true }), {})).toBe(true);
    expect(holds(cond('x', 'in', ['a'], { negate: true }), { x: 'a' })).toBe(false);
    expect(holds(cond('x', 'gt', [1], { negate: true }), { x: 'abc' })).toBe(true);
  });

  it('handles arrays for text operators: any element; not_in means no element', () => {
    expect(holds(cond('tags', 'in', ['beta']), { tags: ['alpha', 'beta'] })).toBe(true);
    expect(holds(cond('tags', 'not_in', ['beta']), { tags: ['alpha', 'beta'] })).toBe(false);
    expect(holds(cond('tags', 'not_in', ['beta']), { tags: ['alpha'] })).toBe(true);
    expect(holds(cond('tags', 'not_in', ['beta']), { tags: [] })).toBe(true);
    expect(holds(cond('tags', 'starts_with', ['be'], { caseInsensitive: true }), { tags: [1, 'BEta'] })).toBe(true);
    expect(holds(cond('tags', 'gt', [1]), { tags: [5] })).toBe(false);
  });

  it('stringifies numbers and booleans for text operators', () => {
    expect(holds(cond('n', 'in', [5]), { n: 5 })).toBe(true);
    expect(holds(cond('n', 'in', ['5']), { n: 5 })).toBe(true);
    expect(holds(cond('n', 'in', ['5.0']), { n: 5 })).toBe(false);
    expect(holds(cond('b', 'in', ['true']), { b: true })).toBe(true);
    expect(holds(cond('n', 'starts_with', ['12']), { n: 123 })).toBe(true);
    expect(holds(cond('o', 'in', ['[object Object]']), { o: {} })).toBe(false);
  });

  it('matches only looks at the first 1024 characters', () => {
    const c = cond('s', 'matches', ['x$']);
    expect(holds(c, { s: `${'a'.repeat(1023)}x` })).toBe(true);
    expect(holds(c, { s: `${'a'.repeat(1024)}x` })).toBe(false);
  });

  it('refuses a regex RE2 cannot run: the flag evaluates to PARSE_ERROR', () => {
    const f = flag({ rules: [{ id: 'r', conditions: [cond('s', 'matches', ['^(a)\\1$'])], serve: { variant: 'b' } }] });
    const s = compileSnapshot(snapshotOf(f));
    expect(s.evaluate('f', { s: 'aa' }).errorCode).toBe('PARSE_ERROR');
  });

  it('evaluates catastrophic-backtracking shapes in linear time', () => {
    const f = flag({ rules: [{ id: 'r', conditions: [cond('s', 'matches', ['^a*a*a*a*$', '^(a+)+$'])], serve: { variant: 'b' } }] });
    const s = compileSnapshot(snapshotOf(f));
    const started = performance.now();
    expect(s.evaluate('f', { s: `${'a'.repeat(1023)}b` }).reason).toBe('DEFAULT');
    expect(s.evaluate('f', { s: 'a'.repeat(1023) }).reason).toBe('TARGETING_MATCH');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('compares numbers given as numeric strings, but not other strings', () => {
    expect(holds(cond('n', 'gte', ['10']), { n: '10.0' })).toBe(true);
    expect(holds(cond('n', 'lt', [1e3]), { n: '1e2' })).toBe(true);
    for (const bad of ['', ' ', '0x10', 'Infinity', '1 ', 'NaN']) {
      expect(holds(cond('n', 'lt', [1e9]), { n: bad })).toBe(false);
      expect(holds(cond('n', 'gt', [-1e9]), { n: bad })).toBe(false);
    }
    expect(holds(cond('n', 'gt', [0]), { n: Infinity })).toBe(false);
  });

  it('in_segment holds when any listed segment holds, including segments that use segments', () => {
    const snapshot: Snapshot = {
      environment: 'e',
      version: 1,
      segments: {
        nordics: { key: 'nordics', conditions: [cond('geo.country', 'in', ['NO', 'SE'])] },
        staff: { key: 'staff', conditions: [cond('email', 'ends_with', ['@corp.example'])] },
        'nordic-staff': {
          key: 'nordic-staff',
          conditions: [cond('', 'in_segment', ['nordics']), cond('', 'in_segment', ['staff'])],
        },
        everyone: { key: 'everyone', conditions: [] },
      },
      flags: {
        f: flag({
          rules: [
            { id: 'ns', conditions: [cond('', 'in_segment', ['nordic-staff'])], serve: { variant: 'b' } },
            { id: 'any', conditions: [cond('ignored', 'in_segment', ['staff', 'nordics'])], serve: { variant: 'c' } },
          ],
        }),
        g: flag({ key: 'g', rules: [{ id: 'all', conditions: [cond('', 'in_segment', ['everyone'])], serve: { variant: 'b' } }] }),
      },
    };
    const s = compileSnapshot(snapshot);
    expect(s.evaluate('f', { geo: { country: 'NO' }, email: 'a@corp.example' }).ruleId).toBe('ns');
    expect(s.evaluate('f', { geo: { country: 'DK' }, email: 'a@corp.example' }).ruleId).toBe('any');
    expect(s.evaluate('f', { geo: { country: 'SE' } }).ruleId).toBe('any');
    expect(s.evaluate('f', { geo: { country: 'DK' } }).reason).toBe('DEFAULT');
    expect(s.evaluate('g', {}).ruleId).toBe('all');
  });

  it('turns circular segment references into PARSE_ERROR', () => {
    const snapshot: Snapshot = {
      environment: 'e',
      version: 1,
      segments: {
        a: { key: 'a', conditions: [cond('', 'in_segment', ['b'])] },
        b: { key: 'b', conditions: [cond('', 'in_segment', ['a'])] },
      },
      flags: { f: flag({ rules: [{ id: 'r', conditions: [cond('', 'in_segment', ['a'])], serve: { variant: 'b' } }] }) },
    };
    const s = compileSnapshot(snapshot);
    expect(s.evaluate('f', {}).errorCode).toBe('PARSE_ERROR');
    expect(s.problems('f')[0].problem).toContain('refers back to itself');
  });
});

describe('evaluate (convenience)', () => {
  it('uses the separate environment config when given', () => {
    const def = { key: 'f', type: 'string' as const, variants: { a: 'A', b: 'B' } };
    const env = { enabled: true, offVariant: 'a', rules: [], defaultServe: { variant: 'b' }, version: 1 };
    expect(evaluate(def, env, {})).toEqual({ value: 'B', variant: 'b', reason: 'DEFAULT' });
    expect(evaluate(def, undefined, {})).toMatchObject({ errorCode: 'PARSE_ERROR' });
    expect(evaluate(undefined, env, {}, { flagKey: 'f' })).toMatchObject({ errorCode: 'FLAG_NOT_FOUND', value: undefined });
  });

  it('buckets by options.flagKey when given', () => {
    const serve: Serve = {
      rollout: [
        { variant: 'a', weight: 50000 },
        { variant: 'b', weight: 50000 },
      ],
      salt: 's',
    };
    const f = flag({ key: 'ignored', defaultServe: serve });
    for (let i = 0; i < 200; i++) {
      const expected = bucket('real', 's', `u${i}`) < 50000 ? 'a' : 'b';
      expect(evaluate(f, undefined, { targetingKey: `u${i}` }, { flagKey: 'real' }).variant).toBe(expected);
    }
  });
});
