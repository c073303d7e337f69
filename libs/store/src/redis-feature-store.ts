import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@switchyard/observability';
import { RedisConnections, type RedisClient } from '@switchyard/redis';
import { FeatureStore, type ChangeListener, type ChangeMessage } from './feature-store';
import { storeKeys } from './store-keys';

// Compare-and-set in one round trip: write snapshot + version and PUBLISH only when newer. Both keys
// share a hash tag (one cluster slot); the channel is ARGV[4], not a key, so a cluster accepts it.
const PUBLISH_IF_NEWER = `
local current = tonumber(redis.call('GET', KEYS[2]) or '-1')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[3])
return 1`;

/**
 * Keys (with the configured prefix): `env:{<E>}:snapshot` (JSON), `env:{<E>}:version`; channel
 * `changes` (see store-keys.ts). SDKs in `redis` mode read the same keys and channel. Works on one
 * Redis, behind Sentinel, and on a Redis Cluster.
 */
@Injectable()
export class RedisFeatureStore extends FeatureStore implements OnModuleInit {
  readonly kind = 'redis' as const;
  private commands!: RedisClient;
  private subscriber!: RedisClient;
  private readonly listeners: ChangeListener[] = [];
  private readonly reconnectListeners: Array<() => void> = [];
  private readonly log: Logger;

  constructor(
    private readonly connections: RedisConnections,
    @Inject(LOGGER) logger: Logger,
  ) {
    super();
    this.log = logger.child({ component: 'redis-feature-store' });
  }

  get channel(): string {
    return storeKeys.changes(this.connections.prefix);
  }

  snapshotKey(environment: string): string {
    return storeKeys.snapshot(this.connections.prefix, environment);
  }

  versionKey(environment: string): string {
    return storeKeys.version(this.connections.prefix, environment);
  }

  async onModuleInit(): Promise<void> {
    // Instantiated in every process; it only connects when Redis is the configured store.
    if (!this.connections.enabled) return;
    this.commands = this.connections.create('store');
    // ioredis re-subscribes by itself after a reconnect; the queue lets this first SUBSCRIBE wait for the connection.
    this.subscriber = this.connections.create('store-subscriber', { offlineQueue: true });
    this.subscriber.subscribe(this.channel).catch((error: unknown) => this.log.warn({ err: error }, 'subscribe failed'));
    let seenReady = false;
    this.subscriber.on('ready', () => {
      // Changes published while we were away were missed: let the reconciler catch up.
      if (seenReady) for (const listener of this.reconnectListeners) listener();
      seenReady = true;
    });
    // Give Redis a moment before serving, so the start-up reconcile and the first writes find it
    // connected; a Redis that is down at start does not block start-up (the reconciler catches up).
    await Promise.race([Promise.all([ready(this.commands), ready(this.subscriber)]), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      let message: ChangeMessage;
      try {
        message = JSON.parse(raw) as ChangeMessage;
      } catch {
        this.log.warn('ignoring a malformed change message');
        return;
      }
      for (const listener of this.listeners) listener(message);
    });
  }

  async publish(environment: string, version: number, snapshotJson: string, message: ChangeMessage): Promise<boolean> {
    const result = await this.commands.eval(
      PUBLISH_IF_NEWER,
      2,
      this.snapshotKey(environment),
      this.versionKey(environment),
      String(version),
      snapshotJson,
      JSON.stringify(message),
      this.channel,
    );
    return result === 1;
  }

  async read(environment: string): Promise<string | undefined> {
    return (await this.commands.get(this.snapshotKey(environment))) ?? undefined;
  }

  async readVersion(environment: string): Promise<number | undefined> {
    const value = await this.commands.get(this.versionKey(environment));
    return value === null ? undefined : Number(value);
  }

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  healthy(): boolean {
    return this.commands?.status === 'ready' && this.subscriber?.status === 'ready';
  }
}

function ready(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => client.once('ready', () => resolve()));
}
