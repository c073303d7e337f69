import { describeEntry, diffValues, formatValue } from './diff.model';

describe('before/after diff', () => {
  it('names each changed leaf by its API path', () => {
    const before = { enabled: false, offVariant: 'off', defaultServe: { variant: 'on' }, updatedAt: '1' };
    const after = { enabled: true, offVariant: 'off', defaultServe: { rollout: [{ variant: 'on', weight: 30000 }], salt: 'x' }, updatedAt: '2' };
    expect(diffValues(before, after)).toEqual([
      { path: 'enabled', kind: 'changed', before: false, after: true },
      { path: 'defaultServe.variant', kind: 'removed', before: 'on' },
      { path: 'defaultServe.rollout', kind: 'added', after: [{ variant: 'on', weight: 30000 }] },
      { path: 'defaultServe.salt', kind: 'added', after: 'x' },
    ]);
  });

  it('reports nothing for equal values and whole values when one side is missing', () => {
    expect(diffValues({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
    expect(diffValues(null, { enabled: true })).toEqual([{ path: '(value)', kind: 'changed', before: null, after: { enabled: true } }]);
    expect(diffValues(undefined, { enabled: true })).toEqual([{ path: '(value)', kind: 'added', after: { enabled: true } }]);
  });

  it('shows lists of plain values as one change', () => {
    expect(diffValues({ tags: ['a', 'b'] }, { tags: ['a', 'c'] })).toEqual([{ path: 'tags', kind: 'changed', before: ['a', 'b'], after: ['a', 'c'] }]);
  });

  it('matches rules by id so a reorder reads as a move', () => {
    const r1 = { id: 'r1', conditions: [], serve: { variant: 'on' } };
    const r2 = { id: 'r2', conditions: [], serve: { variant: 'off' } };
    const r3 = { id: 'r3', conditions: [], serve: { variant: 'off' } };
    expect(diffValues({ rules: [r1, r2] }, { rules: [r2, r1] })).toEqual([
      { path: 'rules[0]', kind: 'moved', before: 2, after: 1 },
      { path: 'rules[1]', kind: 'moved', before: 1, after: 2 },
    ]);
    expect(diffValues({ rules: [r1, r2] }, { rules: [r2, { ...r3 }] })).toEqual([
      { path: 'rules[0]', kind: 'removed', before: r1 },
      { path: 'rules[1]', kind: 'added', after: r3 },
    ]);
    expect(diffValues({ rules: [r1] }, { rules: [{ ...r1, serve: { variant: 'off' } }] })).toEqual([
      { path: 'rules[0].serve.variant', kind: 'changed', before: 'on', after: 'off' },
    ]);
  });

  it('quotes keys that are not identifiers', () => {
    expect(diffValues({ variants: { 'dark mode': 1 } }, { variants: { 'dark mode': 2 } })[0].path).toBe('variants["dark mode"]');
  });

  it('reads entries as sentences', () => {
    expect(describeEntry({ path: 'enabled', kind: 'changed', before: false, after: true })).toBe('enabled: false → true');
    expect(describeEntry({ path: 'rules[0]', kind: 'moved', before: 2, after: 1 })).toBe('rules[0] moved from position 2 to 1');
    expect(formatValue('x'.repeat(200), 10)).toBe('"xxxxxxxx…');
  });
});
