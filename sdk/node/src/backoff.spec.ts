import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, with half of each delay random', () => {
    const low = new Backoff(1000, 30_000, () => 0);
    const high = new Backoff(1000, 30_000, () => 0.999999);
    const lows = Array.from({ length: 8 }, () => low.next());
    const highs = Array.from({ length: 8 }, () => high.next());
    expect(lows).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(highs).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('never exceeds the cap, even after very many attempts', () => {
    const backoff = new Backoff(1000, 30_000);
    for (let i = 0; i < 10_000; i++) {
      const d = backoff.next();
      expect(d).toBeLessThanOrEqual(30_000);
      expect(d).toBeGreaterThanOrEqual(500);
    }
  });

  it('spreads simultaneous clients apart (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => new Backoff(1000, 30_000).delayFor(5)));
    expect(delays.size).toBeGreaterThan(40);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff(100, 1000, () => 1);
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
