import { OpenFeature, ProviderEvents, ProviderStatus, type Client, type EventDetails } from '@openfeature/server-sdk';
import { SwitchyardProvider } from '@switchyard/openfeature-provider';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

function nextConfigurationChange(client: Client): Promise<EventDetails<ProviderEvents.ConfigurationChanged>> {
  return new Promise((resolve) => {
    const handler = (details?: EventDetails<ProviderEvents.ConfigurationChanged>) => {
      client.removeHandler(ProviderEvents.ConfigurationChanged, handler as (details?: EventDetails) => void);
      resolve(details!);
    };
    client.addHandler(ProviderEvents.ConfigurationChanged, handler);
  });
}

describe('OpenFeature provider against the real server', () => {
  let server: TestServer;
  let admin: ApiClient;
  let client: Client;
  const confirm = { 'x-switchyard-confirm': 'production' };

  beforeAll(async () => {
    server = await startTestServer();
    admin = new ApiClient(server.url, server.adminToken);
    expect(
      (await admin.post('/api/v1/segments', { key: 'beta-testers', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@beta.example'] }] }))
        .status,
    ).toBe(201);
    const inBeta = [{ id: 'beta', conditions: [{ attribute: '', operator: 'in_segment', values: ['beta-testers'] }], serve: { variant: 'on' } }];
    for (const key of ['search-v2', 'dark-mode']) {
      const created = await admin.post(
        '/api/v1/flags',
        { key, type: 'boolean', environments: { production: { enabled: true, rules: inBeta, defaultServe: { variant: 'off' } } } },
        confirm,
      );
      expect(created.status).toBe(201);
    }
    expect((await admin.post('/api/v1/flags', { key: 'banner', type: 'string', variants: { plain: 'plain', fancy: 'fancy' } }, confirm)).status).toBe(201);
    const token = await admin.token_('sdk-prod', ['sdk:production']);
    await OpenFeature.setProviderAndWait('switchyard-e2e', new SwitchyardProvider({ url: server.url, token, metricsIntervalMs: 0 }));
    client = OpenFeature.getClient('switchyard-e2e');
  });
  afterAll(async () => {
    await OpenFeature.close();
    await server.close();
  });

  it('is READY and evaluates with the server’s targeting', async () => {
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await client.getBooleanDetails('search-v2', false, { targetingKey: 'u1', email: 'ann@beta.example' })).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
      flagMetadata: { source: 'server', environment: 'production', ruleId: 'beta' },
    });
    expect(await client.getBooleanValue('search-v2', true, { targetingKey: 'u2', email: 'bob@example.com' })).toBe(false);
    expect(await client.getStringDetails('banner', 'none')).toMatchObject({ value: 'plain', reason: 'DISABLED' });
    expect(await client.getNumberDetails('banner', 7)).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(await client.getBooleanDetails('no-such-flag', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('emits PROVIDER_CONFIGURATION_CHANGED with the toggled flag', async () => {
    const changed = nextConfigurationChange(client);
    expect((await admin.post('/api/v1/flags/banner/environments/production/toggle', { enabled: true }, confirm)).status).toBe(200);
    expect((await changed).flagsChanged).toEqual(['banner']);
    expect(await client.getStringDetails('banner', 'none')).toMatchObject({ value: 'plain', variant: 'plain', reason: 'DEFAULT' });
  });

  it('names every flag that uses a segment when the segment changes', async () => {
    const changed = nextConfigurationChange(client);
    const patched = await admin.patch(
      '/api/v1/segments/beta-testers',
      { conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@beta.example', '@example.com'] }] },
      confirm,
    );
    expect(patched.status).toBe(200);
    expect((await changed).flagsChanged?.sort()).toEqual(['dark-mode', 'search-v2']);
    expect(await client.getBooleanValue('dark-mode', false, { targetingKey: 'u2', email: 'bob@example.com' })).toBe(true);
  });
});
