import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { loadConfig, type AppConfig } from '@switchyard/config';
import { createLogger } from '@switchyard/observability';
import type { DestinationStream } from 'pino';
import { Database, dropSchema } from '@switchyard/persistence';
import { createServer } from '../../apps/server/src/create-server';
import { seedEmbeddedDatabase } from './pglite-template';
import { PrivateRedis, portOpen } from './redis-server';

export type RedisChoice = 'auto' | 'none' | { url: string };

export interface TestServerOptions {
  /** 'auto': REDIS_URL, else the machine's 127.0.0.1:6379, else a private redis-server. */
  redis?: RedisChoice;
  /** Share one database with another test server (replicas): pass its `database`. */
  database?: TestDatabase;
  env?: Record<string, string>;
  modules?: NonNullable<ModuleMetadata['imports']>;
  /**
   * Where the server's JSON log lines go (default: stdout). Lets a test read what the server
   * logged, e.g. that no secret reaches a log line; set `env.LOG_LEVEL` for the lines it needs.
   */
  logDestination?: DestinationStream;
  /**
   * Keep production's change-request approval as a fresh installation has it. Off by default: suites
   * written before change requests write to production with X-Switchyard-Confirm, which approval
   * environments replace (test/e2e/flags/change-requests.spec.ts covers approval).
   */
  productionApproval?: boolean;
}

export interface TestDatabase {
  url?: string;
  schema: string;
  dataDir: string;
  owned: boolean;
}

export interface TestServer {
  app: NestFastifyApplication;
  url: string;
  config: AppConfig;
  database: TestDatabase;
  redisUrl?: string;
  /** Bearer secret with scope `admin` (SWITCHYARD_ADMIN_TOKEN of this server). */
  adminToken: string;
  close(): Promise<void>;
}

const env = process.env;

/** A fresh database for one suite: its own schema on PostgreSQL, its own directory for PGlite. */
export function newTestDatabase(): TestDatabase {
  const suffix = randomBytes(5).toString('hex');
  return {
    url: env.DATABASE_URL || undefined,
    schema: env.DATABASE_URL ? `t_${suffix}` : 'public',
    dataDir: mkdtempSync(join(tmpdir(), 'switchyard-test-')),
    owned: true,
  };
}

let privateRedis: PrivateRedis | undefined;
// typeorm-pglite keeps one PGlite per process, so two embedded servers in one test file would
// silently share a database. Refuse that instead; replicas must share `database` on purpose.
let embeddedServers = 0;

export async function resolveRedisUrl(choice: RedisChoice = 'auto'): Promise<string | undefined> {
  if (choice === 'none') return undefined;
  if (typeof choice === 'object') return choice.url;
  if (env.REDIS_URL) return env.REDIS_URL;
  if (await portOpen(6379)) return 'redis://127.0.0.1:6379';
  privateRedis ??= await PrivateRedis.start();
  return privateRedis.url;
}

/** Starts the real server in-process on a free port, with its own schema and Redis key prefix. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ? { ...options.database, owned: false } : newTestDatabase();
  if (!database.url && !options.database && embeddedServers > 0) {
    throw new Error('embedded PGlite: only one test server per test file at a time (or pass `database` to share it on purpose)');
  }
  const redisUrl = await resolveRedisUrl(options.redis);
  const prefix = options.env?.REDIS_PREFIX ?? `test:${randomBytes(5).toString('hex')}:`;
  const adminToken = options.env?.SWITCHYARD_ADMIN_TOKEN ?? `sy_test_${randomBytes(18).toString('base64url')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: database.url,
    DATABASE_SCHEMA: database.schema,
    DATA_DIR: database.dataDir,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    SWITCHYARD_ADMIN_TOKEN: adminToken,
    ...options.env,
  });
  // Embedded: start from a copy of a migrated data directory instead of initdb + every migration in
  // WASM (~10 s a server); the server's own migrations still run and find nothing to do. Not while
  // another embedded server runs: the process's one PGlite is then shared anyway.
  if (!config.database.url && embeddedServers === 0 && env.TEST_PGLITE_TEMPLATE !== 'off') await seedEmbeddedDatabase(config.database.dataDir);
  const app = await createServer(config, createLogger(config.logLevel, undefined, 'json', options.logDestination), options.modules ?? []);
  if (!options.productionApproval) await app.get(Database).query(`UPDATE environments SET require_approval = false WHERE key = 'production'`);
  await app.listen({ port: 0, host: '127.0.0.1' });
  if (!database.url) embeddedServers += 1;
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    config,
    database,
    redisUrl,
    adminToken,
    async close() {
      await app.close();
      if (!database.url) embeddedServers -= 1;
      if (database.owned) {
        if (database.url) await dropSchema(database.url, database.schema);
        rmSync(database.dataDir, { recursive: true, force: true });
      }
      if (redisUrl) await deleteKeys(redisUrl, prefix);
    },
  };
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Redis may be the one the test killed; nothing to clean then.
  } finally {
    client.disconnect();
  }
}

export async function stopPrivateRedis(): Promise<void> {
  await privateRedis?.stop();
  privateRedis = undefined;
}

/** Polls a condition until it holds (for state with no event to await, like readiness). */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
