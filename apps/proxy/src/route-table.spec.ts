import { mirrorRouteSchema } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { LoadShedder } from './load-shedder';
import { ProxyMetrics } from './proxy-metrics';
import { RouteMirror } from './route-mirror';
import { RouteTable } from './route-table';

describe('RouteTable', () => {
  const metrics = new ProxyMetrics();
  const mirror = (name: string, match: { host?: string; pathPrefix?: string }) =>
    new RouteMirror(mirrorRouteSchema.parse({ name, match, primary: 'http://p', candidate: 'http://c', sample: { percent: 0 } }), {
      decider: { sampled: () => false },
      shedder: new LoadShedder(1),
      metrics,
      logger: createLogger('silent'),
    });
  const mirrors = [
    mirror('any', {}),
    mirror('api', { pathPrefix: '/api' }),
    mirror('api-v2', { pathPrefix: '/api/v2/' }),
    mirror('market', { host: 'Market.internal' }),
  ];
  const table = new RouteTable(mirrors);
  afterAll(() => mirrors.forEach((m) => m.close()));

  it.each([
    ['market.internal:8080', '/api/x', 'market'],
    ['other', '/api', 'api'],
    ['other', '/api?x=1', 'api'],
    ['other', '/api/v1', 'api'],
    ['other', '/api/v2/quotes', 'api-v2'],
    ['other', '/apix', 'any'],
    [undefined, '/', 'any'],
  ])('host %s, %s → %s', (host, url, expected) => {
    expect(table.match(host, url)?.name).toBe(expected);
  });

  it('finds nothing when no route claims the request', () => {
    expect(new RouteTable([mirrors[3]]).match('elsewhere', '/')).toBeUndefined();
    expect(table.get('api')?.name).toBe('api');
  });
});
