import type { Prerequisite } from '@switchyard/core';
import type { FlagView } from './flag.types';
import { assertNoDependants, assertPrerequisiteGraph, prerequisiteReferenceProblems, removedVariantProblems } from './prerequisites';

function flag(key: string, prerequisites: Record<string, Prerequisite[]> = {}, extra: Partial<FlagView> = {}): FlagView {
  const environments: FlagView['environments'] = {};
  for (const env of ['development', 'production']) {
    environments[env] = {
      enabled: true,
      offVariant: 'off',
      rules: [],
      defaultServe: { variant: 'on' },
      version: 1,
      updatedAt: '2026-01-01T00:00:00.000Z',
      ...(prerequisites[env] ? { prerequisites: prerequisites[env] } : {}),
    };
  }
  return {
    key,
    name: key,
    description: '',
    tags: [],
    clientSide: false,
    owner: null,
    type: 'boolean',
    variants: { on: true, off: false },
    variantDescriptions: {},
    archived: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    environments,
    ...extra,
  };
}

const on = (key: string): Prerequisite[] => [{ flag: key, variants: ['on'] }];
const byKey = (...flags: FlagView[]) => new Map(flags.map((f) => [f.key, f]));
const config = (prerequisites: Prerequisite[]) => ({ enabled: true, offVariant: 'off', rules: [], defaultServe: { variant: 'on' }, prerequisites });

function refusal(run: () => void): { code?: string; message?: string } {
  try {
    run();
    return {};
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
}

describe('prerequisite checks', () => {
  it('names the field of a missing or archived flag and of an unknown variant', () => {
    const flags = byKey(flag('a'), flag('gone', {}, { archived: true }));
    expect(
      prerequisiteReferenceProblems(
        [
          { flag: 'nope', variants: ['on'] },
          { flag: 'gone', variants: ['on'] },
          { flag: 'a', variants: ['on', 'blue'] },
        ],
        flags,
        'environments.production.',
      ),
    ).toEqual([
      { path: 'environments.production.prerequisites[0].flag', problem: 'no flag "nope" exists' },
      { path: 'environments.production.prerequisites[1].flag', problem: 'flag "gone" is archived' },
      { path: 'environments.production.prerequisites[2].variants[1]', problem: 'flag "a" has no variant "blue" (variants: "on", "off")' },
    ]);
  });

  it('refuses a cycle with its path, per environment', () => {
    const flags = byKey(flag('a'), flag('b', { production: on('c') }), flag('c', { production: on('a') }));
    expect(refusal(() => assertPrerequisiteGraph('a', 'production', config(on('b')), flags, 'prerequisites'))).toEqual({
      code: 'PREREQUISITE_CYCLE',
      message: 'prerequisites in production would form a cycle: a → b → c → a',
    });
    expect(refusal(() => assertPrerequisiteGraph('a', 'development', config(on('b')), flags, 'prerequisites'))).toEqual({});
  });

  it('ignores archived flags, which are not in any snapshot', () => {
    const flags = byKey(flag('a'), flag('b', { production: on('a') }, { archived: true }));
    expect(refusal(() => assertPrerequisiteGraph('a', 'production', config(on('b')), flags, 'prerequisites'))).toEqual({});
  });

  it('counts the links above and below the flag against the depth limit', () => {
    // x0 → x1 → … → x5 (dependants of m, above) and m → y0 → … → y4 (below): 6 + 5 = 11 links.
    const above = Array.from({ length: 6 }, (_, i) => flag(`x${i}`, { production: on(i === 5 ? 'm' : `x${i + 1}`) }));
    const below = Array.from({ length: 5 }, (_, i) => flag(`y${i}`, { production: i === 4 ? [] : on(`y${i + 1}`) }));
    const flags = byKey(...above, ...below, flag('m'));
    const tooDeep = refusal(() => assertPrerequisiteGraph('m', 'production', config(on('y0')), flags, 'prerequisites'));
    expect(tooDeep.code).toBe('PREREQUISITE_CYCLE');
    expect(tooDeep.message).toBe(
      'prerequisites in production would make a chain of 11 prerequisite links (at most 10): x0 → x1 → x2 → x3 → x4 → x5 → m → y0 → y1 → y2 → y3 → y4',
    );
    expect(refusal(() => assertPrerequisiteGraph('m', 'production', config(on('y1')), flags, 'prerequisites'))).toEqual({});
  });

  it('does not loop on stored data that already holds a cycle elsewhere', () => {
    const flags = byKey(flag('a'), flag('p', { production: on('q') }), flag('q', { production: on('p') }));
    expect(refusal(() => assertPrerequisiteGraph('a', 'production', config(on('p')), flags, 'prerequisites'))).toEqual({});
  });

  it('refuses archiving a flag with dependants and dropping a variant they list, naming them', () => {
    const flags = [
      flag('a'),
      flag('b', { production: on('a'), development: [{ flag: 'a', variants: ['off'] }] }),
      flag('z', { production: on('a') }, { archived: true }),
    ];
    expect(refusal(() => assertNoDependants('a', flags))).toEqual({
      code: 'CONFLICT',
      message: 'flag "a" is a prerequisite of b; remove it from their prerequisites first',
    });
    expect(refusal(() => assertNoDependants('b', flags))).toEqual({});
    expect(removedVariantProblems('a', { on: true }, flags)).toEqual([
      { path: 'variants.off', problem: 'is listed by flag "b" as a prerequisite variant in development' },
    ]);
  });
});
