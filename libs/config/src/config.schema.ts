import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { EgressPolicy, EgressRuleError } from '@switchyard/mirror';

/** Parses "10s", "500ms", "5m", "30d" or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms'] ?? 1;
  return Math.round(Number(match[1]) * factor);
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDurationMs(value);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as 500ms, 10s, 5m or 30d (got "${value}")` });
        return z.NEVER;
      }
      return ms;
    });

const urlWithProtocols = (protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return undefined;
      try {
        const url = new URL(value);
        if (!protocols.includes(url.protocol)) throw new Error('protocol');
        return value;
      } catch {
        // Never echo the value: a URL may carry credentials.
        ctx.addIssue({ code: 'custom', message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` });
        return z.NEVER;
      }
    });

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((value, ctx) => {
      const n = Number(value);
      if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max} (got "${value}")` });
        return z.NEVER;
      }
      return n;
    });

/** Comma-separated http(s) URLs (webhook receivers); empty means none. */
const urlList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const urls = (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    for (const url of urls) {
      try {
        const parsed = new URL(url);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be comma-separated http:// or https:// URLs (item ${urls.indexOf(url) + 1} is not)` });
        return z.NEVER;
      }
    }
    return urls;
  });

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

/** Comma-separated addresses or CIDRs of the reverse proxies whose X-Forwarded-* headers are believed; empty means none. */
const proxyList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const items = (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of items) {
      const [address, bits, extra] = item.split('/');
      const version = isIP(address);
      const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 6 ? 128 : 32));
      if (!PROXY_PRESETS.includes(item) && (version === 0 || !prefixOk || extra !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be comma-separated proxy addresses or CIDRs (e.g. 10.0.0.0/8), or ${PROXY_PRESETS.join(', ')}; "${item}" is neither`,
        });
        return z.NEVER;
      }
    }
    return items;
  });

/** Comma-separated `host:port` pairs (Sentinels, cluster seed nodes); empty means none. */
const hostPortList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const items = (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    const nodes: Array<{ host: string; port: number }> = [];
    for (const item of items) {
      const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
      const port = match ? Number(match[2]) : 0;
      if (!match || port < 1 || port > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `must be comma-separated host:port pairs (e.g. redis-0:26379,redis-1:26379); item ${items.indexOf(item) + 1} is not`,
        });
        return z.NEVER;
      }
      nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
    }
    return nodes;
  });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: integer(4000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  TRUST_PROXY: proxyList,
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('public'),
  DATA_DIR: z.string().min(1).default('./.switchyard'),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:']),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 : _ . -')
    .default('switchyard:'),
  REDIS_SENTINELS: hostPortList,
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -')
    .optional(),
  REDIS_CLUSTER_NODES: hostPortList,
  DATABASE_STATEMENT_TIMEOUT: duration('5s'),
  DATABASE_ACQUIRE_TIMEOUT: duration('5s'),
  TOKEN_CACHE_MAX_STALE: duration('15m'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  SWITCHYARD_REPLICAS: integer(1, 1, 1000),
  BODY_LIMIT_BYTES: integer(1_048_576, 1024, 104_857_600),
  RECONCILE_INTERVAL: duration('10s'),
  STALE_AFTER: duration('30d'),
  SSE_HEARTBEAT: duration('15s'),
  SSE_MAX_BUFFER_BYTES: integer(1_048_576, 16_384, 67_108_864),
  CLIENT_RATE_PER_ADDRESS: integer(50, 1, 1_000_000),
  CLIENT_RATE_PER_TOKEN: integer(5_000, 1, 10_000_000),
  RELEASE_ABANDON_AFTER: duration('10m'),
  SWITCHYARD_ADMIN_TOKEN: z.string().min(20, 'must be at least 20 characters').optional(),
  UI_DIR: z.string().optional(),
  KUBECONFIG: z.string().optional(),
  KUBE_CONTEXT: z.string().optional(),
  HOME: z.string().optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  KUBERNETES_SERVICE_PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number')
    .optional(),
  PROMETHEUS_URL: urlWithProtocols(['http:', 'https:']),
  WEBHOOK_URLS: urlList,
  ROLLOUT_POLL_INTERVAL: duration('2s'),
  ROLLOUT_LEASE: duration('30s'),
  SCHEDULE_POLL: duration('1s'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SECRETS_KEY: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const key = Buffer.from(value, 'base64');
      if (key.length !== 32 || key.toString('base64') !== value.trim()) {
        ctx.addIssue({ code: 'custom', message: 'must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)' });
        return z.NEVER;
      }
      return key;
    }),
  METRICS_MAX_FLAG_SERIES: integer(10_000, 1, 1_000_000),
  CAPTURE_ROOT: z
    .string()
    .optional()
    .refine((value) => value === undefined || value === '' || isAbsolute(value), 'must be an absolute path (the directory holding recorded captures)'),
  REPLAY_CONCURRENCY: integer(16, 1, 1024),
  MIRROR_ALLOWED_TARGETS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return EgressPolicy.OPEN;
      try {
        return EgressPolicy.allowing(value);
      } catch (error) {
        if (!(error instanceof EgressRuleError)) throw error;
        ctx.addIssue({ code: 'custom', message: `must be comma-separated hosts, host:port, addresses or CIDRs: ${error.message}` });
        return z.NEVER;
      }
    }),
});

type ConfigShape = z.output<typeof configSchema>;

/** The validated configuration: the only place the process environment is read. */
export interface AppConfig {
  nodeEnv: ConfigShape['NODE_ENV'];
  port: number;
  host: string;
  /**
   * Reverse proxies (addresses, CIDRs) whose X-Forwarded-For/-Proto are believed. Empty: the socket's
   * address is the client's, so a client cannot pick the address the sign-in throttle keys on.
   */
  trustProxy: string[];
  /**
   * `statementTimeoutMs`: longest a statement runs or a reply is awaited; `acquireTimeoutMs`: longest
   * a request waits for a connection. Past either the request answers 503 instead of hanging.
   */
  database: { url?: string; schema: string; dataDir: string; statementTimeoutMs: number; acquireTimeoutMs: number };
  /**
   * Where Redis is: `url` (one server), or `sentinels` + `sentinelName` (the master Sentinel names,
   * found again after a failover), or `clusterNodes` (seed nodes of a Redis Cluster). With Sentinel or
   * Cluster, `url` only carries credentials, database and TLS (`rediss:`), when given. `enabled` is true
   * for any of the three; `mode` says which.
   */
  redis: RedisConfig;
  /**
   * While PostgreSQL is unreachable, a token verdict (valid or revoked) seen within this long is still
   * served, so SDK and OFREP reads keep working through an outage; once the database answers, verdicts
   * are checked again (a token revoked meanwhile stops working then).
   */
  tokenCacheMaxStaleMs: number;
  logLevel: ConfigShape['LOG_LEVEL'];
  bodyLimitBytes: number;
  reconcileIntervalMs: number;
  staleAfterMs: number;
  /** Comment lines keep idle SSE connections (and proxies in between) alive. */
  sseHeartbeatMs: number;
  /** A stream client with more than this unsent is too slow and is dropped. */
  sseMaxBufferBytes: number;
  /** Requests per second a browser client token may make from one address, and in all (bursts of 4× are allowed). */
  clientRatePerAddress: number;
  clientRatePerToken: number;
  /** A running release with no stage report for this long is marked abandoned. */
  releaseAbandonAfterMs: number;
  adminToken?: string;
  uiDir?: string;
  /** Where Kubernetes is: KUBECONFIG, else ~/.kube/config, else the in-cluster service account. */
  kubernetes: { kubeconfig?: string; context?: string; home?: string; inCluster?: { host: string; port: string } };
  /** Prometheus HTTP API for canary analysis. */
  prometheusUrl?: string;
  /** Receivers of rollout notifications (JSON with a Slack-compatible `text`). */
  webhookUrls: string[];
  /** How often each replica looks for rollouts to drive (new, approved, or orphaned by a stopped replica). */
  rolloutPollIntervalMs: number;
  /** A replica driving a rollout renews its claim within this; a stopped replica's rollouts move on after it. */
  rolloutLeaseMs: number;
  /** How often each replica looks for due scheduled flag changes (a timer also wakes it for the next one it knows of). */
  schedulePollMs: number;
  /** `token`: when set, GET /metrics needs `Authorization: Bearer <token>`. `maxFlagSeries`: distinct flag usage label sets exported. */
  metrics: { token?: string; maxFlagSeries: number };
  /** SECRETS_KEY: seals Secret values from release manifests at rest (AES-256-GCM); without it such manifests are refused. */
  secretsKey?: Buffer;
  /** Where mirror routes may send traffic (MIRROR_ALLOWED_TARGETS); unset: anywhere but loopback, link-local and metadata addresses. */
  mirrorTargets: EgressPolicy;
  /**
   * Captures a `darkLaunch.replay` may name: `root` (CAPTURE_ROOT; unset, no pipeline can replay)
   * and how many replayed requests one replay keeps in flight (REPLAY_CONCURRENCY).
   */
  captures: { root?: string; replayConcurrency: number };
  /** LOG_FORMAT; unset: JSON, unless a person runs the server in a terminal outside production (decided in main.ts). */
  logFormat?: 'json' | 'pretty';
  /**
   * SWITCHYARD_REPLICAS: how many server processes the deployment runs (the manifests set it from the
   * replica count). More than one needs shared storage, so the combination that cannot work is
   * refused at start instead of splitting flags across replicas.
   */
  replicas: number;
}

export interface RedisConfig {
  url?: string;
  prefix: string;
  mode: 'none' | 'standalone' | 'sentinel' | 'cluster';
  enabled: boolean;
  sentinels?: Array<{ host: string; port: number }>;
  sentinelName?: string;
  clusterNodes?: Array<{ host: string; port: number }>;
}

export class ConfigError extends Error {
  constructor(readonly problems: Array<{ variable: string; problem: string }>) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.problem}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  // Empty strings mean "unset": shells and compose files often export VAR= .
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), problem: issue.message })));
  }
  const c = parsed.data;
  const redisProblems = redisModeProblems(c);
  if (redisProblems.length > 0) throw new ConfigError(redisProblems);
  const replicaProblems = sharedStorageProblems(c);
  if (replicaProblems.length > 0) throw new ConfigError(replicaProblems);
  return {
    nodeEnv: c.NODE_ENV,
    port: c.PORT,
    host: c.HOST,
    trustProxy: c.TRUST_PROXY,
    database: {
      url: c.DATABASE_URL,
      schema: c.DATABASE_SCHEMA,
      dataDir: c.DATA_DIR,
      statementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT,
      acquireTimeoutMs: c.DATABASE_ACQUIRE_TIMEOUT,
    },
    redis: redisConfig(c),
    tokenCacheMaxStaleMs: c.TOKEN_CACHE_MAX_STALE,
    logLevel: c.LOG_LEVEL,
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    reconcileIntervalMs: c.RECONCILE_INTERVAL,
    staleAfterMs: c.STALE_AFTER,
    sseHeartbeatMs: c.SSE_HEARTBEAT,
    sseMaxBufferBytes: c.SSE_MAX_BUFFER_BYTES,
    clientRatePerAddress: c.CLIENT_RATE_PER_ADDRESS,
    clientRatePerToken: c.CLIENT_RATE_PER_TOKEN,
    releaseAbandonAfterMs: c.RELEASE_ABANDON_AFTER,
    adminToken: c.SWITCHYARD_ADMIN_TOKEN,
    uiDir: c.UI_DIR,
    kubernetes: {
      kubeconfig: c.KUBECONFIG,
      context: c.KUBE_CONTEXT,
      home: c.HOME,
      inCluster: c.KUBERNETES_SERVICE_HOST && c.KUBERNETES_SERVICE_PORT ? { host: c.KUBERNETES_SERVICE_HOST, port: c.KUBERNETES_SERVICE_PORT } : undefined,
    },
    prometheusUrl: c.PROMETHEUS_URL,
    webhookUrls: c.WEBHOOK_URLS,
    rolloutPollIntervalMs: c.ROLLOUT_POLL_INTERVAL,
    rolloutLeaseMs: c.ROLLOUT_LEASE,
    schedulePollMs: c.SCHEDULE_POLL,
    metrics: { token: c.METRICS_TOKEN, maxFlagSeries: c.METRICS_MAX_FLAG_SERIES },
    secretsKey: c.SECRETS_KEY,
    mirrorTargets: c.MIRROR_ALLOWED_TARGETS,
    captures: { root: c.CAPTURE_ROOT || undefined, replayConcurrency: c.REPLAY_CONCURRENCY },
    logFormat: c.LOG_FORMAT,
    replicas: c.SWITCHYARD_REPLICAS,
  };
}

/** Sentinel and Cluster exclude each other, and Sentinel needs the master's name. */
function redisModeProblems(c: ConfigShape): Array<{ variable: string; problem: string }> {
  const problems: Array<{ variable: string; problem: string }> = [];
  const sentinels = c.REDIS_SENTINELS.length > 0;
  const cluster = c.REDIS_CLUSTER_NODES.length > 0;
  if (sentinels && cluster) problems.push({ variable: 'REDIS_CLUSTER_NODES', problem: 'cannot be combined with REDIS_SENTINELS: choose Sentinel or Cluster' });
  if (sentinels && !c.REDIS_SENTINEL_NAME)
    problems.push({ variable: 'REDIS_SENTINEL_NAME', problem: 'is required with REDIS_SENTINELS (the master name the Sentinels monitor)' });
  if (!sentinels && c.REDIS_SENTINEL_NAME)
    problems.push({ variable: 'REDIS_SENTINELS', problem: 'is required with REDIS_SENTINEL_NAME (comma-separated host:port of the Sentinels)' });
  return problems;
}

function redisConfig(c: ConfigShape): RedisConfig {
  const base = { url: c.REDIS_URL, prefix: c.REDIS_PREFIX };
  if (c.REDIS_SENTINELS.length > 0) return { ...base, mode: 'sentinel', enabled: true, sentinels: c.REDIS_SENTINELS, sentinelName: c.REDIS_SENTINEL_NAME };
  if (c.REDIS_CLUSTER_NODES.length > 0) return { ...base, mode: 'cluster', enabled: true, clusterNodes: c.REDIS_CLUSTER_NODES };
  return c.REDIS_URL ? { ...base, mode: 'standalone', enabled: true } : { ...base, mode: 'none', enabled: false };
}

/**
 * Replicas share nothing but PostgreSQL and Redis: embedded PGlite is one process's files and the
 * in-memory store reaches one process's SDK clients, so either with more than one replica would
 * split flags between replicas. Refused, naming the missing setting.
 */
function sharedStorageProblems(c: ConfigShape): Array<{ variable: string; problem: string }> {
  if (c.SWITCHYARD_REPLICAS <= 1) return [];
  const problems: Array<{ variable: string; problem: string }> = [];
  const replicas = `SWITCHYARD_REPLICAS=${c.SWITCHYARD_REPLICAS}`;
  if (!c.DATABASE_URL) {
    problems.push({
      variable: 'DATABASE_URL',
      problem: `is required with ${replicas}: embedded storage serves one replica only (set DATABASE_URL, e.g. from the Secret's DATABASE_URL key, or SWITCHYARD_REPLICAS=1)`,
    });
  }
  if (!c.REDIS_URL && c.REDIS_SENTINELS.length === 0 && c.REDIS_CLUSTER_NODES.length === 0) {
    problems.push({
      variable: 'REDIS_URL',
      problem: `is required with ${replicas}: without Redis a flag change reaches one replica's SDK clients only (set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES)`,
    });
  }
  return problems;
}

/** The process's configuration, read from its environment once at start-up. */
export function loadProcessConfig(): AppConfig {
  return loadConfig(process.env);
}
