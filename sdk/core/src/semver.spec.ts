import { compareSemver, parseSemver } from './semver';

describe('compareSemver', () => {
  it.each([
    ['1.0.0', '1.0.0', 0],
    ['1.0.0', '2.0.0', -1],
    ['2.0.0', '1.0.0', 1],
    ['1.2.3', '1.10.0', -1],
    ['1.0.10', '1.0.9', 1],
    ['v1.2.3', '1.2.3', 0],
    ['V1.2.3', 'v1.2.4', -1],
    ['1.0.0+build.1', '1.0.0+build.2', 0],
    ['1.0.0-alpha+001', '1.0.0-alpha', 0],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0', '1.0.0-rc.1', 1],
    ['10.0.0', '9.99.99', 1],
    ['1.0.99999999999999999999', '1.0.99999999999999999998', 1],
  ])('compareSemver(%s, %s) = %d', (a, b, expected) => {
    expect(compareSemver(a, b)).toBe(expected);
  });

  it('orders pre-releases as in the SemVer 2.0 spec example', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(compareSemver(ordered[i], ordered[j])).toBe(Math.sign(i - j));
      }
    }
  });

  it('compares numeric identifiers numerically and below alphanumeric ones', () => {
    expect(compareSemver('1.0.0-2', '1.0.0-10')).toBe(-1);
    expect(compareSemver('1.0.0-999', '1.0.0-a')).toBe(-1);
    expect(compareSemver('1.0.0-a1', '1.0.0-a10')).toBe(-1); // ASCII order for alphanumerics
    expect(compareSemver('1.0.0-A', '1.0.0-a')).toBe(-1);
  });

  it.each([
    '',
    '1',
    '1.2',
    '1.2.3.4',
    '01.2.3',
    '1.02.3',
    '1.2.03',
    '1.2.3-01',
    '1.2.3-',
    '1.2.3+',
    '1.2.3-a..b',
    ' 1.2.3',
    '1.2.3 ',
    'vv1.2.3',
    'x1.2.3',
    '-1.2.3',
    '1.2.3-a_b',
  ])('returns undefined for invalid %j', (bad) => {
    expect(compareSemver(bad, '1.2.3')).toBeUndefined();
    expect(compareSemver('1.2.3', bad)).toBeUndefined();
    expect(parseSemver(bad)).toBeUndefined();
  });

  it('accepts valid edge cases', () => {
    expect(parseSemver('0.0.0')).toEqual({ major: '0', minor: '0', patch: '0', prerelease: [] });
    expect(parseSemver('1.2.3-0.a-b.0a+x-y.01')).toEqual({
      major: '1',
      minor: '2',
      patch: '3',
      prerelease: ['0', 'a-b', '0a'],
    });
  });

  it('never throws on non-strings', () => {
    expect(compareSemver(undefined as unknown as string, '1.0.0')).toBeUndefined();
    expect(compareSemver(123 as unknown as string, '1.0.0')).toBeUndefined();
  });
});
