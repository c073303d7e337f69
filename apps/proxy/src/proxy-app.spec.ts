import { mirrorRouteSchema, type MirrorRoute, type RouteAggregate } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { startProxy, type RunningProxy } from './proxy-app';

// Nothing listens on port 1: the primary refuses, the client gets 502, and the request is still seen.
const route = (name: string, extra: Record<string, unknown> = {}): MirrorRoute =>
  mirrorRouteSchema.parse({
    name,
    match: { pathPrefix: `/${name}` },
    primary: 'http://127.0.0.1:1',
    candidate: 'http://127.0.0.1:1',
    sample: { percent: 0 },
    ...extra,
  });

const seen = (batches: RouteAggregate[], name: string) =>
  batches.filter((batch) => batch.route === name).reduce((sum, batch) => sum + batch.endpoints.reduce((n, endpoint) => n + endpoint.seen, 0), 0);

describe('startProxy: route changes and report history', () => {
  const proxies: RunningProxy[] = [];

  async function start(shipsReports: boolean): Promise<RunningProxy> {
    const proxy = await startProxy({
      routes: [route('quotes'), route('news')],
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      logger: createLogger('silent'),
      shipsReports,
    });
    proxies.push(proxy);
    return proxy;
  }

  async function hit(proxy: RunningProxy, path: string, times = 1): Promise<void> {
    for (let i = 0; i < times; i++) expect((await fetch(`${proxy.url}${path}`)).status).toBe(502);
  }

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
  });

  it('keeps the report of a changed route and ships every request once, a removed route included', async () => {
    const proxy = await start(true);
    await hit(proxy, '/quotes/A', 2);
    await hit(proxy, '/news/1');
    proxy.setRoutes([route('quotes', { timeoutMs: 1500 })]);
    await hit(proxy, '/quotes/B');

    expect(proxy.report('quotes').routes[0].totals.seen).toBe(3);
    const batches = proxy.drain();
    expect(seen(batches, 'quotes')).toBe(3);
    expect(seen(batches, 'news')).toBe(1);
    expect(batches.find((batch) => batch.route === 'quotes')?.breaker).toMatchObject({ state: 'closed' });
    expect(proxy.drain()).toEqual([]);
    // The local report still covers the whole run after drains.
    expect(proxy.report('quotes').routes[0].totals.seen).toBe(3);
  });

  it('answers from since: nothing from the future, everything from before the traffic', async () => {
    const proxy = await start(false);
    const before = new Date(Date.now() - 1000);
    await hit(proxy, '/quotes/A', 2);
    expect(proxy.drain()).toEqual([]);
    expect(proxy.report('quotes', before).routes[0]).toMatchObject({ since: before.toISOString(), totals: { seen: 2 } });
    const later = new Date(Date.now() + 60_000);
    expect(proxy.report('quotes', later).routes[0]).toMatchObject({ since: later.toISOString(), totals: { seen: 0 }, endpoints: [] });
  });
});
