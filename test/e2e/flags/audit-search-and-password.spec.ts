import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/** A browser-like client: keeps the session cookie and sends the CSRF token on unsafe requests. */
class Browser {
  cookie?: string;
  csrf?: string;
  constructor(readonly baseUrl: string) {}
  async request(method: string, path: string, body?: unknown) {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (parsed?.csrfToken) this.csrf = parsed.csrfToken;
    return { status: res.status, body: parsed };
  }
  signIn(email: string, password: string) {
    return this.request('POST', '/api/v1/session', { email, password });
  }
}

const ADA = { email: 'ada@example.com', name: 'Ada Lovelace', password: 'correct horse battery' };

describe('audit prefix search, actor names and the own-password route', () => {
  let server: TestServer;
  let admin: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    admin = new ApiClient(server.url, server.adminToken);
    expect((await admin.post('/api/v1/setup', { adminToken: server.adminToken, ...ADA })).status).toBe(201);
    for (const key of ['checkout.new-flow', 'checkout.old-flow', 'checkouts', 'search_v2', 'searchxv2']) {
      expect((await admin.post('/api/v1/flags', { key, type: 'boolean' })).status).toBe(201);
    }
  });
  afterAll(() => server.close());

  const targets = async (query: string) =>
    ((await admin.get(`/api/v1/audit?action=flag.created&${query}`)).body.items as Array<{ target: string }>).map((e) => e.target).sort();

  it('matches a trailing * as a prefix and everything else exactly', async () => {
    expect(await targets('target=flag:checkout.*')).toEqual(['flag:checkout.new-flow', 'flag:checkout.old-flow']);
    expect(await targets('target=flag:checkout*')).toEqual(['flag:checkout.new-flow', 'flag:checkout.old-flow', 'flag:checkouts']);
    expect(await targets('target=flag:checkout')).toEqual([]);
    expect(await targets('target=flag:checkouts')).toEqual(['flag:checkouts']);
    expect(await targets(`actor=${encodeURIComponent('token:*')}`)).toHaveLength(5);
    expect(await targets('actor=token:')).toEqual([]);
  });

  it('treats LIKE wildcards in the prefix literally', async () => {
    // `_` would match any character in LIKE: search_* must not find searchxv2.
    expect(await targets('target=flag:search_*')).toEqual(['flag:search_v2']);
    expect(await targets(`target=${encodeURIComponent('flag:%*')}`)).toEqual([]);
    expect(await targets(`target=${encodeURIComponent('flag:\\*')}`)).toEqual([]);
  });

  it('keeps refusing NUL and over-long filters', async () => {
    const nul = await admin.get('/api/v1/audit?target=flag:%00*');
    expect(nul.status).toBe(400);
    expect(nul.body.error.code).toBe('VALIDATION_FAILED');
    expect((await admin.get(`/api/v1/audit?actor=${'a'.repeat(301)}*`)).status).toBe(400);
  });

  it('names people in the audit log and leaves tokens as they are', async () => {
    const browser = new Browser(server.url);
    expect((await browser.signIn(ADA.email, ADA.password)).status).toBe(200);
    expect((await browser.request('POST', '/api/v1/flags', { key: 'by-ada', type: 'boolean' })).status).toBe(201);
    const mine = await admin.get('/api/v1/audit?target=flag:by-ada');
    expect(mine.body.items[0]).toMatchObject({ actor: 'user:ada@example.com', actorName: 'Ada Lovelace' });
    const tokens = await admin.get('/api/v1/audit?target=flag:checkouts');
    expect(tokens.body.items[0].actorName).toBeNull();
  });

  it('answers GET /api/v1/session?optional=true with user null when signed out, 401 without it', async () => {
    const anonymous = new Browser(server.url);
    expect(await anonymous.request('GET', '/api/v1/session?optional=true')).toEqual({ status: 200, body: { user: null } });
    expect((await anonymous.request('GET', '/api/v1/session')).status).toBe(401);
    const browser = new Browser(server.url);
    await browser.signIn(ADA.email, ADA.password);
    expect((await browser.request('GET', '/api/v1/session?optional=true')).body.user.email).toBe(ADA.email);
  });

  it('changes the own password: audited, other sessions end, the old password stops working', async () => {
    const here = new Browser(server.url);
    const elsewhere = new Browser(server.url);
    await here.signIn(ADA.email, ADA.password);
    await elsewhere.signIn(ADA.email, ADA.password);

    const short = await here.request('POST', '/api/v1/session/password', { currentPassword: ADA.password, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.details).toEqual([{ path: 'newPassword', problem: 'must be at least 12 characters' }]);
    const wrong = await here.request('POST', '/api/v1/session/password', { currentPassword: 'not my password', newPassword: 'a brand new password' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([{ path: 'currentPassword', problem: 'is not your current password' }]);

    const changed = await here.request('POST', '/api/v1/session/password', { currentPassword: ADA.password, newPassword: 'a brand new password' });
    expect(changed.status).toBe(204);
    expect((await here.request('GET', '/api/v1/session')).status).toBe(200);
    expect((await elsewhere.request('GET', '/api/v1/session')).status).toBe(401);
    expect((await new Browser(server.url).signIn(ADA.email, ADA.password)).status).toBe(401);
    expect((await new Browser(server.url).signIn(ADA.email, 'a brand new password')).status).toBe(200);

    const events = await admin.get('/api/v1/audit?action=user.password-changed');
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0]).toMatchObject({ actor: 'user:ada@example.com', target: 'user:ada@example.com', actorName: 'Ada Lovelace' });
    expect(JSON.stringify(events.body.items[0])).not.toContain('brand new');
    ADA.password = 'a brand new password';
  });

  it('refuses API tokens, and counts wrong current passwords toward the sign-in throttle', async () => {
    const body = { currentPassword: 'whatever it is', newPassword: 'a long enough password' };
    const asToken = await admin.post('/api/v1/session/password', body);
    expect(asToken.status).toBe(403);
    expect(asToken.body.error.message).toMatch(/API tokens/);
    expect((await new ApiClient(server.url).post('/api/v1/session/password', body)).status).toBe(401);

    const browser = new Browser(server.url);
    await browser.signIn(ADA.email, ADA.password);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await browser.request('POST', '/api/v1/session/password', body)).status);
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
    // The same throttle guards sign-in from this address.
    expect((await new Browser(server.url).signIn(ADA.email, ADA.password)).status).toBe(429);
  });
});
