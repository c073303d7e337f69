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

  it('audits sign-ins and failed sign-ins with the email tried and the client address, never the password', async () => {
    const browser = new Browser(server.url);
    expect((await browser.request('POST', '/api/v1/session', { email: 'Ada@example.com', password: 'not the password 42' })).status).toBe(401);
    expect((await browser.request('POST', '/api/v1/session', { email: 'nobody@example.com', password: 'not the password 42' })).status).toBe(401);
    expect((await browser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'correct horse battery' })).status).toBe(200);
    const failed = await admin.get('/api/v1/audit?action=session.sign-in-failed');
    expect(failed.body.items.map((e: any) => [e.actor, e.target, e.meta])).toEqual([
      ['user:nobody@example.com', 'user:nobody@example.com', { address: '127.0.0.1', reason: 'unknown-user' }],
      ['user:ada@example.com', 'user:ada@example.com', { address: '127.0.0.1', reason: 'wrong-password' }],
    ]);
    const signedIn = await admin.get('/api/v1/audit?action=session.sign-in&actor=user:ada@example.com');
    expect(signedIn.body.items[0]).toMatchObject({ target: 'user:ada@example.com', meta: { address: '127.0.0.1' } });
    const everything = JSON.stringify((await admin.get('/api/v1/audit?limit=500')).body);
    expect(everything).not.toContain('not the password 42');
    expect(everything).not.toContain('correct horse battery');
  });

  it('treats a malformed session cookie as no session (401), never a 500', async () => {
    for (const cookie of ['sy_session=%E0%A4%A', 'sy_session=%', 'sy_session=%ZZ; other=1']) {
      const browser = new Browser(server.url);
      browser.cookie = cookie;
      const session = await browser.request('GET', '/api/v1/session');
      expect(session.status).toBe(401);
      expect(session.body.error.code).toBe('UNAUTHENTICATED');
      expect((await browser.request('GET', '/api/v1/flags')).status).toBe(401);
    }
  });

  it('refuses a CSRF header of the right length but other bytes (non-ASCII) with 403', async () => {
    const browser = new Browser(server.url);
    await browser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'correct horse battery' });
    const length = browser.csrf!.length;
    for (const forged of ['é'.repeat(length), `${'a'.repeat(length - 1)}\u00ff`, 'x'.repeat(length)]) {
      browser.csrf = forged;
      const refused = await browser.request('POST', '/api/v1/flags/checkout/environments/staging/toggle', {});
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('CSRF_REJECTED');
    }
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

  it('ignores X-Forwarded-For by default: rotating it does not escape the sign-in throttle', async () => {
    const browser = new Browser(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const forwarded = { 'x-forwarded-for': `198.51.100.${i + 1}` };
      statuses.push((await browser.request('POST', '/api/v1/session', { email: 'vic@example.com', password: 'wrong password!' }, forwarded)).status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    const failed = await admin.get('/api/v1/audit?action=session.sign-in-failed&actor=user:vic@example.com');
    expect(new Set(failed.body.items.map((e: any) => e.meta.address))).toEqual(new Set(['127.0.0.1']));
  });
});

describe('TRUST_PROXY: X-Forwarded-For is believed from the listed proxies only', () => {
  let server: TestServer;
  let admin: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none', env: { TRUST_PROXY: '127.0.0.1' } });
    admin = new ApiClient(server.url, server.adminToken);
    const setup = await new Browser(server.url).request('POST', '/api/v1/setup', {
      adminToken: server.adminToken,
      email: 'ada@example.com',
      name: 'Ada',
      password: 'correct horse battery',
    });
    expect(setup.status).toBe(201);
  });
  afterAll(() => server.close());

  it('keys the throttle and the audit on the forwarded client address', async () => {
    const browser = new Browser(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const forwarded = { 'x-forwarded-for': `203.0.113.${i + 1}` };
      statuses.push((await browser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'wrong password!' }, forwarded)).status);
    }
    // Each address has its own budget: the proxy is trusted to say who the client is.
    expect(statuses.every((s) => s === 401)).toBe(true);
    const failed = await admin.get('/api/v1/audit?action=session.sign-in-failed&limit=1');
    expect(failed.body.items[0].meta.address).toBe('203.0.113.12');
    const one = { 'x-forwarded-for': '192.0.2.77' };
    for (let i = 0; i < 10; i++) await browser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'wrong password!' }, one);
    expect((await browser.request('POST', '/api/v1/session', { email: 'ada@example.com', password: 'correct horse battery' }, one)).status).toBe(429);
  });
});
