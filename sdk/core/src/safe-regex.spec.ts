import { checkRegex, compileRegex, MAX_MATCH_INPUT_LENGTH, MAX_REGEX_LENGTH, type FlagRegex } from './safe-regex';

function compiled(pattern: string, caseInsensitive = false): FlagRegex {
  const re = compileRegex(pattern, caseInsensitive);
  if (typeof re === 'string') throw new Error(`${pattern}: ${re}`);
  return re;
}

describe('checkRegex', () => {
  it.each([
    '',
    '^abc$',
    '@example\\.com$',
    '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$',
    '^(?:foo)+$',
    '^(ab)*c$',
    '^(?<prefix>[a-z]+)-\\d+$',
    '^(com|org)?$',
    'a|b|c',
    '[(+*)]+',
    '\\(a+\\)+',
    '^\\d{3}-\\d{4}$',
    'a{,3}+',
    '\\0',
    'x{',
    '[]a',
    '[^]*',
    '\\u00e9',
    '[(?=x)]',
    // Shapes that make a backtracking engine explode are fine for RE2.
    '(a+)+',
    '(a|aa)+',
    '^a*a*a*a*$',
    '(\\w+\\s?)*$',
  ])('accepts %j', (pattern) => {
    expect(checkRegex(pattern)).toBeUndefined();
  });

  it.each([
    ['(a)\\1', 'backreferences are not supported'],
    ['(?<x>a)\\k<x>', 'backreferences are not supported'],
    ['foo(?=bar)', 'lookahead is not supported'],
    ['foo(?!bar)', 'lookahead is not supported'],
    ['(?<=foo)bar', 'lookbehind is not supported'],
    ['(?<!foo)bar', 'lookbehind is not supported'],
    ['(', 'does not compile: missing closing )'],
    ['a**', 'does not compile'],
    ['[b-a]', 'does not compile'],
    ['a{1001}', 'does not compile'],
    ['.{1000}', 'too complex'],
    ['(.{10}){40}', 'too complex'],
    ['a'.repeat(MAX_REGEX_LENGTH + 1), 'longer than 256 characters'],
  ])('rejects %j', (pattern, problem) => {
    expect(checkRegex(pattern)).toContain(problem);
  });

  it('accepts exactly 256 characters', () => {
    expect(checkRegex('a'.repeat(256))).toBeUndefined();
  });

  it('rejects non-strings without throwing', () => {
    expect(checkRegex(42 as unknown as string)).toBe('must be a string');
  });
});

describe('compileRegex', () => {
  it('finds a match anywhere unless anchored, with JavaScript escapes translated', () => {
    expect(compiled('b').test('abc')).toBe(true);
    expect(compiled('^b').test('abc')).toBe(false);
    expect(compiled('^caf\\u00e9$').test('café')).toBe(true);
    expect(compiled('^(?<n>\\d+)-x$').test('12-x')).toBe(true);
  });

  it('is case-insensitive on request only', () => {
    expect(compiled('^abc$').test('ABC')).toBe(false);
    expect(compiled('^abc$', true).test('ABC')).toBe(true);
  });

  it('matches the classic catastrophic patterns in linear time', () => {
    const worst = 'a'.repeat(MAX_MATCH_INPUT_LENGTH - 1) + '!';
    const started = performance.now();
    for (const pattern of ['^a*a*a*a*$', '^(a+)+$', '^(a|aa)+$', '^(\\w+\\s?)*$']) expect(compiled(pattern).test(worst)).toBe(false);
    // A backtracking engine needs minutes for the first pattern alone.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
