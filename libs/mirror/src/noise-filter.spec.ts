import { isSignificant } from './noise-filter';

describe("isSignificant (Diffy's rule)", () => {
  it('reports a field only when raw clearly exceeds noise', () => {
    expect(isSignificant(100, 0, 100)).toBe(true);
    expect(isSignificant(100, 100, 100)).toBe(false); // differs as often between two primaries
    expect(isSignificant(100, 90, 100)).toBe(false); // 10/190 ≈ 5 % < 20 %
    expect(isSignificant(100, 60, 100)).toBe(true); // 40/160 = 25 % and 40 % of requests
    expect(isSignificant(40, 50, 100)).toBe(false); // raw below noise
    expect(isSignificant(0, 0, 100)).toBe(false);
  });

  it('applies the absolute threshold against the request count', () => {
    expect(isSignificant(3, 0, 10_000)).toBe(false); // 0.03 % exactly is not above 0.03 %
    expect(isSignificant(4, 0, 10_000)).toBe(true);
    expect(isSignificant(4, 0, 10_000, { relativePercent: 20, absolutePercent: 1 })).toBe(false);
    expect(isSignificant(120, 100, 1000, { relativePercent: 5, absolutePercent: 0.03 })).toBe(true);
  });
});
