import { formatField, formatPath, PathPattern, PathPatternError } from './json-path';

describe('PathPattern', () => {
  it.each([
    ['$.timestamp', ['timestamp'], true],
    ['$.timestamp', ['meta', 'timestamp'], false],
    ['$..requestId', ['meta', 'trace', 'requestId'], true],
    ['$..requestId', ['requestId'], true],
    ['$.items[*].id', ['items', 3, 'id'], true],
    ['$.items[*].id', ['items', 'x', 'id'], true],
    ['$.items[2]', ['items', 2], true],
    ['$.items[2]', ['items', 1], false],
    ["$['odd key'].x", ['odd key', 'x'], true],
    ['$.*.id', ['a', 'id'], true],
    ['$', [], true],
    ['$.a', ['a', 'b'], false],
  ])('%s matches %j: %s', (pattern, path, expected) => {
    expect(PathPattern.parse(pattern).matches(path)).toBe(expected);
  });

  it.each(['timestamp', '$.', '$[x]', '$.items[', '$ .a'])('rejects %s', (pattern) => {
    expect(() => PathPattern.parse(pattern)).toThrow(PathPatternError);
  });

  it('formats concrete paths and the fields they are counted under', () => {
    expect(formatPath(['items', 0, 'odd key', 'price'])).toBe('$.items[0]["odd key"].price');
    expect(formatField(['items', 0, 'tags', 12])).toBe('$.items[*].tags[*]');
  });
});
