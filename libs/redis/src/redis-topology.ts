import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '@switchyard/config';

/** One Redis server (also behind Sentinel) or a Redis Cluster: both offer the commands the store uses. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionSettings {
  /** Shows up in CLIENT LIST. */
  connectionName: string;
  /** Queue commands while disconnected (subscribers only: their SUBSCRIBE must wait). */
  offlineQueue: boolean;
  /** Delay before reconnect attempt `attempt` (1-based). */
  retryDelay: (attempt: number) => number;
  connectTimeoutMs: number;
}

/** Credentials, database and TLS carried by REDIS_URL when Sentinel or Cluster names the hosts. */
function urlSettings(url: string | undefined): Pick<RedisOptions, 'username' | 'password' | 'db' | 'tls'> {
  if (!url) return {};
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(/^\d+$/.test(db) ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** A write reached a master that Sentinel has since demoted: reconnect (to whatever Sentinel names now). */
const demotedMaster = (error: Error): boolean => error.message.startsWith('READONLY');

/**
 * A connection for the configured topology. Commands fail fast (one retry) while disconnected;
 * reconnection never gives up. Sentinel: ioredis asks the Sentinels for the current master on every
 * (re)connect, so a dead master's clients find the promoted one; a master demoted while still
 * reachable answers READONLY, which forces the same reconnect. (ioredis' `failoverDetector` is not
 * used: a +switch-master arriving while a reconnect is resolving ends the connection for good —
 * seen in the Sentinel failover test.) Cluster: ioredis follows MOVED/ASK redirections and refreshes
 * the slot map after a failover.
 */
export function connectRedis(config: RedisConfig, settings: RedisConnectionSettings): RedisClient {
  const common: RedisOptions = {
    connectionName: settings.connectionName,
    maxRetriesPerRequest: 1,
    connectTimeout: settings.connectTimeoutMs,
  };
  switch (config.mode) {
    case 'cluster':
      return new Cluster(config.clusterNodes ?? [], {
        enableOfflineQueue: settings.offlineQueue,
        clusterRetryStrategy: (attempt) => settings.retryDelay(attempt),
        // A failed-over slot answers MOVED/CLUSTERDOWN for a moment; retry within the command's budget.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        maxRedirections: 16,
        slotsRefreshTimeout: settings.connectTimeoutMs,
        redisOptions: { ...common, ...urlSettings(config.url) },
      });
    case 'sentinel':
      return new Redis({
        ...common,
        ...urlSettings(config.url),
        sentinels: config.sentinels,
        name: config.sentinelName,
        reconnectOnError: demotedMaster,
        enableOfflineQueue: settings.offlineQueue,
        retryStrategy: (attempt) => settings.retryDelay(attempt),
        sentinelRetryStrategy: (attempt) => settings.retryDelay(attempt),
      });
    case 'standalone':
      return new Redis(config.url!, { ...common, enableOfflineQueue: settings.offlineQueue, retryStrategy: (attempt) => settings.retryDelay(attempt) });
    case 'none':
      throw new Error('Redis is not configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES)');
  }
}

/** A human description without credentials, for logs and start-up lines. */
export function describeRedis(config: RedisConfig): string {
  switch (config.mode) {
    case 'cluster':
      return `cluster ${(config.clusterNodes ?? []).map((node) => `${node.host}:${node.port}`).join(',')}`;
    case 'sentinel':
      return `sentinel master "${config.sentinelName}" via ${(config.sentinels ?? []).map((node) => `${node.host}:${node.port}`).join(',')}`;
    case 'standalone': {
      const url = new URL(config.url!);
      return `${url.protocol}//${url.host}`;
    }
    case 'none':
      return 'none';
  }
}
