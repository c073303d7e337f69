import { MAX_JSON_DEPTH, jsonDepthExceeds, nulCharacterPath } from './hostile-input';

describe('jsonDepthExceeds', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('counts nesting up to the limit and no further', () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonDepthExceeds(Buffer.from(`{"a":${nested(3)}}`), 3)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(JSON.stringify({ a: '[[[[{{{{', b: 'say \\"[[[[' }), 2)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify(['é[', '"{{']), 1)).toBe(false);
  });

  it('scans a million levels without recursing', () => {
    expect(jsonDepthExceeds(nested(1_000_000))).toBe(true);
  });
});

describe('nulCharacterPath', () => {
  it('names the first string or key holding a NUL character', () => {
    expect(nulCharacterPath({ name: 'ok', rules: [{ conditions: [{ values: ['x', 'y\0'] }] }] })).toBe('rules[0].conditions[0].values[1]');
    expect(nulCharacterPath({ variants: { 'a\0': 1 } })).toBe('variants.a\\0');
    expect(nulCharacterPath('raw\0')).toBe('(body)');
    expect(nulCharacterPath({ actor: 'x\0' })).toBe('actor');
  });

  it('is undefined for clean input of any type', () => {
    for (const value of [undefined, null, 3, true, 'text', ['a'], { a: { b: [1, 'c'] } }]) expect(nulCharacterPath(value)).toBeUndefined();
  });
});
