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
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

/** Builds (but does not initialise) the data source: PostgreSQL when a URL is given, embedded PGlite otherwise. */
export function buildDataSource(options: DatabaseOptions, entities: EntityList): DataSource {
  const common = { entities, migrations: MIGRATIONS, synchronize: false, migrationsRun: false, logging: false } as const;
  if (options.url) {
    return new DataSource({
      ...common,
      type: 'postgres',
      url: options.url,
      schema: options.schema,
      // Unqualified table names in migrations must land in the configured schema too.
      extra: { options: `-c search_path=${options.schema}`, max: 20, connectionTimeoutMillis: 5000 },
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
  if (options.url) await ensureSchema(options.url, options.schema);
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
