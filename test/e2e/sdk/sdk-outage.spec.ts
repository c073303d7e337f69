import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientEvent, createClient, SwitchyardClient, type ClientEventMap, type ClientMode } from '@switchyard/node-sdk';
import { dropSchema } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import { newTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../support/test-server';
import { TcpRelay } from './tcp-relay';

function nextEvent<E extends ClientEvent>(client: SwitchyardClient, event: E): Promise<ClientEventMap[E]> {
  return new Promise((resolve) => client.once(event, resolve));
}

const portOf = (server: TestServer) => Number(new URL(server.url).port);

/**
 * One database, one Redis prefix and one admin token shared by successive servers, reached
 * through a relay at a fixed address: a server can "die" and another can come up in its place.
 */
class Outage {
  readonly adminToken = `sy_test_${randomBytes(18).toString('base64url')}`;
  readonly prefix = `test:${randomBytes(5).toString('hex')}:`;
  server: TestServer | undefined;
  relay!: TcpRelay;
  sdkToken = '';

  constructor(readonly database: TestDatabase) {}

  get url(): string {
    return this.relay.url;
  }

  get admin(): ApiClient {
    return new ApiClient(this.server!.url, this.adminToken);
  }

  /** Starts a server on the shared database, without routing clients to it yet. */
  async startServer(): Promise<TestServer> {
    this.server = await startTestServer({ database: this.database, env: { SWITCHYARD_ADMIN_TOKEN: this.adminToken, REDIS_PREFIX: this.prefix } });
    return this.server;
  }

  async setUp(): Promise<void> {
    const server = await this.startServer();
    this.relay = await TcpRelay.start(portOf(server));
    const created = await this.admin.post('/api/v1/flags', { key: 'banner', type: 'boolean', environments: { staging: { enabled: true } } });
    expect(created.status).toBe(201);
    this.sdkToken = await this.admin.token_('sdk-staging', ['sdk:staging']);
  }

  /** The server dies: every connection is cut at once, then the process is gone. */
  async kill(): Promise<void> {
    await this.relay.down();
    await this.server?.close();
    this.server = undefined;
  }

  /** Clients reach the current server again at the same address. */
  async route(): Promise<void> {
    await this.relay.up(portOf(this.server!));
  }

  async toggle(enabled: boolean): Promise<void> {
    const res = await this.admin.post('/api/v1/flags/banner/environments/staging/toggle', { enabled });
    expect(res.status).toBe(200);
  }

  async tearDown(): Promise<void> {
    await this.relay?.down();
    await this.server?.close();
    if (this.database.url) await dropSchema(this.database.url, this.database.schema);
    rmSync(this.database.dataDir, { recursive: true, force: true });
  }
}

describe('Node SDK when the server goes away', () => {
  let outage: Outage;
  let dir: string;
  const clients: SwitchyardClient[] = [];
  const fast = { reconnectInitialMs: 100, reconnectMaxMs: 500, metricsIntervalMs: 0 };

  // Each test starts and stops real servers (up to three), which takes a few seconds apiece.
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-sdk-outage-'));
    outage = new Outage(newTestDatabase());
    await outage.setUp();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await outage.tearDown();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it.each<ClientMode>(['stream', 'poll'])(
    '%s mode: keeps answering while the server is down, then catches up on what changed meanwhile',
    async (mode) => {
      const client = await createClient({ url: outage.url, token: outage.sdkToken, mode, pollIntervalMs: 200, ...fast });
      clients.push(client);
      expect(client.getBooleanValue('banner', false)).toBe(true);

      const stale = nextEvent(client, ClientEvent.Stale);
      await outage.kill();
      await stale;
      expect(client.status).toBe('stale');
      for (let i = 0; i < 100; i++) expect(client.getBooleanValue('banner', false, { targetingKey: `u${i}` })).toBe(true);

      // Another server on the same database takes a change while this client cannot hear it.
      await outage.startServer();
      await outage.toggle(false);
      expect(client.getBooleanValue('banner', true)).toBe(true);

      const ready = nextEvent(client, ClientEvent.Ready);
      const changed = nextEvent(client, ClientEvent.Change);
      await outage.route();
      expect((await changed).keys).toEqual(['banner']);
      await ready;
      expect(client.status).toBe('ready');
      expect(client.getBooleanDetails('banner', true)).toMatchObject({ value: false, reason: 'DISABLED', flagMetadata: { source: 'server' } });
    },
    90_000,
  );

  it('cold start with the server down serves the cache file of an earlier run, then the server once it is back', async () => {
    const cacheFile = join(dir, 'flags-cache.json');
    const earlier = await createClient({ url: outage.url, token: outage.sdkToken, cacheFile, ...fast });
    const changed = nextEvent(earlier, ClientEvent.Change);
    await outage.toggle(false);
    await changed;
    await earlier.close();
    await outage.kill();

    const started = Date.now();
    const client = await createClient({ url: outage.url, token: outage.sdkToken, cacheFile, timeoutMs: 10_000, ...fast });
    clients.push(client);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(client.status).toBe('ready');
    expect(client.getBooleanDetails('banner', true)).toMatchObject({
      value: false,
      reason: 'DISABLED',
      flagMetadata: { source: 'cache', environment: 'staging' },
    });

    await outage.startServer();
    await outage.toggle(true);
    const caughtUp = nextEvent(client, ClientEvent.Change);
    await outage.route();
    expect((await caughtUp).keys).toEqual(['banner']);
    expect(client.getBooleanDetails('banner', false)).toMatchObject({ value: true, flagMetadata: { source: 'server' } });
  }, 60_000);

  it('cold start with the server down and no cache or bootstrap serves defaults with PROVIDER_NOT_READY, then becomes ready', async () => {
    await outage.kill();
    const client = await createClient({ url: outage.url, token: outage.sdkToken, timeoutMs: 500, ...fast });
    clients.push(client);
    expect(client.status).toBe('not-ready');
    expect(client.getBooleanValue('banner', false)).toBe(false);
    expect(client.getBooleanDetails('banner', false)).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
    expect(client.stats().lastError).toMatch(/ECONNREFUSED/);

    const ready = nextEvent(client, ClientEvent.Ready);
    await outage.startServer();
    await outage.route();
    expect(await ready).toMatchObject({ source: 'server', environment: 'staging' });
    expect(client.getBooleanDetails('banner', false)).toMatchObject({ value: true, variant: 'on', errorCode: undefined });
  }, 60_000);

  it('a client created while the server is down with a bootstrap serves it, and waitUntilReady() does not wait for timeoutMs', async () => {
    await outage.kill();
    const client = new SwitchyardClient({
      url: outage.url,
      token: outage.sdkToken,
      timeoutMs: 30_000,
      bootstrap: { environment: 'staging', version: 0, segments: {}, flags: {} },
      ...fast,
    });
    clients.push(client);
    const started = Date.now();
    expect(await client.waitUntilReady()).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(client.getBooleanDetails('banner', true)).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND', flagMetadata: { source: 'bootstrap' } });
  }, 60_000);
});
