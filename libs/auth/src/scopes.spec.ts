import { grants, isScope, sdkEnvironments } from './scopes';

describe('scopes', () => {
  it.each([
    [['admin'], 'deploy', true],
    [['flags:write'], 'flags:read', true],
    [['flags:read'], 'flags:write', false],
    [['deploy'], 'deploy:read', true],
    [['deploy:read'], 'deploy', false],
    [['sdk:production'], 'sdk:*', true],
    [['flags:read'], 'sdk:*', true],
    [['deploy'], 'sdk:*', false],
    [['approve'], 'flags:read', false],
  ])('%j grants %s → %s', (held, required, expected) => {
    expect(grants(held, required)).toBe(expected);
  });

  it('knows which environments an SDK principal may read', () => {
    expect(sdkEnvironments(['sdk:staging', 'sdk:production'])).toEqual(['staging', 'production']);
    expect(sdkEnvironments(['flags:read'])).toBe('all');
    expect(sdkEnvironments(['deploy'])).toEqual([]);
  });

  it('validates scope names', () => {
    expect(isScope('sdk:production')).toBe(true);
    expect(isScope('sdk:')).toBe(false);
    expect(isScope('root')).toBe(false);
  });
});
