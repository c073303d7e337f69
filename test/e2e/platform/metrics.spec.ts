import { startTestServer, type TestServer } from '../../support/test-server';

describe('/metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
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
});
