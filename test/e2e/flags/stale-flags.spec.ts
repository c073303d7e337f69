import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

describe('stale flags', () => {
  let server: TestServer;
  let api: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ env: { STALE_AFTER: '1ms' } });
    api = new ApiClient(server.url, server.adminToken);
  });
  afterAll(() => server.close());

  it('reports a flag not evaluated for STALE_AFTER, and not one that SDKs evaluate', async () => {
    await api.post('/api/v1/flags', { key: 'forgotten', type: 'boolean' });
    await api.post('/api/v1/flags', { key: 'in-use', type: 'boolean' });
    // Evaluated "now" (end in the future) keeps it fresh even with a 1 ms threshold.
    await api.post('/sdk/v1/metrics?environment=production', {
      end: new Date(Date.now() + 60_000).toISOString(),
      counts: [{ flag: 'in-use', variant: 'on', count: 5 }],
    });
    const stale = await api.get('/api/v1/flags?stale=true');
    expect(stale.body.items.map((f: any) => [f.key, f.stale.reason])).toEqual([['forgotten', 'not-evaluated']]);
    const fresh = await api.get('/api/v1/flags?stale=false');
    expect(fresh.body.items.map((f: any) => f.key)).toEqual(['in-use']);
  });
});
