import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { LOGGER } from '@switchyard/observability';
import { connectRedis, type RedisClient } from './redis-topology';

/**
 * The one place Redis connections are made — one server, Sentinel or Cluster (redis-topology.ts).
 * Commands fail fast while disconnected (no offline queue) so a lost Redis never stalls a request;
 * ioredis reconnects forever with a capped backoff, and callers repair state once it is back.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly clients = new Set<RedisClient>();
  private readonly log: Logger;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'redis' });
  }

  /** True when Redis is configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES); else the in-process store is used. */
  get enabled(): boolean {
    return this.config.redis.enabled;
  }

  get prefix(): string {
    return this.config.redis.prefix;
  }

  /**
   * A new connection; `name` shows up in logs and CLIENT LIST. Throws when Redis is not configured.
   * `offlineQueue` is for subscriber connections only, whose SUBSCRIBE must wait for the connection.
   */
  create(name: string, options: { offlineQueue?: boolean } = {}): RedisClient {
    const client = connectRedis(this.config.redis, {
      connectionName: `switchyard-${name}`,
      offlineQueue: options.offlineQueue ?? false,
      connectTimeoutMs: 3000,
      retryDelay: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    });
    let down = false;
    client.on('error', (error: Error) => {
      // Without a listener ioredis would throw; one line per outage, not per retry.
      if (!down) this.log.warn({ connection: name, err: error.message }, 'redis connection lost');
      down = true;
    });
    client.on('ready', () => {
      if (down) this.log.info({ connection: name }, 'redis connection restored');
      down = false;
    });
    this.clients.add(client);
    return client;
  }

  /** Whether every connection made so far is ready. */
  healthy(): boolean {
    for (const client of this.clients) if (client.status !== 'ready') return false;
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.clients].map((client) => client.quit().catch(() => client.disconnect())));
    this.clients.clear();
  }
}
