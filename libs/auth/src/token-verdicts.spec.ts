import { TokenVerdicts } from './token-verdicts';

const principal = { kind: 'token' as const, id: 't1', name: 'sdk', scopes: ['sdk:staging'] };

describe('TokenVerdicts', () => {
  it('trusts a verdict while fresh, and an older one only as an outage fallback up to the stale limit', () => {
    const verdicts = new TokenVerdicts(5000, 60_000);
    verdicts.record('h', principal, 1000);
    expect(verdicts.fresh('h', 5999)?.principal).toEqual(principal);
    expect(verdicts.fresh('h', 6000)).toBeUndefined();
    expect(verdicts.usableDuringOutage('h', 60_999)?.principal).toEqual(principal);
    expect(verdicts.usableDuringOutage('h', 61_000)).toBeUndefined();
  });

  it('keeps "revoked" verdicts too, and a newer check replaces the old one', () => {
    const verdicts = new TokenVerdicts(5000, 60_000);
    verdicts.record('h', principal, 0);
    verdicts.record('h', null, 10_000);
    expect(verdicts.usableDuringOutage('h', 20_000)).toEqual({ principal: null, checkedAt: 10_000 });
  });

  it('stays bounded, dropping the least recently checked verdict first', () => {
    const verdicts = new TokenVerdicts(5000, 60_000, 3);
    verdicts.record('a', principal, 1);
    verdicts.record('b', principal, 2);
    verdicts.record('c', principal, 3);
    verdicts.record('a', principal, 4);
    verdicts.record('d', principal, 5);
    expect(verdicts.size).toBe(3);
    expect(verdicts.usableDuringOutage('b', 6)).toBeUndefined();
    expect(verdicts.usableDuringOutage('a', 6)).toBeDefined();
    verdicts.forgetAll();
    expect(verdicts.size).toBe(0);
  });
});
