import { ApiClient } from '../../support/api-client';
import { SseClient } from '../../support/sse-client';
import { startTestServer, type TestServer } from '../../support/test-server';
import { ClientStreamHub } from '../../../apps/server/src/client-access/client-stream.service';
import { ClientFlagCatalog } from '../../../apps/server/src/client-access/client-flag-catalog.service';

const PAGE = 'https://shop.example';
const SECRET_VALUE = 'vip-list@corp.example';

/**
 * Client tokens from the server's side: what a browser token may read (evaluated values of the
 * flags its filter lets through, for its one environment, from its origins), what it may not
 * (snapshot, SDK stream, rules, segments), and the live values stream grouped per context.
 */
describe('client tokens', () => {
  let server: TestServer;
  let admin: ApiClient;
  let client: ApiClient;
  let clientSecret: string;
  let sdkSecret: string;

  beforeAll(async () => {
    // A low per-address rate (bursts of 80), so the last test reaches it whatever the machine's speed.
    server = await startTestServer({ env: { CLIENT_RATE_PER_ADDRESS: '20' } });
    admin = new ApiClient(server.url, server.adminToken);
    const segment = await admin.post('/api/v1/segments', {
      key: 'vips',
      name: 'VIPs',
      conditions: [{ attribute: 'email', operator: 'in', values: [SECRET_VALUE] }],
    });
    expect(segment.status).toBe(201);
    const banner = await admin.post('/api/v1/flags', {
      key: 'new-banner',
      type: 'boolean',
      clientSide: true,
      environments: {
        staging: {
          enabled: true,
          rules: [{ conditions: [{ attribute: 'email', operator: 'in', values: ['alice@shop.example'] }], serve: { variant: 'on' } }],
          defaultServe: { variant: 'off' },
        },
      },
    });
    expect(banner.status).toBe(201);
    expect(banner.body.clientSide).toBe(true);
    await admin.post('/api/v1/flags', {
      key: 'vip-pricing',
      type: 'boolean',
      environments: {
        staging: { enabled: true, rules: [{ conditions: [{ attribute: 'email', operator: 'in_segment', values: ['vips'] }], serve: { variant: 'on' } }] },
      },
    });
    const created = await admin.post('/api/v1/tokens', { name: 'shop-web', scopes: ['client:staging'], allowedOrigins: [PAGE], flagFilter: 'client-side' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatchObject({ scopes: ['client:staging'], allowedOrigins: [PAGE], flagFilter: 'client-side' });
    clientSecret = created.body.secret;
    client = admin.withToken(clientSecret);
    sdkSecret = await admin.token_('shop-backend', ['sdk:staging']);
    await server.app.get(ClientFlagCatalog).refresh();
  }, 60_000);
  afterAll(() => server.close());

  it('refuses client-token settings that do not fit, naming the field', async () => {
    const mixed = await admin.post('/api/v1/tokens', { name: 'x', scopes: ['client:staging', 'flags:read'] });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details).toEqual([{ path: 'scopes', problem: expect.stringContaining('no other scope') }]);
    const originsOnSdk = await admin.post('/api/v1/tokens', { name: 'x', scopes: ['sdk:staging'], allowedOrigins: [PAGE] });
    expect(originsOnSdk.status).toBe(400);
    expect(originsOnSdk.body.error.details[0].path).toBe('allowedOrigins');
    const badOrigin = await admin.post('/api/v1/tokens', { name: 'x', scopes: ['client:staging'], allowedOrigins: ['https://shop.example/path'] });
    expect(badOrigin.status).toBe(400);
    expect(badOrigin.body.error.details[0].path).toMatch(/^allowedOrigins/);
    const badFilter = await admin.post('/api/v1/tokens', { name: 'x', scopes: ['client:staging'], flagFilter: 'internal' });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.details[0].path).toBe('flagFilter');
    const flag = await admin.patch('/api/v1/flags/vip-pricing', { clientSide: 'yes' });
    expect(flag.status).toBe(400);
    expect(flag.body.error.details[0].path).toBe('clientSide');
  });

  it('evaluates only the flags its filter lets through, without rule ids, with ETag', async () => {
    const bulk = await client.post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1', email: 'alice@shop.example' } }, { origin: PAGE });
    expect(bulk.status).toBe(200);
    expect(bulk.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(bulk.body.flags).toEqual([
      { key: 'new-banner', value: true, variant: 'on', reason: 'TARGETING_MATCH', metadata: { reason: 'TARGETING_MATCH', flagVersion: 1 } },
    ]);
    expect(bulk.body.eventStreams).toBeUndefined();
    const etag = bulk.headers.get('etag')!;
    const again = await client.post('/ofrep/v1/evaluate/flags', { context: { email: 'alice@shop.example', targetingKey: 'u1' } }, { 'if-none-match': etag });
    expect(again.status).toBe(304);

    const hidden = await client.post('/ofrep/v1/evaluate/flags/vip-pricing', { context: { email: SECRET_VALUE } });
    const missing = await client.post('/ofrep/v1/evaluate/flags/no-such-flag', { context: {} });
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual({ ...missing.body, key: 'vip-pricing' });
    const one = await client.post('/ofrep/v1/evaluate/flags/new-banner', { context: { email: 'bob@shop.example' } });
    expect(one.body).toMatchObject({ key: 'new-banner', value: false, reason: 'UNKNOWN' });
    expect(JSON.stringify(one.body)).not.toContain('ruleId');
  });

  it('never reads the snapshot, the SDK streams, rules, segments or the admin API', async () => {
    for (const [method, path] of [
      ['GET', '/sdk/v1/snapshot'],
      ['GET', '/sdk/v1/stream'],
      ['POST', '/sdk/v1/metrics'],
      ['GET', '/ofrep/v1/events'],
      ['GET', '/api/v1/flags'],
      ['GET', '/api/v1/flags/new-banner'],
      ['GET', '/api/v1/segments/vips'],
    ] as const) {
      const res = await client.request(method, path, method === 'POST' ? { counts: [] } : undefined);
      expect([path, res.status]).toEqual([path, 403]);
      expect(JSON.stringify(res.body)).not.toContain(SECRET_VALUE);
      expect(JSON.stringify(res.body)).not.toContain('alice@shop.example');
    }
  });

  it('answers CORS for its origins only; sdk: tokens get no CORS at all', async () => {
    const preflight = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    const strangerPreflight = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(strangerPreflight.headers.get('access-control-allow-origin')).toBeNull();

    const stranger = await client.post('/ofrep/v1/evaluate/flags', { context: {} }, { origin: 'https://evil.example' });
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(stranger.body.error.message).toContain('origin');

    const sdk = await admin.withToken(sdkSecret).post('/ofrep/v1/evaluate/flags', { context: {} }, { origin: PAGE });
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('access-control-allow-origin')).toBeNull();
    const snapshot = await admin.withToken(sdkSecret).get('/sdk/v1/snapshot', { origin: PAGE });
    expect(snapshot.headers.get('access-control-allow-origin')).toBeNull();

    // A refusal before any token is known is readable by a listed origin, so the SDK can tell why.
    const unknown = await admin.withToken('sy_unknown').post('/ofrep/v1/evaluate/flags', { context: {} }, { origin: PAGE });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('refuses another environment, malformed and oversized contexts with clear 4xx answers', async () => {
    const other = await client.post('/ofrep/v1/evaluate/flags?environment=production', { context: {} });
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain('staging only');
    const malformed = await client.post('/ofrep/v1/evaluate/flags', { context: ['not', 'an', 'object'] });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ errorCode: 'INVALID_CONTEXT', errorDetails: 'context must be a JSON object' });
    const large = await client.post('/ofrep/v1/evaluate/flags', { context: { blob: 'x'.repeat(9000) } });
    expect(large.status).toBe(400);
    expect(large.body).toMatchObject({ errorCode: 'INVALID_CONTEXT', errorDetails: expect.stringContaining('8192 bytes') });
    const notJson = await client.post('/ofrep/v1/evaluate/flags', '{"context":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('MALFORMED_JSON');
  });

  it('streams evaluated values, once per group of equal contexts, and only when they change', async () => {
    const hub = server.app.get(ClientStreamHub);
    const url = `${server.url}/client/v1/stream`;
    const headers = { authorization: `Bearer ${clientSecret}`, origin: PAGE };
    const tabs = await Promise.all([1, 2, 3].map(() => SseClient.connect(url, headers, { context: { email: 'alice@shop.example' } })));
    const bob = await SseClient.connect(url, headers, { context: { email: 'bob@shop.example' } });
    for (const tab of [...tabs, bob]) expect(tab.status).toBe(200);
    const initial = await Promise.all([...tabs, bob].map((tab) => tab.next((e) => e.event === 'values')));
    expect(JSON.parse(initial[0].data).flags).toEqual([expect.objectContaining({ key: 'new-banner', value: true })]);
    expect(JSON.parse(initial[3].data).flags).toEqual([expect.objectContaining({ key: 'new-banner', value: false })]);
    expect(hub.stats).toMatchObject({ connections: 4, groups: 2 });

    // A hidden flag's change reaches nobody; the next visible change is the next frame.
    const before = hub.stats.evaluations;
    await admin.post('/api/v1/flags/vip-pricing/environments/staging/toggle', { enabled: false });
    await admin.post('/api/v1/flags/new-banner/environments/staging/toggle', { enabled: false });
    const changed = await Promise.all([...tabs, bob].map((tab) => tab.next((e) => e.event === 'changes')));
    expect(JSON.parse(changed[0].data).flags[0]).toMatchObject({ key: 'new-banner', value: false, reason: 'DISABLED' });
    expect(JSON.parse(changed[3].data).flags[0]).toMatchObject({ key: 'new-banner', value: false, reason: 'DISABLED' });
    for (const tab of [...tabs, bob]) expect(tab.events.map((e) => e.event)).toEqual(['values', 'changes']);
    // Two changes × two groups: four evaluations for four connections, whatever the number of tabs.
    expect(hub.stats.evaluations - before).toBe(4);
    for (const tab of [...tabs, bob]) tab.close();
  });

  it('takes usage beacons (text/plain, token in the body) for visible flags only', async () => {
    const beacon = await fetch(`${server.url}/client/v1/usage`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: PAGE },
      body: JSON.stringify({
        clientToken: clientSecret,
        counts: [
          { flag: 'new-banner', variant: 'on', count: 3 },
          { flag: 'vip-pricing', variant: 'on', count: 5 },
          { flag: 'made-up-by-a-page', variant: null, count: 1 },
        ],
      }),
    });
    expect(beacon.status).toBe(202);
    expect(await beacon.json()).toEqual({ accepted: 1 });
    const stranger = await fetch(`${server.url}/client/v1/usage`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: JSON.stringify({ clientToken: clientSecret, counts: [] }),
    });
    expect(stranger.status).toBe(403);
    const sdkToken = await fetch(`${server.url}/client/v1/usage`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ clientToken: sdkSecret, counts: [] }),
    });
    expect(sdkToken.status).toBe(403);
    const bad = await client.post('/client/v1/usage', { counts: [{ flag: 'new-banner', variant: 'on', count: -1 }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('counts[0].count');
  });

  // Last: it spends this address's allowance.
  it('limits requests per address with 429 and Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 260 }, () => client.post('/ofrep/v1/evaluate/flags/new-banner', { context: {} }, { origin: PAGE })));
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited[0].headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(limited[0].body.error).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter: expect.any(Number) });
  });
});
