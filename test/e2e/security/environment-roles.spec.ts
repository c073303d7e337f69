import { ApiClient } from '../../support/api-client';
import { PASSWORD, setUpFirstAdmin, signIn as signInAt, type SessionClient } from '../../support/people';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Per-environment roles: a person's role may differ per environment (an editor in development, a
 * viewer in production). Writes to one environment, approvals and the tokens a person makes follow
 * the role in that environment; writes that are not about one environment follow the base role.
 */
describe('per-environment roles', () => {
  let server: TestServer;
  let admin: ApiClient;

  const signIn = (email: string) => signInAt(server.url, email);

  async function person(email: string, role: string, environmentRoles: Record<string, string>): Promise<SessionClient> {
    const created = await admin.post('/api/v1/users', { email, name: email, role, environmentRoles, password: PASSWORD });
    expect(created.status).toBe(201);
    expect(created.body.environmentRoles).toEqual(environmentRoles);
    return signIn(email);
  }

  const toggle = (client: ApiClient, key: string, environment: string, enabled: boolean) =>
    client.post(`/api/v1/flags/${key}/environments/${environment}/toggle`, { enabled }, { 'x-switchyard-confirm': environment });

  beforeAll(async () => {
    server = await startTestServer({ productionApproval: true });
    admin = new ApiClient(server.url, server.adminToken);
    await setUpFirstAdmin(admin, server.adminToken, 'root@example.com', 'Root');
    for (const key of ['checkout', 'search']) expect((await admin.post('/api/v1/flags', { key, type: 'boolean' })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses an override naming an unknown environment or role with 400 naming the field', async () => {
    const unknownEnvironment = await admin.post('/api/v1/users', {
      email: 'x@example.com',
      name: 'X',
      role: 'viewer',
      environmentRoles: { nowhere: 'editor' },
      password: PASSWORD,
    });
    expect(unknownEnvironment.status).toBe(400);
    expect(unknownEnvironment.body.error.details[0].path).toBe('environmentRoles.nowhere');
    const unknownRole = await admin.post('/api/v1/users', {
      email: 'x@example.com',
      name: 'X',
      role: 'viewer',
      environmentRoles: { development: 'owner' },
      password: PASSWORD,
    });
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.body.error.details[0].path).toBe('environmentRoles.development');
    expect((await admin.get('/api/v1/users')).body.items.map((u: { email: string }) => u.email)).not.toContain('x@example.com');
  });

  it('lets an editor in development and viewer elsewhere toggle development (200) and refuses production (403 naming it)', async () => {
    const dev = await person('dev@example.com', 'viewer', { development: 'editor' });
    expect((await dev.get('/api/v1/session')).body.user.environmentRoles).toEqual({ development: 'editor' });
    const allowed = await toggle(dev, 'checkout', 'development', true);
    expect(allowed.status).toBe(200);
    expect(allowed.body.environments.development.enabled).toBe(true);
    expect((await dev.patch('/api/v1/flags/checkout/environments/development', { offVariant: 'off' })).status).toBe(200);

    const refused = await toggle(dev, 'checkout', 'production', true);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    expect(refused.body.error.message).toContain('"production"');
    expect((await admin.get('/api/v1/flags/checkout')).body.environments.production.enabled).toBe(false);
    expect((await admin.get('/api/v1/change-requests?state=pending')).body.items).toEqual([]);
    // Not about one environment: the base role (viewer) decides.
    expect((await dev.post('/api/v1/flags', { key: 'by-dev', type: 'boolean' })).status).toBe(403);
  });

  it('takes write away in one environment from a base editor, including restores that write every environment', async () => {
    const ed = await person('ed@example.com', 'editor', { production: 'viewer' });
    expect((await toggle(ed, 'search', 'staging', true)).status).toBe(200);
    const refused = await toggle(ed, 'search', 'production', true);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('"production"');
    const everywhere = await ed.post('/api/v1/flags/search/versions/1/restore', {});
    expect(everywhere.status).toBe(403);
    expect(everywhere.body.error.message).toContain('every environment');
    expect((await ed.post('/api/v1/flags/search/versions/1/restore?environment=staging', {})).status).toBe(200);
    // The definition is not per environment: the base role (editor) may change it.
    expect((await ed.patch('/api/v1/flags/search', { description: 'Search v2' })).status).toBe(200);
  });

  it('needs approve in the environment of the change request', async () => {
    const author = await person('author@example.com', 'editor', {});
    const pending = await toggle(author, 'checkout', 'production', true);
    expect(pending.status).toBe(202);
    const id = pending.body.changeRequest?.id ?? pending.body.id;
    expect(typeof id).toBe('string');

    const stagingApprover = await person('sa@example.com', 'viewer', { staging: 'approver' });
    const wrongPlace = await stagingApprover.post(`/api/v1/change-requests/${id}/approve`, {});
    expect(wrongPlace.status).toBe(403);
    expect(wrongPlace.body.error.message).toContain('"production"');
    const demoted = await person('demoted@example.com', 'approver', { production: 'viewer' });
    expect((await demoted.post(`/api/v1/change-requests/${id}/approve`, {})).status).toBe(403);
    // No approve anywhere: the guard refuses before the request is looked at.
    expect((await stagingApprover.post(`/api/v1/change-requests/${id}/reject`, { comment: 'no' })).status).toBe(403);
    expect((await admin.get(`/api/v1/change-requests/${id}`)).body.state).toBe('pending');

    const productionApprover = await person('pa@example.com', 'viewer', { production: 'approver' });
    const approved = await productionApprover.post(`/api/v1/change-requests/${id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('applied');
    expect((await admin.get('/api/v1/flags/checkout')).body.environments.production.enabled).toBe(true);
  });

  it('never lets a token hold more than its creator; environment-limited write scopes hold in that environment only', async () => {
    const created = await admin.post('/api/v1/users', {
      email: 'lim@example.com',
      name: 'Lim',
      role: 'admin',
      environmentRoles: { production: 'viewer' },
      password: PASSWORD,
    });
    expect(created.status).toBe(201);
    const lim = await signIn('lim@example.com');
    for (const scopes of [['flags:write'], ['admin'], ['flags:write:production'], ['approve:production']]) {
      const beyond = await lim.post('/api/v1/tokens', { name: `beyond-${scopes[0]}`, scopes });
      expect(beyond.status).toBe(403);
      expect(beyond.body.error.message).toContain(`"${scopes[0]}"`);
    }
    const bad = await lim.post('/api/v1/tokens', { name: 'bad', scopes: ['flags:write:Prod uction'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('scopes');

    const made = await lim.post('/api/v1/tokens', { name: 'dev-writer', scopes: ['flags:write:development', 'flags:read', 'deploy'] });
    expect(made.status).toBe(201);
    const token = new ApiClient(server.url, made.body.secret as string);
    expect((await toggle(token, 'search', 'development', true)).status).toBe(200);
    const refused = await toggle(token, 'search', 'production', false);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('"production"');
    expect((await token.post('/api/v1/flags', { key: 'by-token', type: 'boolean' })).status).toBe(403);
    expect((await token.get('/api/v1/flags/search')).status).toBe(200);
    // An admin cannot lower their own role in an environment (they would lock themselves out of fixing it).
    const root = await signIn('root@example.com');
    const me = (await root.get('/api/v1/session')).body.user.id as string;
    expect((await root.patch(`/api/v1/users/${me}`, { environmentRoles: { production: 'viewer' } })).status).toBe(403);
  });

  it('ends sessions when overrides change, so a narrowed role applies at once', async () => {
    const later = await person('later@example.com', 'editor', {});
    expect((await toggle(later, 'search', 'staging', false)).status).toBe(200);
    const id = ((await admin.get('/api/v1/users')).body.items as Array<{ id: string; email: string }>).find((u) => u.email === 'later@example.com')!.id;
    const changed = await admin.patch(`/api/v1/users/${id}`, { environmentRoles: { staging: 'viewer' } });
    expect(changed.status).toBe(200);
    expect(changed.body.environmentRoles).toEqual({ staging: 'viewer' });
    expect((await toggle(later, 'search', 'staging', true)).status).toBe(401);
    const again = await signIn('later@example.com');
    expect((await toggle(again, 'search', 'staging', true)).status).toBe(403);
  });
});
