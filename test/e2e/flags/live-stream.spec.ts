import { ApiClient } from '../../support/api-client';
import { SseClient } from '../../support/sse-client';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

/** Versions by environment from a live event id (`production:7,staging:3`). */
const versionsOf = (id: string | undefined) => Object.fromEntries((id ?? '').split(',').map((pair) => [pair.split(':')[0], Number(pair.split(':')[1])]));

/** The admin UI's stream: every environment on one connection, resumable, with heartbeats. */
describe('live stream /api/v1/live', () => {
  let server: TestServer;
  let admin: ApiClient;
  let reader: string;
  const streams: SseClient[] = [];
  const connect = async (headers: Record<string, string> = {}, query = '') => {
    const stream = await SseClient.connect(`${server.url}/api/v1/live${query}`, { authorization: `Bearer ${reader}`, ...headers });
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    server = await startTestServer({ env: { SSE_HEARTBEAT: '200ms' } });
    admin = new ApiClient(server.url, server.adminToken);
    expect((await admin.post('/api/v1/flags', { key: 'banner', type: 'boolean' })).status).toBe(201);
    reader = await admin.token_('live-reader', ['flags:read']);
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await server.close();
  });

  it('sends the changes of every environment on one connection, each naming its environment', async () => {
    const stream = await connect();
    expect(stream.status).toBe(200);
    const ready = await stream.next((e) => e.event === 'ready');
    const environments = ((await admin.get('/api/v1/environments')).body.items as Array<{ key: string }>).map((env) => env.key);
    expect(Object.keys(versionsOf(ready.id)).sort()).toEqual([...environments].sort());

    expect((await admin.post('/api/v1/flags/banner/environments/staging/toggle', { enabled: true })).status).toBe(200);
    const confirm = { 'x-switchyard-confirm': 'production' };
    expect((await admin.post('/api/v1/flags/banner/environments/production/toggle', { enabled: true }, confirm)).status).toBe(200);
    const staging = await stream.next((e) => e.event === 'change');
    const production = await stream.next((e) => e.event === 'change');
    expect(JSON.parse(staging.data)).toMatchObject({ environment: 'staging', flags: { banner: { enabled: true } } });
    expect(JSON.parse(production.data)).toMatchObject({ environment: 'production', flags: { banner: { enabled: true } } });
    expect(versionsOf(production.id)).toMatchObject({ staging: JSON.parse(staging.data).version, production: JSON.parse(production.data).version });

    // An environment created after connecting is covered without a new connection.
    expect((await admin.post('/api/v1/environments', { key: 'qa', name: 'QA' })).status).toBe(201);
    expect((await admin.post('/api/v1/flags/banner/environments/qa/toggle', { enabled: true })).status).toBe(200);
    const qa = await stream.next((e) => e.event === 'change' && JSON.parse(e.data).environment === 'qa' && JSON.parse(e.data).flags?.banner?.enabled === true);
    expect(versionsOf(qa.id).qa).toBe(JSON.parse(qa.data).version);

    await waitFor(() => stream.comments >= 2, 5_000, 'two heartbeats');
  });

  it('resumes from Last-Event-ID (or ?since=) with one whole-environment notice per environment that moved', async () => {
    const first = await connect();
    const ready = await first.next((e) => e.event === 'ready');
    first.close();
    expect((await admin.post('/api/v1/flags/banner/environments/staging/toggle', { enabled: false })).status).toBe(200);

    for (const resumed of [await connect({ 'last-event-id': ready.id! }), await connect({}, `?since=${encodeURIComponent(ready.id!)}`)]) {
      const events = [await resumed.next(), await resumed.next()];
      expect(events.map((e) => e.event)).toEqual(['change', 'ready']);
      expect(JSON.parse(events[0].data)).toMatchObject({ environment: 'staging', full: true, flags: { banner: { enabled: false } } });
      expect(versionsOf(events[1].id).staging).toBe(versionsOf(ready.id).staging + 1);
    }
  });

  it('is for readers of every environment: an SDK token is refused', async () => {
    const sdk = await admin.token_('live-sdk', ['sdk:production']);
    const res = await admin.withToken(sdk).get('/api/v1/live');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });
});
