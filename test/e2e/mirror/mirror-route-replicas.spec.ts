import { createLogger } from '@switchyard/observability';
import { startConnectedProxy, type ConnectedProxy } from '../../../apps/proxy/src/connected-proxy';
import { ApiClient } from '../../support/api-client';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

/**
 * Two server replicas on one database and one Redis: a route created through replica A reaches
 * a proxy streaming its routes from replica B (over the `<prefix>mirror-routes` channel).
 */
describe('mirror routes across server replicas', () => {
  let a: TestServer;
  let b: TestServer;
  let proxy: ConnectedProxy;

  beforeAll(async () => {
    a = await startTestServer({ redis: 'auto', env: { MIRROR_ALLOWED_TARGETS: '127.0.0.1' } });
    b = await startTestServer({
      redis: { url: a.redisUrl! },
      database: a.database,
      env: { REDIS_PREFIX: a.config.redis.prefix, SWITCHYARD_ADMIN_TOKEN: a.adminToken, MIRROR_ALLOWED_TARGETS: '127.0.0.1' },
    });
    proxy = await startConnectedProxy({
      // In process the event loop is the test's own too: no load shedding.
      maxEventLoopUtilization: 1,
      server: b.url,
      token: b.adminToken,
      environment: 'staging',
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      reportIntervalMs: 60_000,
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'switchyard-proxy'),
    });
    await proxy.routesReady;
    // Server start (migrations) on a loaded machine can take longer than Jest's 30 s.
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await b?.close();
    await a?.close();
  });

  it('pushes a change made on one replica to proxies connected to another', async () => {
    expect(proxy.routes()).toEqual([]);
    const admin = new ApiClient(a.url, a.adminToken);
    const created = await admin.post('/api/v1/mirror/routes', {
      name: 'orders',
      primary: 'http://127.0.0.1:9',
      candidate: 'http://127.0.0.1:9',
      sample: { percent: 10 },
    });
    expect(created.status).toBe(201);
    await waitFor(() => proxy.routes().some((route) => route.name === 'orders'), 10_000, 'replica B to push the new route');
    expect((await admin.delete('/api/v1/mirror/routes/orders')).status).toBe(200);
    await waitFor(() => proxy.routes().length === 0, 10_000, 'replica B to push the deletion');
  });
});
