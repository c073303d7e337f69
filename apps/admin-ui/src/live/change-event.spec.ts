import { describeChange, parseChangeEvent } from './change-event';

describe('live change events', () => {
  it('reads who changed which flag in which environment', () => {
    const notice = parseChangeEvent(
      JSON.stringify({
        environment: 'production',
        version: 7,
        previousVersion: 6,
        flags: { checkout: { key: 'checkout', enabled: true }, old: null },
        segments: { beta: { key: 'beta', conditions: [] } },
        actor: 'user:ada@example.com',
      }),
    );
    expect(notice).toEqual({
      environment: 'production',
      version: 7,
      flags: ['checkout', 'old'],
      segments: ['beta'],
      actor: 'user:ada@example.com',
      enabled: { checkout: true, old: null },
    });
    expect(describeChange(notice!)).toBe('ada@example.com changed checkout (now on), archived old, changed segment beta in production');
  });

  it('reads a whole-environment notice (reloaded, or moved while the stream was away)', () => {
    const notice = parseChangeEvent(JSON.stringify({ environment: 'staging', version: 9, full: true, flags: { a: { enabled: false } }, segments: {} }));
    expect(notice).toMatchObject({ full: true, flags: ['a'], enabled: { a: false } });
    expect(describeChange(notice!)).toBe('someone changed flags in staging');
  });

  it('ignores malformed data', () => {
    expect(parseChangeEvent('nope')).toBeUndefined();
    expect(parseChangeEvent('{"environment":1}')).toBeUndefined();
    expect(describeChange(parseChangeEvent('{"environment":"dev","version":1}')!)).toBe('someone changed flags in dev');
  });
});
