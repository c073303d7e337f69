import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { AppConfig } from '@switchyard/config';
import { RedisConnections } from '@switchyard/redis';
import { RedisFeatureStore } from './redis-feature-store';
import { storeKeys } from './store-keys';
import { featureStoreContract, HeardMessages, type StoreUnderTest } from './testing';

// e2e (listed in jest.config.js): the FeatureStore contract, and what only a shared Redis does,
// against the Redis at REDIS_URL. Each test gets its own key prefix (so its own channel) and
// deletes its keys afterwards.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });

/** One replica's store on `prefix`, connected and subscribed. */
async function openStore(prefix: string): Promise<{ store: RedisFeatureStore; connections: RedisConnections }> {
  const config = { redis: { url: REDIS_URL, prefix, mode: 'standalone', enabled: true } } as AppConfig;
  const connections = new RedisConnections(config, logger);
  const store = new RedisFeatureStore(connections, logger);
  await store.onModuleInit();
  await subscribed(prefix);
  return { store, connections };
}

/**
 * onModuleInit waits for the connections, not for the SUBSCRIBE reply; until Redis counts the
 * subscriber, a change would go unheard (the server's start-up reconcile covers that window).
 */
async function subscribed(prefix: string, subscribers = 1): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Number(((await admin.pubsub('NUMSUB', storeKeys.changes(prefix))) as [string, number])[1]) < subscribers) {
    if (Date.now() > deadline) throw new Error(`no subscriber on ${storeKeys.changes(prefix)} within 10 s`);
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

const newPrefix = () => `store-spec:${randomBytes(5).toString('hex')}:`;
let admin: Redis;

beforeAll(() => {
  admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await admin.quit();
});

describe('RedisFeatureStore', () => {
  featureStoreContract(async (): Promise<StoreUnderTest> => {
    const prefix = newPrefix();
    const { store, connections } = await openStore(prefix);
    return {
      store,
      close: async () => {
        await connections.onApplicationShutdown();
        await deleteKeys(prefix);
      },
    };
  });

  describe('on a shared Redis', () => {
    let prefix: string;
    let replicas: Array<{ store: RedisFeatureStore; connections: RedisConnections }>;

    beforeEach(async () => {
      prefix = newPrefix();
      replicas = [await openStore(prefix)];
    });
    afterEach(async () => {
      await Promise.all(replicas.map((replica) => replica.connections.onApplicationShutdown()));
      await deleteKeys(prefix);
    });

    it('writes the keys and channel SDKs in redis mode read (store-keys.ts), the environment hash-tagged', async () => {
      const [{ store }] = replicas;
      const raw = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        const announced = new Promise<string>((resolve) => raw.once('message', (_channel: string, message: string) => resolve(message)));
        await raw.subscribe(`${prefix}changes`);
        const json = JSON.stringify({ environment: 'production', version: 3, flags: {}, segments: {} });
        await store.publish('production', 3, json, { environment: 'production', version: 3, full: true });
        expect(await admin.get(`${prefix}env:{production}:snapshot`)).toBe(json);
        expect(await admin.get(`${prefix}env:{production}:version`)).toBe('3');
        expect(JSON.parse(await announced)).toEqual({ environment: 'production', version: 3, full: true });
      } finally {
        raw.disconnect();
      }
    });

    it("lets one replica hear another's change, and refuses the other's stale write", async () => {
      replicas.push(await openStore(prefix));
      await subscribed(prefix, 2);
      const [writer, reader] = replicas.map((replica) => replica.store);
      const heard = new HeardMessages(reader);
      await expect(writer.publish('production', 2, '{"version":2}', { environment: 'production', version: 2, previousVersion: 1 })).resolves.toBe(true);
      await expect(heard.next((m) => m.version === 2)).resolves.toEqual({ environment: 'production', version: 2, previousVersion: 1 });
      await expect(reader.publish('production', 1, '{"version":1}', { environment: 'production', version: 1 })).resolves.toBe(false);
      await expect(reader.read('production')).resolves.toBe('{"version":2}');
    });

    it('reports nothing once its keys are gone (a flushed or restarted Redis) and accepts any version again', async () => {
      const [{ store }] = replicas;
      await store.publish('production', 8, '{"version":8}', { environment: 'production', version: 8 });
      await deleteKeys(prefix);
      await expect(store.readVersion('production')).resolves.toBeUndefined();
      await expect(store.read('production')).resolves.toBeUndefined();
      // The reconciler republishes the record's version, which may be lower than what was lost.
      await expect(store.publish('production', 3, '{"version":3}', { environment: 'production', version: 3, full: true })).resolves.toBe(true);
      await expect(store.readVersion('production')).resolves.toBe(3);
    });

    it('calls onReconnect when its subscriber connection comes back, and hears changes again', async () => {
      const [{ store }] = replicas;
      const heard = new HeardMessages(store);
      const reconnected = new Promise<void>((resolve) => store.onReconnect(resolve));
      // The subscriber connection is private; dropping it is what a Redis restart does to it.
      (store as unknown as { subscriber: Redis }).subscriber.disconnect(true);
      await reconnected;
      await subscribed(prefix);
      await store.publish('production', 1, '{"version":1}', { environment: 'production', version: 1 });
      await expect(heard.next((m) => m.version === 1)).resolves.toMatchObject({ environment: 'production', version: 1 });
    });

    it('ignores a malformed message on its channel', async () => {
      const [{ store }] = replicas;
      const heard = new HeardMessages(store);
      await admin.publish(storeKeys.changes(prefix), 'not json');
      await store.publish('production', 1, '{"version":1}', { environment: 'production', version: 1 });
      await heard.next((m) => m.version === 1);
      expect(heard.messages).toEqual([{ environment: 'production', version: 1 }]);
    });
  });
});
