import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const changes: string[] = [];
  const breaker = () =>
    new CircuitBreaker(
      { failurePercent: 50, minRequests: 4, openMs: 1000, probeIntervalMs: 100 },
      (state) => changes.push(state),
      () => now,
    );

  beforeEach(() => {
    now = 0;
    changes.length = 0;
  });

  it('opens once the failure share of a full window reaches the threshold', () => {
    const b = breaker();
    b.record(false, 'timeout');
    b.record(true);
    b.record(false, 'timeout');
    expect(b.allow()).toBe(true); // window not full yet
    b.record(true);
    expect(b.current).toBe('open');
    expect(b.allow()).toBe(false);
    expect(b.report()).toMatchObject({ state: 'open', opens: 1, reason: '2 of the last 4 candidate calls failed (last: error)' });
  });

  it('slides the window, so old failures age out', () => {
    const b = breaker();
    [false, true, true, true, true, false, true, true].forEach((ok) => b.record(ok));
    expect(b.current).toBe('closed');
  });

  it('probes after openMs, closes on success and reopens on failure', () => {
    const b = breaker();
    for (let i = 0; i < 4; i++) b.record(false, 'ECONNREFUSED');
    now = 999;
    expect(b.allow()).toBe(false);
    now = 1000;
    expect(b.allow()).toBe(true);
    expect(b.current).toBe('half-open');
    expect(b.allow()).toBe(false); // one probe per interval
    b.record(false, 'timeout');
    expect(b.current).toBe('open');
    now = 2100;
    expect(b.allow()).toBe(true);
    b.record(true);
    expect(b.current).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    expect(b.report()).toMatchObject({ state: 'closed', opens: 2 });
  });
});
