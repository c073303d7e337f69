import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, openDatabase } from './data-source';
import { MIGRATIONS } from './migrations';

// Test servers on embedded PGlite start from a copy of an already migrated data directory
// (test/support/pglite-template.ts), so this is where an empty database is migrated from scratch
// on every run, on whichever database the run uses.
describe('migrations', () => {
  const url = process.env.DATABASE_URL || undefined;
  const schema = url ? `t_${randomBytes(5).toString('hex')}` : 'public';
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-migrations-'));
  afterAll(async () => {
    if (url) await dropSchema(url, schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('bring an empty database to the current schema, and a second open finds nothing left to run', async () => {
    const first = await openDatabase({ url, schema, dataDir }, []);
    try {
      const applied = await first.query<{ name: string }[]>(`SELECT name FROM migrations ORDER BY "timestamp"`);
      expect(applied.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
      const tables = await first.query<{ table_name: string }[]>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('flags', 'releases', 'rollouts')`,
        [schema],
      );
      expect(tables.map((row) => row.table_name).sort()).toEqual(['flags', 'releases', 'rollouts']);
    } finally {
      await first.destroy();
    }

    const second = await openDatabase({ url, schema, dataDir }, []);
    try {
      expect(await second.showMigrations()).toBe(false);
    } finally {
      await second.destroy();
    }
  });
});
