import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

describe('flags admin API', () => {
  let server: TestServer;
  let api: ApiClient;
  beforeAll(async () => {
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
  });
  afterAll(() => server.close());

  it('creates the three default environments', async () => {
    const res = await api.get('/api/v1/environments');
    expect(res.body.items.map((e: any) => [e.key, e.requiresConfirmation])).toEqual([
      ['development', false],
      ['staging', false],
      ['production', true],
    ]);
  });

  it('creates, targets, toggles and versions a boolean flag', async () => {
    const created = await api.post('/api/v1/flags', { key: 'checkout.new-flow', name: 'New checkout', tags: ['checkout'], owner: 'payments', type: 'boolean' });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body.variants).toEqual({ on: true, off: false });
    expect(created.body.environments.production).toMatchObject({ enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } });

    const patched = await api.patch(
      '/api/v1/flags/checkout.new-flow/environments/development',
      {
        rules: [
          {
            description: 'Nordics',
            conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }],
            serve: {
              rollout: [
                { variant: 'on', weight: 30000 },
                { variant: 'off', weight: 70000 },
              ],
            },
          },
        ],
      },
      { 'if-match': '"1"' },
    );
    expect(patched.status).toBe(200);
    const rule = patched.body.environments.development.rules[0];
    expect(rule.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(rule.serve.salt).toBeTruthy();

    // The salt survives an edit of the percentages (users keep their bucket).
    const widened = await api.patch('/api/v1/flags/checkout.new-flow/environments/development', {
      rules: [
        {
          id: rule.id,
          conditions: rule.conditions,
          serve: {
            rollout: [
              { variant: 'on', weight: 60000 },
              { variant: 'off', weight: 40000 },
            ],
          },
        },
      ],
    });
    expect(widened.body.environments.development.rules[0].serve.salt).toBe(rule.serve.salt);

    const toggled = await api.post('/api/v1/flags/checkout.new-flow/environments/development/toggle', { enabled: true });
    expect(toggled.status).toBe(200);
    expect(toggled.body.environments.development.enabled).toBe(true);
    expect(toggled.headers.get('etag')).toBe('"4"');

    const versions = await api.get('/api/v1/flags/checkout.new-flow/versions');
    expect(versions.body.items.map((v: any) => v.version)).toEqual([4, 3, 2, 1]);

    const audit = await api.get('/api/v1/audit?target=flag:checkout.new-flow');
    expect(audit.body.items.map((e: any) => e.action)).toEqual(['flag.toggled', 'flag.environment.updated', 'flag.environment.updated', 'flag.created']);
    expect(audit.body.items[0]).toMatchObject({
      actor: 'token:bootstrap-admin',
      environment: 'development',
      before: { enabled: false },
      after: { enabled: true },
    });
  });

  it('asks for confirmation in production', async () => {
    await api.post('/api/v1/flags', { key: 'prod-guarded', type: 'boolean' });
    const refused = await api.post('/api/v1/flags/prod-guarded/environments/production/toggle', {});
    expect(refused.status).toBe(428);
    expect(refused.body.error.code).toBe('CONFIRMATION_REQUIRED');
    const done = await api.post('/api/v1/flags/prod-guarded/environments/production/toggle', {}, { 'x-switchyard-confirm': 'production' });
    expect(done.status).toBe(200);
    expect(done.body.environments.production.enabled).toBe(true);
  });

  it('asks for confirmation when a new flag sets production targeting, not when it starts off everywhere', async () => {
    const body = { key: 'born-live', type: 'boolean', environments: { production: { enabled: true } } };
    const refused = await api.post('/api/v1/flags', body);
    expect(refused.status).toBe(428);
    expect(refused.body.error).toMatchObject({
      code: 'CONFIRMATION_REQUIRED',
      details: [{ path: 'environment', problem: 'production requires confirmation' }],
    });
    expect((await api.get('/api/v1/flags/born-live')).status).toBe(404);
    const created = await api.post('/api/v1/flags', body, { 'x-switchyard-confirm': 'production' });
    expect(created.status).toBe(201);
    expect(created.body.environments.production.enabled).toBe(true);
    expect((await api.post('/api/v1/flags', { key: 'born-off', type: 'boolean', environments: { staging: { enabled: true } } })).status).toBe(201);
  });

  it('refuses a stale If-Match with 409 and the current version', async () => {
    await api.post('/api/v1/flags', { key: 'stale-edit', type: 'boolean' });
    await api.post('/api/v1/flags/stale-edit/environments/staging/toggle', {});
    const stale = await api.post('/api/v1/flags/stale-edit/environments/staging/toggle', {}, { 'if-match': '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
  });

  it('restores an earlier version as a new version', async () => {
    await api.post('/api/v1/flags', { key: 'restorable', type: 'string', variants: { a: 'A', b: 'B' } });
    await api.patch('/api/v1/flags/restorable/environments/staging', { defaultServe: { variant: 'b' } });
    const restored = await api.post('/api/v1/flags/restorable/versions/1/restore', {});
    expect(restored.status).toBe(200);
    expect(restored.body.version).toBe(3);
    expect(restored.body.environments.staging.defaultServe).toEqual({ variant: 'a' });
  });

  it('segments: create, use, refuse delete while used', async () => {
    expect(
      (
        await api.post('/api/v1/segments', {
          key: 'beta-testers',
          name: 'Beta',
          conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }],
        })
      ).status,
    ).toBe(201);
    await api.post('/api/v1/flags', { key: 'beta-only', type: 'boolean' });
    const used = await api.patch('/api/v1/flags/beta-only/environments/staging', {
      rules: [{ conditions: [{ attribute: '', operator: 'in_segment', values: ['beta-testers'] }], serve: { variant: 'on' } }],
    });
    expect(used.status).toBe(200);
    const refused = await api.delete('/api/v1/segments/beta-testers');
    expect(refused.status).toBe(409);
    expect(refused.body.error.usedBy.flags).toEqual(['beta-only']);
  });

  it('lists with search, tag and owner filters, and archives', async () => {
    await api.post('/api/v1/flags', { key: 'search.me', name: 'Findable', tags: ['growth'], owner: 'growth-team', type: 'boolean' });
    expect((await api.get('/api/v1/flags?search=findable')).body.items.map((f: any) => f.key)).toEqual(['search.me']);
    expect((await api.get('/api/v1/flags?tag=growth')).body.items.map((f: any) => f.key)).toEqual(['search.me']);
    expect((await api.get('/api/v1/flags?owner=growth-team')).body.items.map((f: any) => f.key)).toEqual(['search.me']);
    const archived = await api.delete('/api/v1/flags/search.me', { 'x-switchyard-confirm': 'production' });
    expect(archived.status).toBe(200);
    expect(archived.body.archived).toBe(true);
    expect((await api.get('/api/v1/flags?search=findable')).body.items).toEqual([]);
  });
});
