import { randomBytes } from 'node:crypto';
import { Database } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

const stringFlag = (key: string) => ({ key, type: 'string', variants: { a: 'a', b: 'b' } });

describe('/metrics', () => {
  let server: TestServer;
  let admin: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    admin = new ApiClient(server.url, server.adminToken);
  });
  afterAll(() => server.close());

  it('exposes the HTTP histogram by route template, not raw URL', async () => {
    await fetch(`${server.url}/api/v1/installation`);
    await fetch(`${server.url}/no/such/thing/12345`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/installation",status="200"\} 1/);
    expect(text).not.toContain('12345');
  });

  it('counts SDK usage only for flags and variants that exist: 5,000 unknown keys never become labels or rows', async () => {
    expect((await admin.post('/api/v1/flags', stringFlag('known-flag'))).status).toBe(201);
    const sdk = admin.withToken(await admin.token_('usage-dev', ['sdk:development']));
    const before = (await (await fetch(`${server.url}/metrics`)).text()).length;

    const ghosts = Array.from({ length: 5000 }, () => `ghost-${randomBytes(8).toString('hex')}`);
    for (let i = 0; i < ghosts.length; i += 1000) {
      const posted = await sdk.post('/sdk/v1/metrics', { counts: ghosts.slice(i, i + 1000).map((flag) => ({ flag, variant: 'on', count: 1 })) });
      expect({ status: posted.status, body: posted.body }).toEqual({ status: 202, body: { accepted: 0 } });
    }
    const mixed = await sdk.post('/sdk/v1/metrics', {
      counts: [
        { flag: 'known-flag', variant: 'a', count: 7 },
        { flag: 'known-flag', variant: 'not-a-variant', count: 1 },
      ],
    });
    expect(mixed.body).toEqual({ accepted: 1 });

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('switchyard_flag_evaluations_total{environment="development",flag="known-flag",variant="a"} 7');
    expect(text).toMatch(/^switchyard_flag_usage_ignored_total 5001$/m);
    expect(text).not.toContain('ghost-');
    expect(text).not.toContain('not-a-variant');
    // 5,000 series would add hundreds of kilobytes; only the new routes' HTTP histograms appear.
    expect(text.length - before).toBeLessThan(20_000);
    const rows: Array<{ flag_key: string }> = await server.app.get(Database).query('SELECT DISTINCT flag_key FROM flag_usage');
    expect(rows.map((r) => r.flag_key)).toEqual(['known-flag']);
  });
});

describe('/metrics with METRICS_TOKEN and a cap on flag series', () => {
  const metricsToken = `metrics-${randomBytes(12).toString('hex')}`;
  let server: TestServer;
  let admin: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none', env: { METRICS_TOKEN: metricsToken, METRICS_MAX_FLAG_SERIES: '2' } });
    admin = new ApiClient(server.url, server.adminToken);
  });
  afterAll(() => server.close());

  const scrape = (authorization?: string) => fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });

  it('answers 401 in the error shape without the token, and the exposition with it', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${server.adminToken}`, `Basic ${metricsToken}`, `Bearer ${metricsToken}é`]) {
      const refused = await scrape(authorization);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({
        error: { code: 'UNAUTHENTICATED', message: '/metrics needs Authorization: Bearer <METRICS_TOKEN>', details: [], requestId: expect.any(String) },
      });
    }
    const allowed = await scrape(`Bearer ${metricsToken}`);
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('process_cpu_user_seconds_total');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('counts flags past METRICS_MAX_FLAG_SERIES label sets under flag="_other"', async () => {
    for (const key of ['f1', 'f2', 'f3', 'f4']) expect((await admin.post('/api/v1/flags', stringFlag(key))).status).toBe(201);
    const sdk = admin.withToken(await admin.token_('usage-dev', ['sdk:development']));
    const counts = [
      { flag: 'f1', variant: 'a', count: 1 },
      { flag: 'f2', variant: 'a', count: 2 },
      { flag: 'f3', variant: 'a', count: 4 },
      { flag: 'f4', variant: 'b', count: 8 },
    ];
    expect((await sdk.post('/sdk/v1/metrics', { counts })).body).toEqual({ accepted: 4 });
    expect((await sdk.post('/sdk/v1/metrics', { counts: [{ flag: 'f1', variant: 'a', count: 16 }] })).body).toEqual({ accepted: 1 });
    const text = await (await scrape(`Bearer ${metricsToken}`)).text();
    const series = text.split('\n').filter((line) => line.startsWith('switchyard_flag_evaluations_total{'));
    expect(series.sort()).toEqual([
      'switchyard_flag_evaluations_total{environment="development",flag="_other",variant=""} 12',
      'switchyard_flag_evaluations_total{environment="development",flag="f1",variant="a"} 17',
      'switchyard_flag_evaluations_total{environment="development",flag="f2",variant="a"} 2',
    ]);
    // The cap is on labels only: usage per flag is still recorded in full.
    expect((await admin.get('/api/v1/flags/f4/usage')).body.totals).toEqual([
      expect.objectContaining({ environment: 'development', variant: 'b', evaluations: 8 }),
    ]);
  });
});
