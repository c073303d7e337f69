import { ApiClient } from '../../support/api-client';
import { SseClient } from '../../support/sse-client';
import { startTestServer, type TestServer } from '../../support/test-server';

describe('OFREP bulk evaluation, ETag, event stream and CORS', () => {
  let server: TestServer;
  let admin: ApiClient;
  let sdk: ApiClient;
  beforeAll(async () => {
    server = await startTestServer();
    admin = new ApiClient(server.url, server.adminToken);
    await admin.post('/api/v1/flags', { key: 'dark-mode', type: 'boolean', environments: { staging: { enabled: true } } });
    await admin.post('/api/v1/flags', {
      key: 'plan',
      type: 'string',
      variants: { free: 'free', pro: 'pro' },
      environments: {
        staging: {
          enabled: true,
          rules: [{ conditions: [{ attribute: 'country', operator: 'in', values: ['NO'] }], serve: { variant: 'pro' } }],
          defaultServe: { variant: 'free' },
        },
      },
    });
    sdk = admin.withToken(await admin.token_('web-staging', ['sdk:staging']));
  });
  afterAll(() => server.close());

  it('evaluates one flag, with OFREP errors for unknown flags and bad contexts', async () => {
    const one = await sdk.post('/ofrep/v1/evaluate/flags/plan', { context: { targetingKey: 'u1', country: 'NO' } });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      key: 'plan',
      value: 'pro',
      variant: 'pro',
      reason: 'TARGETING_MATCH',
      metadata: { reason: 'TARGETING_MATCH', flagVersion: 1 },
    });
    const fallback = await sdk.post('/ofrep/v1/evaluate/flags/plan', { context: { country: 'SE' } });
    expect(fallback.body).toMatchObject({ value: 'free', reason: 'UNKNOWN', metadata: { reason: 'DEFAULT' } });
    const missing = await sdk.post('/ofrep/v1/evaluate/flags/nope', { context: {} });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ key: 'nope', errorCode: 'FLAG_NOT_FOUND', errorDetails: expect.any(String) });
    const bad = await sdk.post('/ofrep/v1/evaluate/flags/plan', { context: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ key: 'plan', errorCode: 'INVALID_CONTEXT' });
  });

  it('evaluates all flags with an ETag per snapshot version and context, and points at the event stream', async () => {
    const first = await sdk.post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1', country: 'NO' } });
    expect(first.status).toBe(200);
    expect(first.body.flags).toEqual([
      expect.objectContaining({ key: 'dark-mode', value: true, reason: 'STATIC' }),
      expect.objectContaining({ key: 'plan', value: 'pro', reason: 'TARGETING_MATCH' }),
    ]);
    const etag = first.headers.get('etag')!;
    expect((await sdk.post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1', country: 'NO' } }, { 'if-none-match': etag })).status).toBe(304);
    const otherContext = await sdk.post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u2' } }, { 'if-none-match': etag });
    expect(otherContext.status).toBe(200);

    const [stream] = first.body.eventStreams;
    expect(stream).toMatchObject({ type: 'sse', url: expect.stringContaining('/ofrep/v1/events?environment=staging') });
    const events = await SseClient.connect(stream.url, { authorization: `Bearer ${sdk.token}` });
    await admin.post('/api/v1/flags/dark-mode/environments/staging/toggle', { enabled: false });
    const refetch = await events.next();
    expect(JSON.parse(refetch.data)).toEqual({ type: 'refetchEvaluation', etag: expect.stringMatching(/^"staging:\d+"$/) });
    events.close();
    const after = await sdk.post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1', country: 'NO' } }, { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(after.body.flags[0]).toMatchObject({ key: 'dark-mode', value: false, reason: 'DISABLED' });
  });

  it('answers CORS preflights only for origins a client token allows (sdk: tokens are not for browsers)', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    expect((await preflight('https://app.example')).headers.get('access-control-allow-origin')).toBeNull();
    const created = await admin.post('/api/v1/tokens', { name: 'app-web', scopes: ['client:staging'], allowedOrigins: ['https://app.example'] });
    expect(created.status).toBe(201);
    const res = await preflight('https://app.example');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
  });
});
