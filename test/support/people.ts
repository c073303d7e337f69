import { ApiClient } from './api-client';

/** The password every person made by these helpers signs in with. */
export const PASSWORD = 'correct horse battery staple';

/** A signed-in person: the session cookie, and the CSRF token on state-changing requests. */
export class SessionClient extends ApiClient {
  constructor(
    baseUrl: string,
    private readonly cookie: string,
    private readonly csrf: string,
  ) {
    super(baseUrl);
  }

  override request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return super.request(method, path, body, { cookie: this.cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': this.csrf }), ...headers });
  }
}

/** Signs `email` in with {@link PASSWORD} through the session endpoint, as the admin UI does. */
export async function signIn(baseUrl: string, email: string): Promise<SessionClient> {
  const res = await fetch(`${baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return new SessionClient(baseUrl, (res.headers.get('set-cookie') ?? '').split(';')[0], csrfToken);
}

/** Completes the first-run setup of a fresh installation: its first admin user. */
export async function setUpFirstAdmin(admin: ApiClient, adminToken: string, email: string, name: string): Promise<void> {
  expect((await admin.post('/api/v1/setup', { adminToken, email, name, password: PASSWORD })).status).toBe(201);
}

/** Adds a person with `role` (through the admin API) who signs in with {@link PASSWORD}. */
export async function addPerson(admin: ApiClient, email: string, name: string, role: string): Promise<void> {
  expect((await admin.post('/api/v1/users', { email, name, role, password: PASSWORD })).status).toBe(201);
}
