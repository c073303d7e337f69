import type { Snapshot } from '@switchyard/core';

export type ClientMode = 'stream' | 'poll' | 'redis';

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisConnectionOptions {
  /**
   * `redis://host:6379` or `rediss://…` — the Redis the Switchyard server publishes to. With
   * `sentinels` or `clusterNodes` it is optional and only carries credentials, database and TLS.
   */
  url?: string;
  /** The server's `REDIS_PREFIX`. Default `switchyard:`. */
  prefix?: string;
  /** Passed to ioredis unchanged (TLS, username…); with `clusterNodes`, used for each node's connection. */
  options?: Record<string, unknown>;
  /** Redis Sentinel: the Sentinels (the server's `REDIS_SENTINELS`); needs `sentinelName`. */
  sentinels?: RedisNode[];
  /** Redis Sentinel: the master name (the server's `REDIS_SENTINEL_NAME`). */
  sentinelName?: string;
  /** Redis Cluster: seed nodes (the server's `REDIS_CLUSTER_NODES`). */
  clusterNodes?: RedisNode[];
}

export interface ClientOptions {
  /** Base URL of the Switchyard server, e.g. `https://flags.example.com`. Needed by `stream` and `poll`, and for usage metrics. */
  url?: string;
  /** An SDK token (`sdk:<environment>` scope), or an admin/`flags:read` token together with `environment`. */
  token?: string;
  /** Environment key. Needed with `mode: 'redis'` and with tokens that are not pinned to one environment. */
  environment?: string;
  /** How the flags are kept current. Default `stream`. */
  mode?: ClientMode;
  /** Redis connection for `mode: 'redis'`. */
  redis?: RedisConnectionOptions;
  /** How long `createClient` / `waitUntilReady()` wait for the first snapshot. Default 5000 ms. */
  timeoutMs?: number;
  /** `poll` mode: time between conditional GETs. Default 30000 ms. */
  pollIntervalMs?: number;
  /** Flags to serve until the server answers: a snapshot object, or the path of a JSON file holding one. */
  bootstrap?: Snapshot | string;
  /** Path of the last-known-good cache: rewritten (atomically) on every new version, read at start. */
  cacheFile?: string;
  /** Never connect: serve `bootstrap` / `cacheFile` only (tests, local development). Default false. */
  offline?: boolean;
  /** How often usage counts are sent to the server. Default 30000 ms; 0 turns usage metrics off. */
  metricsIntervalMs?: number;
  /** Most distinct (flag, variant) pairs counted between two flushes. Default 10000. */
  maxMetricsEntries?: number;
  /** Stream mode: no data and no heartbeat for this long means the connection is dead. Default 45000 ms. */
  heartbeatTimeoutMs?: number;
  /** First reconnect delay; doubles per failed attempt, with jitter. Default 1000 ms. */
  reconnectInitialMs?: number;
  /** Longest reconnect delay. Default 30000 ms. */
  reconnectMaxMs?: number;
  /** Timeout of one HTTP request (snapshot, metrics, opening the stream). Default 10000 ms. */
  requestTimeoutMs?: number;
}

export interface ResolvedOptions {
  url: string | undefined;
  token: string | undefined;
  environment: string | undefined;
  mode: ClientMode;
  redis:
    | { url: string | undefined; prefix: string; options: Record<string, unknown>; sentinels?: RedisNode[]; sentinelName?: string; clusterNodes?: RedisNode[] }
    | undefined;
  timeoutMs: number;
  pollIntervalMs: number;
  bootstrap: Snapshot | string | undefined;
  cacheFile: string | undefined;
  offline: boolean;
  metricsIntervalMs: number;
  maxMetricsEntries: number;
  heartbeatTimeoutMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  requestTimeoutMs: number;
}

function duration(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`Switchyard: option ${name} must be a number of milliseconds ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`Switchyard: option ${name} must be a non-empty string`);
  return value;
}

/** A non-empty list of `{ host, port }`, or undefined when not given. */
function nodes(name: string, value: unknown): RedisNode[] | undefined {
  if (value === undefined) return undefined;
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (node: unknown) =>
        typeof node === 'object' &&
        node !== null &&
        typeof (node as RedisNode).host === 'string' &&
        (node as RedisNode).host.length > 0 &&
        Number.isInteger((node as RedisNode).port) &&
        (node as RedisNode).port > 0 &&
        (node as RedisNode).port < 65536,
    );
  if (!valid) throw new TypeError(`Switchyard: option ${name} must be a non-empty array of { host, port }`);
  return (value as RedisNode[]).map((node) => ({ host: node.host, port: node.port }));
}

/** Applies defaults and rejects unusable combinations up front, so mistakes surface at start-up. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('Switchyard: createClient needs an options object');
  const mode = options.mode ?? 'stream';
  if (mode !== 'stream' && mode !== 'poll' && mode !== 'redis')
    throw new TypeError(`Switchyard: option mode must be stream, poll or redis, got ${String(mode)}`);
  const url = text('url', options.url);
  if (url !== undefined) {
    const protocol = (() => {
      try {
        return new URL(url).protocol;
      } catch {
        return '';
      }
    })();
    if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(`Switchyard: option url must be an http(s) URL, got ${url}`);
  }
  const offline = options.offline === true;
  const environment = text('environment', options.environment);
  const cacheFile = text('cacheFile', options.cacheFile);
  const bootstrap = options.bootstrap;
  if (bootstrap !== undefined && typeof bootstrap !== 'string' && (bootstrap === null || typeof bootstrap !== 'object')) {
    throw new TypeError('Switchyard: option bootstrap must be a snapshot object or a file path');
  }
  let redis: ResolvedOptions['redis'];
  if (offline) {
    if (bootstrap === undefined && cacheFile === undefined) throw new TypeError('Switchyard: offline mode needs bootstrap or cacheFile');
  } else if (mode === 'redis') {
    const redisUrl = text('redis.url', options.redis?.url);
    const sentinels = nodes('redis.sentinels', options.redis?.sentinels);
    const clusterNodes = nodes('redis.clusterNodes', options.redis?.clusterNodes);
    const sentinelName = text('redis.sentinelName', options.redis?.sentinelName);
    if (sentinels && clusterNodes) throw new TypeError('Switchyard: redis.sentinels and redis.clusterNodes exclude each other');
    if (sentinels && sentinelName === undefined) throw new TypeError('Switchyard: redis.sentinels needs redis.sentinelName (the master name)');
    if (redisUrl === undefined && !sentinels && !clusterNodes)
      throw new TypeError("Switchyard: mode 'redis' needs redis.url, redis.sentinels or redis.clusterNodes");
    if (environment === undefined) throw new TypeError("Switchyard: mode 'redis' needs environment");
    redis = {
      url: redisUrl,
      prefix: options.redis?.prefix ?? 'switchyard:',
      options: options.redis?.options ?? {},
      ...(sentinels ? { sentinels, sentinelName } : {}),
      ...(clusterNodes ? { clusterNodes } : {}),
    };
  } else if (url === undefined) {
    throw new TypeError(`Switchyard: mode '${mode}' needs url (or offline: true with bootstrap)`);
  }
  return {
    url,
    token: text('token', options.token),
    environment,
    mode,
    redis,
    timeoutMs: duration('timeoutMs', options.timeoutMs, 5000, 0),
    pollIntervalMs: duration('pollIntervalMs', options.pollIntervalMs, 30_000),
    bootstrap,
    cacheFile,
    offline,
    metricsIntervalMs: duration('metricsIntervalMs', options.metricsIntervalMs, 30_000, 0),
    maxMetricsEntries: duration('maxMetricsEntries', options.maxMetricsEntries, 10_000),
    heartbeatTimeoutMs: duration('heartbeatTimeoutMs', options.heartbeatTimeoutMs, 45_000),
    reconnectInitialMs: duration('reconnectInitialMs', options.reconnectInitialMs, 1000),
    reconnectMaxMs: duration('reconnectMaxMs', options.reconnectMaxMs, 30_000),
    requestTimeoutMs: duration('requestTimeoutMs', options.requestTimeoutMs, 10_000),
  };
}
