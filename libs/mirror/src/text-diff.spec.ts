import { StructuredIgnore } from './structured-path';
import { diffText, splitLines, tokenize } from './text-diff';

const none = new StructuredIgnore([]);

describe('diffText', () => {
  it('reports a replaced line under its primary line number with the changed token span', () => {
    const a = splitLines('title\r\nGenerated at 10:00:01 by web-1\nfooter\n');
    const b = splitLines('title\nGenerated at 10:00:02 by web-1\nfooter\n');
    expect(diffText(a, b, { ignore: none })).toEqual([{ field: 'text:line[2]', path: 'text:line[2]:token[9]', kind: 'value', primary: '01', candidate: '02' }]);
  });

  it('aligns inserted and deleted lines instead of blaming every later line', () => {
    const a = ['a', 'b', 'c', 'd', 'e'];
    const b = ['a', 'c', 'd', 'x', 'e', 'f'];
    expect(diffText(a, b, { ignore: none })).toEqual([
      { field: 'text:line[2]', path: 'text:line[2]', kind: 'missing', primary: 'b' },
      { field: 'text:line[5]', path: 'text:line[5]', kind: 'extra', candidate: 'x' },
      { field: 'text:line[6]', path: 'text:line[6]', kind: 'extra', candidate: 'f' },
    ]);
  });

  it('skips ignored lines and gives up (undefined) past the edit budget, in linear time for equal heads and tails', () => {
    expect(diffText(['x', '1'], ['x', '2'], { ignore: new StructuredIgnore(['text:line[2]']) })).toEqual([]);
    const many = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    const shuffled = many.map((line, i) => (i % 2 === 0 ? `${line}!` : line));
    expect(diffText(many, shuffled, { ignore: none, maxEdits: 50 })).toBeUndefined();
    const big = Array.from({ length: 200_000 }, (_, i) => `row ${i}`);
    const bigChanged = [...big];
    bigChanged[100_000] = 'row changed';
    expect(diffText(big, bigChanged, { ignore: none })).toEqual([expect.objectContaining({ field: 'text:line[100001]', kind: 'value' })]);
  });

  it('tokenizes into word runs, space runs and single punctuation', () => {
    expect(tokenize('a1_b  c=d;;é')).toEqual(['a1_b', '  ', 'c', '=', 'd', ';', ';', 'é']);
  });
});
