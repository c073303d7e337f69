import { randomBytes } from 'node:crypto';
import { ApiClient } from '../../support/api-client';
import { SseClient, type SseEvent } from '../../support/sse-client';
import { resolveRedisUrl, startTestServer, type TestServer } from '../../support/test-server';

/**
 * Two replicas on one Redis and one database: a change written through A reaches the SSE clients
 * of B over the store's channel. B's reconciler is set far beyond the test's timeouts, so nothing
 * but Redis pub/sub can deliver the change in time.
 */
describe('two server replicas on one Redis and one database', () => {
  let a: TestServer;
  let b: TestServer;
  let adminA: ApiClient;
  let stream: SseClient;

  beforeAll(async () => {
    const redis = { url: (await resolveRedisUrl('auto'))! };
    const REDIS_PREFIX = `test:replicas:${randomBytes(4).toString('hex')}:`;
    a = await startTestServer({ redis, env: { REDIS_PREFIX, RECONCILE_INTERVAL: '60s' } });
    // Shares A's database on purpose (in embedded mode, the process's one PGlite).
    b = await startTestServer({ redis, database: a.database, env: { REDIS_PREFIX, RECONCILE_INTERVAL: '60s' } });
    adminA = new ApiClient(a.url, a.adminToken);
    const created = await adminA.post('/api/v1/flags', { key: 'replicated', type: 'boolean' });
    expect(created.status).toBe(201);
    await adminA.post('/api/v1/segments', { key: 'staff', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@corp.example'] }] });
    const sdkToken = await adminA.token_('replica-b-sdk', ['sdk:development']);
    stream = await SseClient.connect(`${b.url}/sdk/v1/stream`, { authorization: `Bearer ${sdkToken}` });
    expect(stream.status).toBe(200);
    // Two servers (migrations, bootstrap) on a loaded 2-core machine can take longer than Jest's 30 s.
  }, 90_000);
  afterAll(async () => {
    stream?.close();
    await b?.close();
    await a?.close();
  });

  it('serves B’s stream with the snapshot A wrote', async () => {
    const snapshot = await stream.next((e) => e.event === 'snapshot');
    const body = JSON.parse(snapshot.data);
    expect(body.environment).toBe('development');
    expect(body.flags.replicated).toMatchObject({ enabled: false });
    expect(body.segments.staff).toBeDefined();
  });

  it('delivers toggles made through A to a stream client of B, and measures how fast', async () => {
    const latencies: number[] = [];
    const sinceSend: number[] = [];
    for (let i = 0; i < 20; i++) {
      const sent = performance.now();
      const res = await fetch(`${a.url}/api/v1/flags/replicated/environments/development/toggle`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.adminToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const answered = performance.now();
      expect(res.status).toBe(200);
      const flag = (await res.json()) as { environments: { development: { enabled: boolean } } };
      const enabled = flag.environments.development.enabled;
      const envVersion = ((await adminA.get('/api/v1/environments')).body.items as Array<{ key: string; version: number }>).find(
        (env) => env.key === 'development',
      )!.version;
      const event: SseEvent = await stream.next((e) => e.event !== 'snapshot' && Number(e.id) === envVersion, 5_000);
      expect(event.event).toBe('change');
      const message = JSON.parse(event.data);
      expect(message).toMatchObject({ environment: 'development', version: envVersion, previousVersion: envVersion - 1 });
      expect(message.flags.replicated.enabled).toBe(enabled);
      // The event can beat the HTTP response to this process: the writer publishes before answering.
      latencies.push(event.receivedAt - answered);
      sinceSend.push(event.receivedAt - sent);
    }
    const sorted = [...latencies].sort((x, y) => x - y);
    const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
    process.stdout.write(
      `replica propagation, A's toggle response → B's SSE client, 20 toggles: p50 ${fmt(sorted[10])}, max ${fmt(sorted[19])} ` +
        `(from A's request: p50 ${fmt([...sinceSend].sort((x, y) => x - y)[10])})\n`,
    );
    // B's reconciler runs once a minute: only the channel can have brought these.
    expect(Math.max(...sinceSend)).toBeLessThan(5_000);

    // B serves the same state to a plain snapshot read.
    const snapshot = await new ApiClient(b.url, b.adminToken).get('/sdk/v1/snapshot?environment=development');
    expect(snapshot.body.flags.replicated.enabled).toBe((await adminA.get('/api/v1/flags/replicated')).body.environments.development.enabled);
  });

  it('delivers a segment change made through A to B', async () => {
    // A segment is used in every environment, so production must confirm the change.
    const res = await adminA.patch(
      '/api/v1/segments/staff',
      { conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@staff.example'] }] },
      { 'x-switchyard-confirm': 'production' },
    );
    expect(res.status).toBe(200);
    const event = await stream.next((e) => e.event === 'change' && JSON.parse(e.data).segments?.staff !== undefined, 5_000);
    expect(JSON.parse(event.data).segments.staff.conditions[0].values).toEqual(['@staff.example']);
  });
});
