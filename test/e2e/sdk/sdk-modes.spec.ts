import { ClientEvent, createClient, type ChangeEventDetails, type ClientOptions, type SwitchyardClient } from '@switchyard/node-sdk';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';
import { publishedToRedis } from './redis-publication';

function nextChange(client: SwitchyardClient, key: string): Promise<ChangeEventDetails> {
  return new Promise((resolve) => {
    const listener = (details: ChangeEventDetails) => {
      if (!details.keys.includes(key)) return;
      client.off(ClientEvent.Change, listener);
      resolve(details);
    };
    client.on(ClientEvent.Change, listener);
  });
}

describe('Node SDK against the real server: a change made through the admin API', () => {
  let server: TestServer;
  let admin: ApiClient;
  let sdkToken: string;
  const clients: SwitchyardClient[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    admin = new ApiClient(server.url, server.adminToken);
    const created = await admin.post('/api/v1/flags', {
      key: 'new-checkout',
      type: 'boolean',
      environments: {
        staging: {
          enabled: true,
          rules: [{ id: 'nordics', conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }], serve: { variant: 'on' } }],
          defaultServe: { variant: 'off' },
        },
      },
    });
    expect(created.status).toBe(201);
    sdkToken = await admin.token_('sdk-staging', ['sdk:staging']);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => server.close());

  async function toggle(enabled: boolean): Promise<void> {
    const res = await admin.post('/api/v1/flags/new-checkout/environments/staging/toggle', { enabled });
    expect(res.status).toBe(200);
  }

  async function check(options: ClientOptions): Promise<void> {
    const client = await createClient({ url: server.url, token: sdkToken, metricsIntervalMs: 0, ...options });
    clients.push(client);
    expect(client.status).toBe('ready');
    expect(client.getBooleanValue('new-checkout', false, { country: 'NO' })).toBe(true);
    expect(client.getBooleanDetails('new-checkout', true, { country: 'DK' })).toMatchObject({ value: false, variant: 'off', reason: 'DEFAULT' });

    const started = Date.now();
    const off = nextChange(client, 'new-checkout');
    await toggle(false);
    const change = await off;
    const ms = Date.now() - started;
    expect(change.keys).toEqual(['new-checkout']);
    expect(client.getBooleanDetails('new-checkout', true, { country: 'NO' })).toMatchObject({ value: false, reason: 'DISABLED' });

    const on = nextChange(client, 'new-checkout');
    await toggle(true);
    expect((await on).version).toBeGreaterThan(change.version);
    expect(client.getBooleanValue('new-checkout', false, { country: 'SE' })).toBe(true);
    process.stdout.write(`${options.mode ?? 'stream'} mode: toggle → change event in ${ms} ms\n`);
  }

  it('stream mode (SSE)', async () => {
    await check({});
  });

  it('poll mode (ETag-conditional GET)', async () => {
    await check({ mode: 'poll', pollIntervalMs: 100 });
  });

  it('redis mode (straight from the central Redis)', async () => {
    expect(server.redisUrl).toBeDefined();
    await publishedToRedis(server, 'staging');
    await check({ mode: 'redis', environment: 'staging', redis: { url: server.redisUrl!, prefix: server.config.redis.prefix } });
  });

  it('sends usage metrics that the server reports per flag and variant', async () => {
    const client = await createClient({ url: server.url, token: sdkToken, metricsIntervalMs: 60_000 });
    clients.push(client);
    for (let i = 0; i < 40; i++) client.getBooleanValue('new-checkout', false, { country: i < 10 ? 'NO' : 'DK' });
    await client.flushMetrics();
    expect(client.stats().metrics).toMatchObject({ sent: 40, unsent: 0 });
    const usage = await admin.get('/api/v1/flags/new-checkout/usage');
    expect(usage.body.totals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ environment: 'staging', variant: 'on', evaluations: 10 }),
        expect.objectContaining({ environment: 'staging', variant: 'off', evaluations: 30 }),
      ]),
    );
  });

  it('reports a token that may not read the environment', async () => {
    const client = await createClient({ url: server.url, token: sdkToken, environment: 'production', timeoutMs: 500, metricsIntervalMs: 0 });
    clients.push(client);
    expect(client.status).toBe('not-ready');
    expect(client.stats().lastError).toMatch(/answered 403/);
    expect(client.getBooleanDetails('new-checkout', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
  });
});
