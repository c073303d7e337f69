import { matchRoute, pathOf, titleOf, type Route } from './routes';

describe('routes', () => {
  it('maps URLs to pages and back', () => {
    const cases: Array<[string, string, Route]> = [
      ['/', '', { page: 'flags' }],
      ['/flags', '', { page: 'flags' }],
      ['/setup', '', { page: 'setup' }],
      ['/audit', '', { page: 'audit' }],
      ['/flags/new-checkout', '', { page: 'flag', key: 'new-checkout', tab: 'targeting' }],
      ['/flags/new-checkout', '?environment=production', { page: 'flag', key: 'new-checkout', tab: 'targeting', environment: 'production' }],
      ['/flags/a.b/history', '', { page: 'flag', key: 'a.b', tab: 'history' }],
      ['/releases', '', { page: 'releases' }],
      ['/releases', '?service=market-data', { page: 'releases', service: 'market-data' }],
      ['/releases/0b6c', '', { page: 'release', id: '0b6c' }],
      ['/releases/policy', '?service=market-data', { page: 'release-policy', service: 'market-data' }],
      ['/dark-launch', '', { page: 'dark-launch' }],
      ['/dark-launch', '?route=orders', { page: 'dark-launch', route: 'orders' }],
      ['/flags', '?search=check+out&tag=web&archived=true', { page: 'flags', filters: { search: 'check out', tag: 'web', archived: 'true' } }],
      ['/audit', '?target=flag%3Acheckout*&actor=user%3Aada*', { page: 'audit', filters: { target: 'flag:checkout*', actor: 'user:ada*' } }],
      ['/account', '', { page: 'account' }],
    ];
    for (const [path, search, route] of cases) {
      expect(matchRoute(path, search)).toEqual(route);
      if (path !== '/') expect(pathOf(route)).toBe(path + search);
    }
  });

  it('keeps only known, non-empty filters, in a fixed order', () => {
    expect(matchRoute('/flags', '?owner=&nope=1')).toEqual({ page: 'flags' });
    expect(matchRoute('/', '?owner=team-a')).toEqual({ page: 'flags', filters: { owner: 'team-a' } });
    expect(pathOf({ page: 'flags', filters: { archived: 'true', search: 'a&b' } })).toBe('/flags?search=a%26b&archived=true');
    expect(pathOf({ page: 'audit', filters: { target: '' } })).toBe('/audit');
  });

  it('titles every page after what it shows', () => {
    expect(titleOf({ page: 'flags' })).toBe('Flags · Switchyard');
    expect(titleOf({ page: 'flag', key: 'checkout.new-flow', tab: 'targeting' })).toBe('checkout.new-flow · Flags · Switchyard');
    expect(titleOf({ page: 'flag', key: 'checkout.new-flow', tab: 'history' })).toBe('History · checkout.new-flow · Flags · Switchyard');
    expect(titleOf({ page: 'audit', filters: { actor: 'x' } })).toBe('Audit log · Switchyard');
    expect(titleOf({ page: 'sign-in' })).toBe('Sign in · Switchyard');
    expect(titleOf({ page: 'dark-launch', route: 'orders' })).toBe('orders · Dark launch · Switchyard');
    expect(titleOf({ page: 'release-policy', service: 'quotes' })).toBe('Policy · quotes · Releases · Switchyard');
  });

  it('reports unknown paths', () => {
    expect(matchRoute('/flags/x/nope')).toEqual({ page: 'not-found', path: '/flags/x/nope' });
    expect(matchRoute('/wat')).toEqual({ page: 'not-found', path: '/wat' });
    expect(matchRoute('/releases/policy')).toEqual({ page: 'not-found', path: '/releases/policy' });
  });
});
