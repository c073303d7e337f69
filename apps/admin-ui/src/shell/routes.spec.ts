import { matchRoute, pathOf, type Route } from './routes';

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
      ['/dark-launch', '', { page: 'dark-launch' }],
      ['/dark-launch', '?route=orders', { page: 'dark-launch', route: 'orders' }],
    ];
    for (const [path, search, route] of cases) {
      expect(matchRoute(path, search)).toEqual(route);
      if (path !== '/') expect(pathOf(route)).toBe(path + search);
    }
  });

  it('reports unknown paths', () => {
    expect(matchRoute('/flags/x/nope')).toEqual({ page: 'not-found', path: '/flags/x/nope' });
    expect(matchRoute('/wat')).toEqual({ page: 'not-found', path: '/wat' });
  });
});
