import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { MIGRATIONS } from './migrations';

export interface DatabaseOptions {
  url?: string;
  schema: string;
  dataDir: string;
  /**
   * Longest a statement may run (server-side `statement_timeout`) and longest the client waits for
   * an answer (`query_timeout`, which also covers a server that is paused or cut off and so cannot
   * cancel anything itself). Unset: 5 s.
   */
  statementTimeoutMs?: number;
  /** Longest a request waits for a pooled connection, including opening a new one. Unset: 5 s. */
  acquireTimeoutMs?: number;
  /** Connections per process. Unset: 20. */
  poolSize?: number;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 5000;

export const QUERY_READ_TIMEOUT = 'Query read timeout';

/**
 * A pg client that drops its connection when a query's answer does not come in time. node-postgres
 * only stops waiting: the statement stays in flight on the socket, and a transaction whose ROLLBACK
 * also timed out would go back to the pool still open — the next borrower's COMMIT would then commit
 * the abandoned statements too. Destroying the socket makes the server (once it runs again) see the
 * session end and roll the open transaction back, and makes the pool discard the client.
 */
class TimeBoundClient extends Client {
  override query(...args: unknown[]): never {
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (error instanceof Error && error.message === QUERY_READ_TIMEOUT) {
          (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        }
      });
    }
    return result as never;
  }
}

/**
 * Builds (but does not initialise) the data source: PostgreSQL when a URL is given, embedded PGlite otherwise.
 * `timeouts: false` is for migrations, which may legitimately run longer than a request may wait.
 */
export function buildDataSource(options: DatabaseOptions, entities: EntityList, { timeouts = true }: { timeouts?: boolean } = {}): DataSource {
  const common = { entities, migrations: MIGRATIONS, synchronize: false, migrationsRun: false, logging: false } as const;
  if (options.url) {
    const statementTimeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    const bounded = timeouts
      ? {
          Client: TimeBoundClient,
          // The server cancels a slow statement first (connection stays usable); the client's read
          // timeout, a little later, is for a server that cannot answer at all (paused, partitioned).
          statement_timeout: statementTimeout,
          query_timeout: statementTimeout + 1000,
        }
      : {};
    return new DataSource({
      ...common,
      type: 'postgres',
      url: options.url,
      schema: options.schema,
      extra: {
        // Unqualified table names in migrations must land in the configured schema too.
        options: `-c search_path=${options.schema}`,
        max: options.poolSize ?? 20,
        // pg-pool applies this both to waiting for a free connection and to opening a new one.
        connectionTimeoutMillis: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
        // Detects a peer that vanished without a FIN (host down, partition) on idle pooled sockets.
        keepAlive: true,
        ...bounded,
      },
    });
  }
  const dataDir = resolve(options.dataDir, 'pgdata');
  mkdirSync(dataDir, { recursive: true });
  return new DataSource({ ...common, type: 'postgres', driver: new PGliteDriver({ dataDir }).driver });
}

/** Creates the schema when it is not `public` (each test suite gets its own). */
export async function ensureSchema(url: string, schema: string): Promise<void> {
  if (schema === 'public') return;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  if (schema === 'public') return;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function openDatabase(options: DatabaseOptions, entities: EntityList): Promise<DataSource> {
  if (options.url) {
    await ensureSchema(options.url, options.schema);
    // Migrations run on their own short-lived pool without request timeouts; the pool that serves
    // requests is opened afterwards with them.
    const migrator = buildDataSource(options, entities, { timeouts: false });
    await migrator.initialize();
    try {
      await migrator.runMigrations({ transaction: 'each' });
    } finally {
      await migrator.destroy();
    }
    const dataSource = buildDataSource(options, entities);
    await dataSource.initialize();
    return dataSource;
  }
  const dataSource = buildDataSource(options, entities);
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
