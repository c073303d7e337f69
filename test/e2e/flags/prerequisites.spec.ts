import { compileSnapshot, type Snapshot } from '@switchyard/core';
import { Database } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Prerequisites through the admin API: what the service refuses (unknown flags and variants,
 * cycles, chains over the depth limit, archiving or dropping a variant a dependant needs) and what
 * reaches SDKs (the snapshot carries them; evaluation follows them).
 */
describe('flag prerequisites', () => {
  let server: TestServer;
  let api: ApiClient;
  const prerequisites = (key: string, list: unknown, environment = 'development') =>
    api.patch(`/api/v1/flags/${key}/environments/${environment}`, { prerequisites: list });

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    api = new ApiClient(server.url, server.adminToken);
    // Archiving and variant edits touch production; here they must apply at once, not open a change request.
    const db = server.app.get(Database);
    const approval: unknown[] = await db.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'environments' AND column_name = 'require_approval'",
    );
    if (approval.length) await db.query('UPDATE environments SET require_approval = false');
    for (const key of ['pre.a', 'pre.b', 'pre.c']) expect((await api.post('/api/v1/flags', { key, type: 'boolean' })).status).toBe(201);
  });
  afterAll(() => server.close());

  it('stores prerequisites per environment, publishes them to SDKs and describes the change', async () => {
    const saved = await prerequisites('pre.b', [{ flag: 'pre.a', variants: ['on'] }]);
    expect(saved.status).toBe(200);
    expect(saved.body.environments.development.prerequisites).toEqual([{ flag: 'pre.a', variants: ['on'] }]);
    expect(saved.body.environments.staging.prerequisites).toBeUndefined();

    const audit = (await api.get('/api/v1/audit?target=flag:pre.b&limit=1')).body.items[0];
    expect(audit.summary).toEqual(['Development: Prerequisite added: only when pre.a serves on']);

    await api.post('/api/v1/flags/pre.b/environments/development/toggle', { enabled: true });
    const snapshot = (await api.get('/sdk/v1/snapshot?environment=development')).body as Snapshot;
    expect(snapshot.flags['pre.b'].prerequisites).toEqual([{ flag: 'pre.a', variants: ['on'] }]);
    expect(snapshot.flags['pre.a']).not.toHaveProperty('prerequisites');
    const failed = compileSnapshot(snapshot).evaluate('pre.b', { targetingKey: 'u1' });
    expect(failed).toMatchObject({ value: false, variant: 'off', reason: 'DISABLED', failedPrerequisite: 'pre.a' });

    await api.post('/api/v1/flags/pre.a/environments/development/toggle', { enabled: true });
    const after = (await api.get('/sdk/v1/snapshot?environment=development')).body as Snapshot;
    expect(compileSnapshot(after).evaluate('pre.b', { targetingKey: 'u1' })).toEqual({ value: true, variant: 'on', reason: 'DEFAULT' });
  });

  it('refuses a prerequisite on a flag or variant that does not exist, naming the field', async () => {
    const missing = await prerequisites('pre.c', [{ flag: 'pre.nope', variants: ['on'] }]);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('VALIDATION_FAILED');
    expect(missing.body.error.details).toEqual([{ path: 'prerequisites[0].flag', problem: 'no flag "pre.nope" exists' }]);

    const variant = await prerequisites('pre.c', [{ flag: 'pre.a', variants: ['on', 'maybe'] }]);
    expect(variant.status).toBe(400);
    expect(variant.body.error.details).toEqual([
      { path: 'prerequisites[0].variants[1]', problem: 'flag "pre.a" has no variant "maybe" (variants: "on", "off")' },
    ]);

    const self = await prerequisites('pre.c', [{ flag: 'pre.c', variants: ['on'] }]);
    expect(self.status).toBe(400);
    expect(self.body.error.details).toEqual([{ path: 'prerequisites[0].flag', problem: 'a flag cannot be its own prerequisite' }]);

    const shape = await prerequisites('pre.c', [{ flag: 'pre.a', variants: [] }]);
    expect(shape.status).toBe(400);
    expect(shape.body.error.details[0].path).toBe('prerequisites[0].variants');

    const unknownField = await prerequisites('pre.c', [{ flag: 'pre.a', variants: ['on'], negate: true }]);
    expect(unknownField.status).toBe(400);
    expect((await api.get('/api/v1/flags/pre.c')).body.environments.development.prerequisites).toBeUndefined();
  });

  it('refuses a cycle with its path, in the environment where it would close', async () => {
    // pre.b → pre.a already; pre.a → pre.b closes the cycle.
    const cycle = await prerequisites('pre.a', [{ flag: 'pre.b', variants: ['on'] }]);
    expect(cycle.status).toBe(409);
    expect(cycle.body.error.code).toBe('PREREQUISITE_CYCLE');
    expect(cycle.body.error.message).toBe('prerequisites in development would form a cycle: pre.a → pre.b → pre.a');
    expect(cycle.body.error.details).toEqual([{ path: 'prerequisites', problem: 'would form a cycle: pre.a → pre.b → pre.a' }]);

    const longer = await prerequisites('pre.c', [{ flag: 'pre.b', variants: ['on'] }]);
    expect(longer.status).toBe(200);
    const three = await prerequisites('pre.a', [{ flag: 'pre.c', variants: ['on'] }]);
    expect(three.status).toBe(409);
    expect(three.body.error.message).toContain('pre.a → pre.c → pre.b → pre.a');

    // The same link in another environment, where pre.b has no prerequisites, is fine.
    expect((await prerequisites('pre.a', [{ flag: 'pre.b', variants: ['on'] }], 'staging')).status).toBe(200);
    expect((await prerequisites('pre.a', [], 'staging')).body.environments.staging.prerequisites).toBeUndefined();
    expect((await prerequisites('pre.c', [])).status).toBe(200);
  });

  it('refuses a chain of more than 10 links with its path', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `pre.chain${i}`);
    for (const key of keys) expect((await api.post('/api/v1/flags', { key, type: 'boolean' })).status).toBe(201);
    // chain0 → chain1 → … → chain10: 10 links, the most allowed.
    for (let i = 0; i < 10; i++) expect((await prerequisites(keys[i], [{ flag: keys[i + 1], variants: ['on'] }])).status).toBe(200);
    const tooDeep = await prerequisites(keys[10], [{ flag: keys[11], variants: ['on'] }]);
    expect(tooDeep.status).toBe(409);
    expect(tooDeep.body.error.code).toBe('PREREQUISITE_CYCLE');
    expect(tooDeep.body.error.message).toBe(`prerequisites in development would make a chain of 11 prerequisite links (at most 10): ${keys.join(' → ')}`);
  });

  it('refuses archiving a flag others depend on, or removing a variant they list, naming them', async () => {
    const archive = await api.patch('/api/v1/flags/pre.a', { archived: true }, { 'x-switchyard-confirm': 'production' });
    expect(archive.status).toBe(409);
    expect(archive.body.error.message).toBe('flag "pre.a" is a prerequisite of pre.b; remove it from their prerequisites first');
    expect(archive.body.error.details).toEqual([{ path: 'archived', problem: 'flag "pre.b" lists it as a prerequisite in development' }]);
    const color = await api.post('/api/v1/flags', { key: 'pre.color', type: 'string', variants: { red: 'red', blue: 'blue' } });
    expect(color.status).toBe(201);
    expect((await prerequisites('pre.c', [{ flag: 'pre.color', variants: ['red', 'blue'] }], 'staging')).status).toBe(200);
    const removed = await api.patch('/api/v1/flags/pre.color', { variants: { red: 'red' } }, { 'x-switchyard-confirm': 'production' });
    expect(removed.status).toBe(400);
    expect(removed.body.error.details).toEqual([{ path: 'variants.blue', problem: 'is listed by flag "pre.c" as a prerequisite variant in staging' }]);
    expect((await prerequisites('pre.c', [], 'staging')).status).toBe(200);
    expect((await api.get('/api/v1/flags/pre.a')).body.archived).toBe(false);

    // Once nothing depends on it, it can go.
    expect((await prerequisites('pre.b', [])).status).toBe(200);
    expect((await api.patch('/api/v1/flags/pre.c', { archived: true }, { 'x-switchyard-confirm': 'production' })).status).toBe(200);
    const onArchived = await prerequisites('pre.b', [{ flag: 'pre.c', variants: ['on'] }]);
    expect(onArchived.status).toBe(400);
    expect(onArchived.body.error.details).toEqual([{ path: 'prerequisites[0].flag', problem: 'flag "pre.c" is archived' }]);
  });

  it('documents prerequisites in the OpenAPI document', async () => {
    const doc = (await api.get('/api/openapi.json')).body;
    expect(JSON.stringify(doc)).toContain('"prerequisites"');
  });
});
