import { checkRegex, MAX_REGEX_LENGTH } from './safe-regex';

describe('checkRegex', () => {
  it.each([
    '',
    '^abc$',
    '@example\\.com$',
    '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$',
    '^(?:foo)+$',
    '^(ab)*c$',
    '^(a{2})+$',
    '^(?<prefix>[a-z]+)-\\d+$',
    '^(com|org)?$',
    '^(a+)?$',
    '^(a|b)$',
    'a|b|c',
    '[(+*)]+',
    '\\(a+\\)+',
    '^\\d{3}-\\d{4}$',
    'a{,3}+',
    '[\\1]',
    '\\0',
    'x{',
    '[]a',
    '[^]*',
  ])('accepts %j', (pattern) => {
    expect(checkRegex(pattern)).toBeUndefined();
  });

  it.each([
    ['(a+)+', 'nested quantifier'],
    ['(a*)*', 'nested quantifier'],
    ['^(a+)+$', 'nested quantifier'],
    ['(a|aa)+', 'nested quantifier'],
    ['(a|a)*b', 'nested quantifier'],
    ['((ab)*c)+', 'nested quantifier'],
    ['(?:x+y)+', 'nested quantifier'],
    ['(a?){2,}', 'nested quantifier'],
    ['(.*a){10}', 'nested quantifier'],
    ['((a|b)c)+', 'nested quantifier'],
    ['(?<n>\\d+)+', 'nested quantifier'],
    ['(\\w+\\s?)*$', 'nested quantifier'],
    ['(a)\\1', 'backreferences are not allowed'],
    ['(?<x>a)\\k<x>', 'backreferences are not allowed'],
    ['foo(?=bar)', 'lookahead is not allowed'],
    ['foo(?!bar)', 'lookahead is not allowed'],
    ['(?<=foo)bar', 'lookbehind is not allowed'],
    ['(?<!foo)bar', 'lookbehind is not allowed'],
    ['(', 'does not compile'],
    ['a**', 'does not compile'],
    ['[b-a]', 'does not compile'],
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
