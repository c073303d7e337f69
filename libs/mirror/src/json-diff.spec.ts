import { diffJson } from './json-diff';
import { PathPatternSet } from './json-path';

const rules = (ignore: string[] = [], unorderedArrays: string[] = []) => ({
  ignore: new PathPatternSet(ignore),
  unorderedArrays: new PathPatternSet(unorderedArrays),
});

describe('diffJson', () => {
  it('finds nothing in equal documents, whatever the key order', () => {
    expect(diffJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }, rules())).toEqual([]);
  });

  it('names each kind of difference by path', () => {
    const primary = { price: 10, currency: 'USD', volume: 5, tags: ['a', 'b'], legs: [1, 2, 3], nested: { ok: true } };
    const candidate = { price: 11, currency: 'USD', volume: '5', tags: ['b', 'a'], legs: [1, 2], nested: { ok: true, extra: 1 }, added: 'x' };
    const differences = diffJson({ ...primary, gone: 1 }, candidate, rules());
    expect(differences).toEqual([
      { field: '$.price', path: '$.price', kind: 'value', primary: 10, candidate: 11 },
      { field: '$.volume', path: '$.volume', kind: 'type', primary: 5, candidate: '5' },
      { field: '$.tags', path: '$.tags', kind: 'order' },
      { field: '$.legs', path: '$.legs', kind: 'length', primary: 3, candidate: 2 },
      { field: '$.nested.extra', path: '$.nested.extra', kind: 'extra', candidate: 1 },
      { field: '$.gone', path: '$.gone', kind: 'missing', primary: 1 },
      { field: '$.added', path: '$.added', kind: 'extra', candidate: 'x' },
    ]);
  });

  it('counts array elements under one field and keeps the concrete path', () => {
    const differences = diffJson({ items: [{ p: 1 }, { p: 2 }] }, { items: [{ p: 1 }, { p: 3 }] }, rules());
    expect(differences).toEqual([{ field: '$.items[*].p', path: '$.items[1].p', kind: 'value', primary: 2, candidate: 3 }]);
  });

  it('treats null against a value as a type difference', () => {
    expect(diffJson({ a: null }, { a: 0 }, rules())[0]).toMatchObject({ path: '$.a', kind: 'type' });
    expect(diffJson([1], { 0: 1 }, rules())[0]).toMatchObject({ path: '$', kind: 'type' });
  });

  it('skips ignored paths, including missing and extra keys and recursive rules', () => {
    const primary = { timestamp: 1, meta: { requestId: 'a', keep: 1 }, items: [{ id: 1, at: 5 }] };
    const candidate = { meta: { requestId: 'b', keep: 2 }, items: [{ id: 1, at: 6 }], timestamp2: 3 };
    const differences = diffJson(primary, candidate, rules(['$.timestamp', '$.timestamp2', '$..requestId', '$.items[*].at']));
    expect(differences.map((d) => d.path)).toEqual(['$.meta.keep']);
  });

  it('compares configured arrays as multisets and reports only the elements that really differ', () => {
    const primary = {
      items: [
        { s: 'A', p: 1 },
        { s: 'B', p: 2 },
        { s: 'C', p: 3 },
      ],
    };
    expect(
      diffJson(
        primary,
        {
          items: [
            { p: 3, s: 'C' },
            { s: 'A', p: 1 },
            { s: 'B', p: 2 },
          ],
        },
        rules([], ['$.items']),
      ),
    ).toEqual([]);
    const changed = diffJson(
      primary,
      {
        items: [
          { s: 'C', p: 3 },
          { s: 'A', p: 1 },
          { s: 'B', p: 9 },
        ],
      },
      rules([], ['$.items']),
    );
    expect(changed).toEqual([{ field: '$.items[*].p', path: '$.items[1].p', kind: 'value', primary: 2, candidate: 9 }]);
  });

  it('reports reordering as order unless the elements differ after ignore rules', () => {
    const primary = {
      rows: [
        { id: 1, ts: 1 },
        { id: 2, ts: 2 },
      ],
    };
    const reordered = {
      rows: [
        { id: 2, ts: 8 },
        { id: 1, ts: 9 },
      ],
    };
    expect(diffJson(primary, reordered, rules(['$.rows[*].ts']))).toEqual([{ field: '$.rows', path: '$.rows', kind: 'order' }]);
  });

  it('stops at the difference budget for wholly different documents', () => {
    const a = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, -i - 1]));
    expect(diffJson(a, b, { ...rules(), maxDifferences: 10 })).toHaveLength(10);
  });
});
