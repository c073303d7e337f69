import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ApiClient } from '../../support/api-client';
import { SseClient } from '../../support/sse-client';
import { startTestServer, type TestServer } from '../../support/test-server';

describe('SDK delivery: snapshot, stream, metrics', () => {
  let server: TestServer;
  let admin: ApiClient;
  let sdkProd: string;
  beforeAll(async () => {
    server = await startTestServer();
    admin = new ApiClient(server.url, server.adminToken);
    await admin.post('/api/v1/flags', { key: 'banner', type: 'string', variants: { plain: 'plain', fancy: 'fancy' } });
    sdkProd = await admin.token_('web-prod', ['sdk:production']);
  });
  afterAll(() => server.close());

  it('serves the snapshot with an ETag, 304 and gzip', async () => {
    const sdk = admin.withToken(sdkProd);
    const first = await sdk.get('/sdk/v1/snapshot');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ environment: 'production', flags: { banner: { key: 'banner', type: 'string', enabled: false, offVariant: 'plain' } } });
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"production:${first.body.version}"`);
    expect((await sdk.get('/sdk/v1/snapshot', { 'if-none-match': etag })).status).toBe(304);

    // Raw HTTP (fetch would decode transparently): the bytes on the wire are gzip of the same snapshot.
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      get(`${server.url}/sdk/v1/snapshot`, { headers: { authorization: `Bearer ${sdkProd}`, 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(raw.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(raw.body).toString('utf8'))).toEqual(first.body);
  });

  it('pins sdk:<env> tokens to their environment', async () => {
    const sdk = admin.withToken(sdkProd);
    const other = await sdk.get('/sdk/v1/snapshot?environment=staging');
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('FORBIDDEN');
    const viaAdmin = await admin.get('/sdk/v1/snapshot', { 'x-switchyard-environment': 'staging' });
    expect(viaAdmin.body.environment).toBe('staging');
    expect((await admin.get('/sdk/v1/snapshot?environment=nope')).status).toBe(404);
    expect((await admin.withToken(undefined).get('/sdk/v1/snapshot')).status).toBe(401);
  });

  it('streams the snapshot, then each change', async () => {
    const stream = await SseClient.connect(`${server.url}/sdk/v1/stream`, { authorization: `Bearer ${sdkProd}` });
    expect(stream.status).toBe(200);
    const snapshot = await stream.next((e) => e.event === 'snapshot');
    const version = Number(snapshot.id);
    expect(JSON.parse(snapshot.data).flags.banner.enabled).toBe(false);

    const toggled = await admin.post('/api/v1/flags/banner/environments/production/toggle', { enabled: true }, { 'x-switchyard-confirm': 'production' });
    expect(toggled.status).toBe(200);
    const change = await stream.next((e) => e.event === 'change');
    const message = JSON.parse(change.data);
    expect(message).toMatchObject({ environment: 'production', version: version + 1, previousVersion: version, flags: { banner: { enabled: true } } });
    expect(Number(change.id)).toBe(version + 1);
    stream.close();

    // Resuming at the current version sends nothing until the next change.
    const resumed = await SseClient.connect(`${server.url}/sdk/v1/stream`, { authorization: `Bearer ${sdkProd}`, 'last-event-id': String(version + 1) });
    await admin.patch('/api/v1/flags/banner/environments/production', { defaultServe: { variant: 'fancy' } }, { 'x-switchyard-confirm': 'production' });
    const next = await resumed.next();
    expect(next.event).toBe('change');
    expect(JSON.parse(next.data).flags.banner.defaultServe).toEqual({ variant: 'fancy' });
    resumed.close();
  });

  it('records SDK usage and reports it per flag', async () => {
    const sdk = admin.withToken(sdkProd);
    const posted = await sdk.post('/sdk/v1/metrics', {
      counts: [
        { flag: 'banner', variant: 'fancy', count: 40 },
        { flag: 'banner', variant: 'fancy', count: 2 },
        { flag: 'banner', variant: 'plain', count: 3 },
      ],
    });
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ accepted: 2 });
    const usage = await admin.get('/api/v1/flags/banner/usage');
    expect(usage.body.totals).toEqual([
      expect.objectContaining({ environment: 'production', variant: 'fancy', evaluations: 42 }),
      expect.objectContaining({ environment: 'production', variant: 'plain', evaluations: 3 }),
    ]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_flag_evaluations_total{environment="production",flag="banner",variant="fancy"} 42');
    const bad = await sdk.post('/sdk/v1/metrics', { counts: [{ flag: 'banner', variant: 'x', count: -1 }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('counts[0].count');
  });
});
