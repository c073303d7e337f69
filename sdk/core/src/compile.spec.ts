import { validateFlagConfig, validateSegment } from './compile';
import type { EnvironmentConfig, FlagDefinition, Segment } from './types';

const def: FlagDefinition = { key: 'checkout', type: 'string', variants: { red: 'R', green: 'G' } };

function env(overrides: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return { enabled: true, offVariant: 'red', rules: [], defaultServe: { variant: 'green' }, version: 1, ...overrides };
}

const segments: Record<string, Segment> = {
  beta: { key: 'beta', conditions: [{ attribute: 'plan', operator: 'in', values: ['beta'] }] },
  broken: { key: 'broken', conditions: [{ attribute: 'x', operator: 'like' as never, values: ['a'] }] },
};

function problems(e: unknown, d: unknown = def, segs: Record<string, Segment> | ((k: string) => boolean) = segments) {
  return validateFlagConfig(d as FlagDefinition, e as EnvironmentConfig, segs);
}

describe('validateFlagConfig', () => {
  it('accepts a valid configuration', () => {
    expect(
      problems(
        env({
          rules: [
            {
              id: 'r1',
              conditions: [
                { attribute: 'country', operator: 'in', values: ['NO', 'SE'], caseInsensitive: true },
                { attribute: '', operator: 'in_segment', values: ['beta'], negate: true },
                { attribute: 'age', operator: 'gte', values: [18] },
                { attribute: 'signup', operator: 'before', values: ['2025-01-01T00:00:00Z'] },
                { attribute: 'app.version', operator: 'semver_gt', values: ['v2.0.0-rc.1'] },
                { attribute: 'email', operator: 'matches', values: ['@example\\.com$'] },
              ],
              serve: {
                rollout: [
                  { variant: 'red', weight: 30000 },
                  { variant: 'green', weight: 70000 },
                ],
                salt: 'x',
              },
            },
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('reports unknown variants everywhere they can appear', () => {
    expect(
      problems(
        env({
          offVariant: 'blue',
          defaultServe: { variant: 'blue' },
          rules: [
            { id: 'r', conditions: [], serve: { variant: 'blue' } },
            { id: 's', conditions: [], serve: { rollout: [{ variant: 'blue', weight: 100000 }], salt: '' } },
          ],
        }),
      ),
    ).toEqual([
      { path: 'offVariant', problem: 'unknown variant "blue" (variants: "red", "green")' },
      { path: 'rules[0].serve.variant', problem: 'unknown variant "blue" (variants: "red", "green")' },
      { path: 'rules[1].serve.rollout[0].variant', problem: 'unknown variant "blue" (variants: "red", "green")' },
      { path: 'defaultServe.variant', problem: 'unknown variant "blue" (variants: "red", "green")' },
    ]);
  });

  it('reports rollout weight problems', () => {
    const rollout = (weights: unknown[]) => ({
      rollout: weights.map((weight, i) => ({ variant: i % 2 ? 'red' : 'green', weight })),
      salt: 's',
    });
    expect(problems(env({ rules: [{ id: 'a', conditions: [], serve: rollout([50000, 40000]) as never }] }))).toEqual([
      { path: 'rules[0].serve.rollout', problem: 'weights must sum to 100000 (got 90000)' },
    ]);
    expect(problems(env({ defaultServe: rollout([50000, 50000.5]) as never }))[0]).toEqual({
      path: 'defaultServe.rollout[1].weight',
      problem: 'must be a non-negative integer (thousandths of a percent, 100000 = 100%)',
    });
    expect(problems(env({ defaultServe: rollout([-1, 100001]) as never }))[0].path).toBe('defaultServe.rollout[0].weight');
    expect(problems(env({ defaultServe: { rollout: [], salt: 's' } }))[0].path).toBe('defaultServe.rollout');
    expect(problems(env({ defaultServe: { rollout: [{ variant: 'red', weight: 100000 }] } as never }))).toEqual([
      { path: 'defaultServe.salt', problem: 'must be a string' },
    ]);
    expect(problems(env({ defaultServe: { rollout: [{ variant: 'red', weight: 100000 }], salt: 's', bucketBy: '' } }))).toEqual([
      { path: 'defaultServe.bucketBy', problem: 'must be a non-empty attribute name' },
    ]);
    expect(problems(env({ defaultServe: { variant: 'red', rollout: [] } as never }))).toEqual([
      { path: 'defaultServe', problem: 'must have exactly one of variant or rollout' },
    ]);
  });

  it('reports condition problems with precise paths', () => {
    const rules = [
      {
        id: 'r',
        conditions: [
          { attribute: 'a', operator: 'like', values: ['x'] },
          { attribute: 'a', operator: 'gt', values: ['ten'] },
          { attribute: 'a', operator: 'matches', values: ['ok', '(a)\\1'] },
          { attribute: '', operator: 'in_segment', values: ['nope'] },
          { attribute: '', operator: 'in', values: ['x'] },
          { attribute: 'a', operator: 'in', values: [] },
          { attribute: 'a', operator: 'lt', values: [1], caseInsensitive: true },
          { attribute: 'a', operator: 'before', values: ['yesterday'] },
          { attribute: 'a', operator: 'semver_eq', values: ['1.0'] },
          { attribute: 'a', operator: 'eq', values: [1, 2] },
          { attribute: 'a', operator: 'in', values: [{}] },
          { attribute: '', operator: 'in_segment', values: ['broken'] },
          { attribute: 'a', operator: 'in', values: ['x'], negate: 'yes' },
        ],
        serve: { variant: 'red' },
      },
    ];
    const c = (i: number) => `rules[0].conditions[${i}]`;
    expect(problems(env({ rules: rules as never }))).toEqual([
      {
        path: `${c(0)}.operator`,
        problem:
          'must be one of in, not_in, contains, starts_with, ends_with, matches, eq, lt, lte, gt, gte, before, after, semver_eq, semver_lt, semver_gt, in_segment',
      },
      { path: `${c(1)}.values[0]`, problem: 'must be a number' },
      { path: `${c(2)}.values[1]`, problem: 'regex is not allowed: backreferences are not supported (RE2 matches in linear time and cannot express them)' },
      { path: `${c(3)}.values[0]`, problem: 'unknown segment "nope"' },
      { path: `${c(4)}.attribute`, problem: 'must be a non-empty attribute name' },
      { path: `${c(5)}.values`, problem: 'must be a non-empty array' },
      { path: `${c(6)}.caseInsensitive`, problem: 'only applies to the operators in, not_in, contains, starts_with, ends_with, matches' },
      { path: `${c(7)}.values[0]`, problem: 'must be an ISO-8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z' },
      { path: `${c(8)}.values[0]`, problem: 'must be a valid semantic version such as 1.2.3' },
      { path: `${c(9)}.values`, problem: 'must contain exactly one value for eq' },
      { path: `${c(10)}.values[0]`, problem: 'must be a string or number' },
      {
        path: `${c(11)}.values[0]`,
        problem: expect.stringMatching(/^segment "broken" is invalid: conditions\[0\]\.operator: must be one of in, /),
      },
      { path: `${c(12)}.negate`, problem: 'must be a boolean' },
    ]);
  });

  it('checks segment existence with a predicate', () => {
    const e = env({ rules: [{ id: 'r', conditions: [{ attribute: '', operator: 'in_segment', values: ['beta', 'gamma'] }], serve: { variant: 'red' } }] });
    expect(problems(e, def, (k) => k === 'beta')).toEqual([{ path: 'rules[0].conditions[0].values[1]', problem: 'unknown segment "gamma"' }]);
  });

  it('checks rule ids and flag-level fields', () => {
    expect(
      problems(
        env({
          enabled: 'yes' as never,
          rules: [
            { id: 'x', conditions: [], serve: { variant: 'red' } },
            { id: 'x', conditions: [], serve: { variant: 'red' } },
            { id: '', conditions: 'all' as never, serve: { variant: 'red' } },
          ],
        }),
      ),
    ).toEqual([
      { path: 'enabled', problem: 'must be a boolean' },
      { path: 'rules[1].id', problem: 'duplicate rule id "x"' },
      { path: 'rules[2].id', problem: 'must be a non-empty string' },
      { path: 'rules[2].conditions', problem: 'must be an array of conditions' },
    ]);
    expect(problems(env(), { key: 'k', type: 'bool', variants: { on: true } })).toEqual([
      { path: 'type', problem: 'must be one of boolean, string, number, object' },
      { path: 'offVariant', problem: 'unknown variant "red" (variants: "on")' },
      { path: 'defaultServe.variant', problem: 'unknown variant "green" (variants: "on")' },
    ]);
    expect(problems(env(), { key: '', type: 'string', variants: {} })).toEqual([
      { path: 'key', problem: 'must be a non-empty string' },
      { path: 'variants', problem: 'must define at least one variant' },
      { path: 'offVariant', problem: 'unknown variant "red" (variants: none)' },
      { path: 'defaultServe.variant', problem: 'unknown variant "green" (variants: none)' },
    ]);
  });

  it.each([
    ['boolean', { on: true, off: 'false' }, 'variants.off', 'must be a boolean (the flag type is boolean)'],
    ['string', { red: 'R', green: 1 }, 'variants.green', 'must be a string (the flag type is string)'],
    ['number', { red: 1, green: NaN }, 'variants.green', 'must be a finite number (the flag type is number)'],
    ['object', { red: {}, green: 'x' }, 'variants.green', 'must be a JSON object or array (the flag type is object)'],
    ['object', { red: {}, green: { when: new Date(0) } }, 'variants.green.when', 'must be a JSON value'],
    ['object', { red: {}, 'green light': { n: Infinity } }, 'variants["green light"].n', 'must be a finite number'],
  ])('checks %s variant values', (type, variants, path, problem) => {
    const first = Object.keys(variants)[0];
    const e = env({ offVariant: first, defaultServe: { variant: first } });
    const d = { key: 'k', type, variants };
    expect(problems(e, d)).toEqual([{ path, problem }]);
  });

  it('never throws, even for garbage', () => {
    expect(problems(null, null)).toEqual([{ path: '', problem: 'flag must be an object' }]);
    expect(problems(undefined)).toEqual([{ path: 'environment', problem: 'missing environment configuration (enabled, offVariant, rules, defaultServe)' }]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(problems(env({ offVariant: 'a', defaultServe: { variant: 'a' } }), { key: 'k', type: 'object', variants: { a: cyclic } })[0].problem).toContain(
      'nested deeper than 64 levels',
    );
  });
});

describe('validateSegment', () => {
  it('accepts a valid segment and reports problems relative to it', () => {
    expect(validateSegment(segments.beta, segments)).toEqual([]);
    expect(validateSegment({ key: 'x', conditions: [{ attribute: 'a', operator: 'gt', values: ['?'] }] })).toEqual([
      { path: 'conditions[0].values[0]', problem: 'must be a number' },
    ]);
  });

  it('detects self references and cycles through other segments', () => {
    const self: Segment = { key: 's', conditions: [{ attribute: '', operator: 'in_segment', values: ['s'] }] };
    expect(validateSegment(self, {})[0].problem).toBe('segment "s" refers back to itself through in_segment');
    const others: Record<string, Segment> = {
      t: { key: 't', conditions: [{ attribute: '', operator: 'in_segment', values: ['s'] }] },
    };
    const s: Segment = { key: 's', conditions: [{ attribute: '', operator: 'in_segment', values: ['t'] }] };
    expect(validateSegment(s, others)[0].problem).toContain('refers back to itself');
    expect(validateSegment(s, (k) => k === 't')).toEqual([]);
    expect(validateSegment({ key: '', conditions: [] })).toEqual([{ path: 'key', problem: 'must be a non-empty string' }]);
  });
});
