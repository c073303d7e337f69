import { json } from '../../support/http';
import { requireTool } from '../../support/system-tool';
import { PrivateRedis } from '../../support/redis-server';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

const haveRedis = requireTool('redis-server', 'redis-server');

(haveRedis ? describe : describe.skip)('/readyz follows Redis without a restart', () => {
  let redis: PrivateRedis;
  let server: TestServer;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    server = await startTestServer({ redis: { url: redis.url } });
  });
  afterAll(async () => {
    await server.close();
    await redis.stop();
  });

  const ready = async () => {
    const res = await fetch(`${server.url}/readyz`);
    return { status: res.status, body: (await json(res)) as { checks: Record<string, string> } };
  };

  it('is 200, then 503 naming redis when it dies, then 200 after it returns', async () => {
    await waitFor(async () => (await ready()).status === 200, 10_000, 'ready');
    expect((await ready()).body.checks).toEqual({ database: 'up', migrations: 'up', redis: 'up' });

    await redis.kill();
    const down = await waitFor(
      async () => {
        const r = await ready();
        return r.status === 503 ? r : undefined;
      },
      10_000,
      'not ready',
    );
    expect(down.body.checks.redis).toBe('down');
    expect(down.body.checks.database).toBe('up');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await redis.restart();
    await waitFor(async () => (await ready()).status === 200, 15_000, 'ready again');
  });
});
