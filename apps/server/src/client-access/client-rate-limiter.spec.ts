import { RateLimiter } from './client-rate-limiter';

describe('RateLimiter', () => {
  it('allows the burst, then asks to wait until a token refills', () => {
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 });
    expect([0, 1, 2].map(() => limiter.take('a', 0))).toEqual([0, 0, 0]);
    expect(limiter.take('a', 0)).toBe(1);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('a', 600)).toBe(0);
  });

  it('keeps at most maxKeys buckets, forgetting the least recently used', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, 2);
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('a', 0);
    limiter.take('c', 0);
    expect(limiter.size).toBe(2);
    // 'b' was the least recently used, so it went; 'a' is still remembered as empty.
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
  });
});
