import { Redis } from 'ioredis';
import type { Snapshot, SnapshotFlag } from '@switchyard/core';
import { PrivateRedis } from '../../../test/support/redis-server';
import { requireTool } from '../../../test/support/system-tool';
import { resolveOptions } from './client-options';
import { ClientEvent, type ClientEventMap } from './client-events';
import { booleanFlag } from './protocol-server.fixture';
import { createClient, type SwitchyardClient } from './switchyard-client';

const PREFIX = 'sdk-spec:';

function nextEvent<E extends ClientEvent>(client: SwitchyardClient, event: E): Promise<ClientEventMap[E]> {
  return new Promise((resolve) => client.once(event, resolve));
}

/** Writes like the server's RedisFeatureStore: snapshot, version, then PUBLISH on the change channel. */
class Publisher {
  snapshot: Snapshot = { environment: 'production', version: 1, flags: { dark: booleanFlag('dark', true) }, segments: {} };

  constructor(private readonly redis: Redis) {}

  async store(): Promise<void> {
    await this.redis.set(`${PREFIX}env:{production}:snapshot`, JSON.stringify(this.snapshot));
    await this.redis.set(`${PREFIX}env:{production}:version`, String(this.snapshot.version));
  }

  async change(flags: Record<string, SnapshotFlag | null>, options: { announce?: boolean; environment?: string } = {}): Promise<void> {
    const previousVersion = this.snapshot.version;
    const next: Snapshot = { ...this.snapshot, version: previousVersion + 1, flags: { ...this.snapshot.flags } };
    for (const [key, flag] of Object.entries(flags)) {
      if (flag === null) delete next.flags[key];
      else next.flags[key] = flag;
    }
    this.snapshot = next;
    await this.store();
    if (options.announce !== false) {
      await this.redis.publish(
        `${PREFIX}changes`,
        JSON.stringify({ environment: options.environment ?? 'production', version: next.version, previousVersion, flags, segments: {} }),
      );
    }
  }
}

(requireTool('redis-server', 'redis-server') ? describe : describe.skip)('mode: redis', () => {
  let redis: PrivateRedis;
  let writer: Redis;
  let publisher: Publisher;
  let client: SwitchyardClient;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    await redis.restart();
    writer = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    writer.on('error', () => undefined);
    await writer.flushall();
    publisher = new Publisher(writer);
    await publisher.store();
    client = await createClient({
      mode: 'redis',
      environment: 'production',
      redis: { url: redis.url, prefix: PREFIX },
      reconnectInitialMs: 50,
      reconnectMaxMs: 200,
    });
  });
  afterEach(async () => {
    await client.close();
    writer.disconnect();
  });

  it('reads the environment snapshot and applies published changes', async () => {
    expect(client.status).toBe('ready');
    expect(client.getBooleanDetails('dark', false)).toMatchObject({ value: true, flagMetadata: { source: 'redis', snapshotVersion: 1 } });
    const changed = nextEvent(client, ClientEvent.Change);
    await publisher.change({ dark: booleanFlag('dark', false, 2) });
    expect(await changed).toEqual({ keys: ['dark'], source: 'redis', version: 2 });
    expect(client.getBooleanValue('dark', true)).toBe(false);
  });

  it('ignores other environments and re-reads the snapshot after a gap or a "full" message', async () => {
    const events: string[][] = [];
    client.on(ClientEvent.Change, ({ keys }) => events.push(keys));
    await writer.publish(`${PREFIX}changes`, JSON.stringify({ environment: 'staging', version: 2, previousVersion: 1, flags: { dark: null } }));
    await publisher.change({ extra: booleanFlag('extra', true) }, { announce: false });
    const changed = nextEvent(client, ClientEvent.Change);
    await publisher.change({ dark: booleanFlag('dark', false, 2) });
    expect((await changed).keys.sort()).toEqual(['dark', 'extra']);
    expect(client.stats().version).toBe(3);

    await publisher.change({ extra: null }, { announce: false });
    const full = nextEvent(client, ClientEvent.Change);
    await writer.publish(`${PREFIX}changes`, JSON.stringify({ environment: 'production', full: true }));
    expect((await full).keys).toEqual(['extra']);
    expect(client.getBooleanDetails('extra', true).errorCode).toBe('FLAG_NOT_FOUND');
    expect(events).toHaveLength(2);
  });

  it('waits for an environment that has not been published to Redis yet', async () => {
    await writer.del(`${PREFIX}env:{production}:snapshot`, `${PREFIX}env:{production}:version`);
    const late = await createClient({
      mode: 'redis',
      environment: 'production',
      redis: { url: redis.url, prefix: PREFIX },
      timeoutMs: 200,
      reconnectInitialMs: 50,
      reconnectMaxMs: 200,
    });
    try {
      expect(late.status).toBe('not-ready');
      expect(late.stats().lastError).toMatch(/no snapshot at sdk-spec:env:\{production\}:snapshot/);
      const ready = nextEvent(late, ClientEvent.Ready);
      await publisher.store();
      expect(await ready).toMatchObject({ source: 'redis', version: 1 });
      expect(late.getBooleanValue('dark', false)).toBe(true);
    } finally {
      await late.close();
    }
  });

  it('re-reads the snapshot after its connection drops when the version moved meanwhile', async () => {
    // A change the client never hears about, then its subscription is cut: the reconnect must notice.
    await publisher.change({ dark: booleanFlag('dark', false, 2) }, { announce: false });
    expect(client.getBooleanValue('dark', true)).toBe(true);
    const changed = nextEvent(client, ClientEvent.Change);
    await writer.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect(await changed).toEqual({ keys: ['dark'], source: 'redis', version: 2 });
    expect(client.getBooleanValue('dark', true)).toBe(false);
  });

  it('goes stale when Redis dies, keeps answering, and is ready again once Redis is back', async () => {
    const stale = nextEvent(client, ClientEvent.Stale);
    await redis.kill();
    await stale;
    expect(client.status).toBe('stale');
    expect(client.getBooleanValue('dark', false)).toBe(true);

    const ready = nextEvent(client, ClientEvent.Ready);
    await redis.restart();
    await new Promise<void>((resolve) => (writer.status === 'ready' ? resolve() : writer.once('ready', () => resolve())));
    // A fresh Redis starts empty; the server's reconciler republishes the environment.
    const changed = nextEvent(client, ClientEvent.Change);
    await publisher.change({ dark: booleanFlag('dark', false, 2) });
    expect((await changed).keys).toEqual(['dark']);
    await ready;
    expect(client.getBooleanValue('dark', true)).toBe(false);
  });
});

describe('redis mode options: one server, Sentinel or Cluster', () => {
  const base = { mode: 'redis' as const, environment: 'production' };

  it('accepts Sentinel and Cluster without a URL, and keeps the URL for credentials', () => {
    const sentinel = resolveOptions({
      ...base,
      redis: { sentinels: [{ host: '127.0.0.1', port: 26379 }], sentinelName: 'switchyard', url: 'redis://:pw@ignored:1/2' },
    });
    expect(sentinel.redis).toMatchObject({ sentinels: [{ host: '127.0.0.1', port: 26379 }], sentinelName: 'switchyard', url: 'redis://:pw@ignored:1/2' });
    const cluster = resolveOptions({ ...base, redis: { clusterNodes: [{ host: '10.0.0.1', port: 6379 }] } });
    expect(cluster.redis).toMatchObject({ clusterNodes: [{ host: '10.0.0.1', port: 6379 }], url: undefined, prefix: 'switchyard:' });
  });

  it('refuses combinations that cannot work, saying which option', () => {
    expect(() => resolveOptions({ ...base, redis: {} })).toThrow("mode 'redis' needs redis.url, redis.sentinels or redis.clusterNodes");
    expect(() => resolveOptions({ ...base, redis: { sentinels: [{ host: 'a', port: 1 }] } })).toThrow('redis.sentinels needs redis.sentinelName');
    expect(() => resolveOptions({ ...base, redis: { clusterNodes: [] } })).toThrow('redis.clusterNodes must be a non-empty array of { host, port }');
    expect(() => resolveOptions({ ...base, redis: { clusterNodes: [{ host: 'a', port: 0 }] } })).toThrow('redis.clusterNodes');
    expect(() =>
      resolveOptions({ ...base, redis: { sentinels: [{ host: 'a', port: 1 }], sentinelName: 'x', clusterNodes: [{ host: 'b', port: 2 }] } }),
    ).toThrow('exclude each other');
  });
});
