import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/** What each variant means: stored with the flag, versioned and restored with it, never sent to SDKs. */
describe('variant descriptions', () => {
  let server: TestServer;
  let api: ApiClient;
  beforeAll(async () => {
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
  });
  afterAll(() => server.close());

  it('stores descriptions for variants at creation and refuses ones for variants the flag does not have', async () => {
    const refused = await api.post('/api/v1/flags', { key: 'described.refused', type: 'boolean', variantDescriptions: { blue: 'no such variant' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'variantDescriptions.blue', problem: 'is not a variant of this flag' }]);
    expect((await api.get('/api/v1/flags/described.refused')).status).toBe(404);

    const created = await api.post('/api/v1/flags', {
      key: 'described.button',
      type: 'string',
      variants: { blue: 'blue', green: 'green' },
      variantDescriptions: { blue: '  the current button  ', green: 'the new button from the Q3 test' },
    });
    expect(created.status).toBe(201);
    expect(created.body.variantDescriptions).toEqual({ blue: 'the current button', green: 'the new button from the Q3 test' });
  });

  it('drops a removed variant’s description, says so in the audit, and restores descriptions with their version', async () => {
    const before = (await api.get('/api/v1/flags/described.button')).body;
    const edited = await api.patch('/api/v1/flags/described.button', { variantDescriptions: { blue: 'the old button', green: 'the new button from the Q3 test' } });
    expect(edited.status).toBe(200);
    const audit = (await api.get('/api/v1/audit?target=flag:described.button&limit=1')).body.items[0];
    expect(audit.summary).toEqual(["Variant 'blue': description changed"]);

    const removed = await api.patch('/api/v1/flags/described.button', { variants: { blue: 'blue' } }, { 'x-switchyard-confirm': 'production' });
    expect(removed.status).toBe(200);
    expect(removed.body.variantDescriptions).toEqual({ blue: 'the old button' });

    const restored = await api.post(`/api/v1/flags/described.button/versions/${before.version}/restore`, {}, { 'x-switchyard-confirm': 'production' });
    expect(restored.status).toBe(200);
    expect(restored.body.variants).toEqual({ blue: 'blue', green: 'green' });
    expect(restored.body.variantDescriptions).toEqual({ blue: 'the current button', green: 'the new button from the Q3 test' });
  });

  it('keeps descriptions out of the SDK snapshot and bounds their length', async () => {
    const snapshot = (await api.get('/sdk/v1/snapshot?environment=production')).body;
    expect(JSON.stringify(snapshot)).not.toContain('the current button');
    const long = await api.patch('/api/v1/flags/described.button', { variantDescriptions: { blue: 'x'.repeat(501) } });
    expect(long.status).toBe(400);
    expect(long.body.error.details[0].path).toBe('variantDescriptions.blue');
  });
});
