import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/** A browser-like client: keeps the session cookie and sends the CSRF token on unsafe requests. */
class Browser {
  cookie?: string;
  csrf?: string;
  constructor(readonly baseUrl: string) {}
  async request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...extra,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (parsed?.csrfToken) this.csrf = parsed.csrfToken;
    return { status: res.status, body: parsed, headers: res.headers, setCookie };
  }
}

describe('browser sessions, users, roles and CSRF', () => {
  let server: TestServer;
  let admin: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    admin = new ApiClient(server.url, server.adminToken);
    await admin.post('/api/v1/flags', { key: 'checkout', type: 'boolean' });
  });
  afterAll(() => server.close());

  it('sets up the first admin with the bootstrap token, once', async () => {
    const browser = new Browser(server.url);
    expect((await browser.request('GET', '/api/v1/setup')).body).toEqual({ needed: true });
    const wrong = await browser.request('POST', '/api/v1/setup', {
      adminToken: 'sy_wrong_token_value_123456',
      email: 'ada@example.com',
      name: 'Ada',
      password: 'correct horse battery',
    });
    expect(wrong.status).toBe(401);
    const done = await browser.request('POST', '/api/v1/setup', {
      adminToken: server.adminToken,
      email: 'Ada@Example.com',
      name: 'Ada',
      password: 'correct horse battery',
    });
    expect(done.status).toBe(201);
    expect(done.setCookie).toMatch(/^sy_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    expect(done.body.user).toMatchObject({ email: 'ada@example.com', role: 'admin' });
    expect((await browser.request('GET', '/api/v1/setup')).body).toEqual({ needed: false });
    const again = await new Browser(server.url).request('POST', '/api/v1/setup', {
      adminToken: server.adminToken,
      email: 'eve@example.com',
      name: 'Eve',
      password: 'correct horse battery',
    });
    expect(again.status).toBe(409);
  });

  it('signs in, requires the CSRF token for writes, names the user in the audit log, signs out', async () => {
    const browser = new Browser(server.url);
    const signedIn = await browser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'correct horse battery' });
    expect(signedIn.status).toBe(200);
    const csrf = browser.csrf!;
    browser.csrf = undefined;
    const refused = await browser.request('POST', '/api/v1/flags/checkout/environments/staging/toggle', {});
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('CSRF_REJECTED');
    browser.csrf = csrf;
    const toggled = await browser.request('POST', '/api/v1/flags/checkout/environments/staging/toggle', {});
    expect(toggled.status).toBe(200);
    const audit = await admin.get('/api/v1/audit?target=flag:checkout&action=flag.toggled');
    expect(audit.body.items[0].actor).toBe('user:ada@example.com');
    expect((await browser.request('DELETE', '/api/v1/session')).status).toBe(204);
    expect((await browser.request('GET', '/api/v1/session')).status).toBe(401);
  });

  it('gives roles their scopes: a viewer reads but cannot toggle', async () => {
    const adminBrowser = new Browser(server.url);
    await adminBrowser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'correct horse battery' });
    const created = await adminBrowser.request('POST', '/api/v1/users', {
      email: 'vic@example.com',
      name: 'Vic',
      role: 'viewer',
      password: 'viewer password 1',
    });
    expect(created.status).toBe(201);
    const viewer = new Browser(server.url);
    await viewer.request('POST', '/api/v1/session', { email: 'vic@example.com', password: 'viewer password 1' });
    expect((await viewer.request('GET', '/api/v1/flags')).status).toBe(200);
    const toggle = await viewer.request('POST', '/api/v1/flags/checkout/environments/staging/toggle', {});
    expect(toggle.status).toBe(403);
    expect(toggle.body.error.code).toBe('FORBIDDEN');
    expect((await viewer.request('GET', '/api/v1/users')).status).toBe(403);
  });

  it('rate-limits failed sign-ins with 429 and Retry-After', async () => {
    const browser = new Browser(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await browser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'wrong password!' })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    const limited = await browser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'correct horse battery' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
