import { grants, isScope, readableMirrorRoutes, reportableMirrorRoutes, sdkEnvironments } from './scopes';

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
    [['mirror:write'], 'mirror:read', true],
    [['mirror:read'], 'mirror:write', false],
    [['flags:write'], 'mirror:read', false],
    [['admin'], 'mirror:write', true],
    [['mirror:report:quotes'], 'mirror:report:*', true],
    [['mirror:report:quotes'], 'mirror:read', false],
    [['mirror:write'], 'mirror:report:*', false],
    [['client:production'], 'client:*', true],
    [['client:production'], 'sdk:*', false],
    [['client:production'], 'flags:read', false],
    [['admin'], 'client:*', true],
    [['sdk:production'], 'client:*', false],
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
    expect(isScope('mirror:report:quotes')).toBe(true);
    expect(isScope('mirror:report:*')).toBe(true);
    expect(isScope('mirror:report:')).toBe(false);
    expect(isScope('mirror:report:Quotes')).toBe(false);
  });

  it('binds a proxy token to the routes it reports for; mirror:write reports for none', () => {
    expect(reportableMirrorRoutes(['mirror:report:quotes', 'mirror:report:orders', 'sdk:production'])).toEqual(['quotes', 'orders']);
    expect(reportableMirrorRoutes(['mirror:report:*'])).toBe('all');
    expect(reportableMirrorRoutes(['admin'])).toBe('all');
    expect(reportableMirrorRoutes(['mirror:write'])).toEqual([]);
    expect(readableMirrorRoutes(['mirror:write'])).toBe('all');
    expect(readableMirrorRoutes(['mirror:report:quotes'])).toEqual(['quotes']);
    expect(readableMirrorRoutes(['flags:write'])).toEqual([]);
  });
});
