import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

const split = (on: number) => ({
  rollout: [
    { variant: 'on', weight: on },
    { variant: 'off', weight: 100000 - on },
  ],
});

/** Plain-language change review over the API: audit summaries, comments (required per environment) and restores that change only what they say. */
describe('change review API', () => {
  let server: TestServer;
  let api: ApiClient;
  beforeAll(async () => {
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
  });
  afterAll(() => server.close());

  const latestAudit = async (target: string) => (await api.get(`/api/v1/audit?target=${encodeURIComponent(target)}&limit=1`)).body.items[0];

  it('gives flag audit events a plain-language summary and the flag version', async () => {
    await api.post('/api/v1/flags', { key: 'review.summary', type: 'boolean' });
    await api.patch('/api/v1/flags/review.summary/environments/staging', { defaultServe: split(40000) });
    await api.patch('/api/v1/flags/review.summary/environments/staging', { defaultServe: split(30000) });
    const event = await latestAudit('flag:review.summary');
    expect(event).toMatchObject({ action: 'flag.environment.updated', summary: ['Staging: Default: on 40 % → 30 %, off 60 % → 70 %'], comment: null });
    expect(event.meta.version).toBe(3);
    await api.post('/api/v1/flags/review.summary/environments/production/toggle', { enabled: true }, { 'x-switchyard-confirm': 'production' });
    expect((await latestAudit('flag:review.summary')).summary).toEqual(['Production: turns ON']);
  });

  it('requires a comment where the environment says so: 400 naming comment, then stored in audit and history', async () => {
    const setting = await api.patch('/api/v1/environments/staging', { requiresComment: true });
    expect(setting.status).toBe(200);
    expect(setting.body.requiresComment).toBe(true);
    try {
      await api.post('/api/v1/flags', { key: 'review.comment', type: 'boolean' });
      const refused = await api.post('/api/v1/flags/review.comment/environments/staging/toggle', { enabled: true });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
      expect(refused.body.error.details).toEqual([{ path: 'comment', problem: 'is required for changes to Staging' }]);
      const blank = await api.patch('/api/v1/flags/review.comment/environments/staging', { offVariant: 'on' }, { 'x-switchyard-comment': '   ' });
      expect(blank.status).toBe(400);
      expect((await api.get('/api/v1/flags/review.comment')).body.environments.staging.enabled).toBe(false);

      // Other environments do not ask.
      expect((await api.post('/api/v1/flags/review.comment/environments/development/toggle', { enabled: true })).status).toBe(200);

      const comment = 'Nordics launch, ticket REL-42 (Ø)';
      const toggled = await api.post(
        '/api/v1/flags/review.comment/environments/staging/toggle',
        { enabled: true },
        { 'x-switchyard-comment': encodeURIComponent(comment) },
      );
      expect(toggled.status).toBe(200);
      const event = await latestAudit('flag:review.comment');
      expect(event).toMatchObject({ action: 'flag.toggled', environment: 'staging', comment, summary: ['Staging: turns ON'] });
      const versions = (await api.get('/api/v1/flags/review.comment/versions')).body.items;
      expect(versions[0]).toMatchObject({ version: toggled.body.version, comment });

      const tooLong = await api.post('/api/v1/flags/review.comment/environments/staging/toggle', {}, { 'x-switchyard-comment': 'x'.repeat(1001) });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.details[0].path).toBe('comment');
    } finally {
      await api.patch('/api/v1/environments/staging', { requiresComment: false });
    }
  });

  it('restores only the environments that differ, asking for confirmation only when a guarded one is among them', async () => {
    await api.post('/api/v1/flags', { key: 'review.restore', type: 'boolean' });
    await api.patch('/api/v1/flags/review.restore/environments/staging', { enabled: true, defaultServe: split(40000) }); // v2
    await api.patch('/api/v1/flags/review.restore/environments/staging', { defaultServe: split(30000) }); // v3
    const envsBefore = (await api.get('/api/v1/environments')).body.items;

    // v2 differs from now in staging only: production needs no confirmation, and nothing else moves.
    const restored = await api.post('/api/v1/flags/review.restore/versions/2/restore', {});
    expect(restored.status).toBe(200);
    expect(restored.body.version).toBe(4);
    expect(restored.body.environments.staging.defaultServe.rollout[0].weight).toBe(40000);
    const envsAfter = (await api.get('/api/v1/environments')).body.items;
    const bumped = envsAfter.filter((env: any) => env.version !== envsBefore.find((b: any) => b.key === env.key).version).map((env: any) => env.key);
    expect(bumped).toEqual(['staging']);
    expect((await latestAudit('flag:review.restore')).summary).toEqual(['Staging: Default: on 30 % → 40 %, off 70 % → 60 %']);

    // Turning production on, then restoring v1, changes production: confirmation is required.
    await api.post('/api/v1/flags/review.restore/environments/production/toggle', { enabled: true }, { 'x-switchyard-confirm': 'production' });
    const unconfirmed = await api.post('/api/v1/flags/review.restore/versions/1/restore', {});
    expect(unconfirmed.status).toBe(428);

    // One environment only: staging goes back to v1, production stays on.
    const single = await api.post('/api/v1/flags/review.restore/versions/1/restore?environment=staging', {});
    expect(single.status).toBe(200);
    expect(single.body.environments.staging).toMatchObject({ enabled: false, defaultServe: { variant: 'on' } });
    expect(single.body.environments.production.enabled).toBe(true);
    expect((await latestAudit('flag:review.restore')).summary).toEqual(['Staging: turns OFF', 'Staging: Default: on 40 %, off 60 % → on']);
  });

  it('asks every guarded environment to confirm when a restore changes variants', async () => {
    await api.post('/api/v1/flags', { key: 'review.variants', type: 'string', variants: { a: 'A', b: 'B' } });
    await api.patch('/api/v1/flags/review.variants', { variants: { a: 'A', b: 'B', c: 'C' } }, { 'x-switchyard-confirm': 'production' });
    expect((await api.post('/api/v1/flags/review.variants/versions/1/restore', {})).status).toBe(428);
    const restored = await api.post('/api/v1/flags/review.variants/versions/1/restore', {}, { 'x-switchyard-confirm': 'production' });
    expect(restored.status).toBe(200);
    expect((await latestAudit('flag:review.variants')).summary).toEqual(["Variant 'c' removed"]);
  });
});
