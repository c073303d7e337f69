import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { openDatabase } from '@switchyard/persistence';

/**
 * A migrated embedded (PGlite) data directory that test servers start from.
 *
 * A fresh PGlite runs initdb in WASM and then every migration: ~8–10 s per test server, most of
 * the embedded CI pass. The result is the same for every server, so it is built once (per machine,
 * until a migration or the database packages change) and each test server starts from a copy of it
 * (~0.1 s). The server still runs its own migrations at boot; they find nothing to do. Building the
 * template itself is a from-scratch migration through the production `openDatabase`, and
 * libs/persistence's own spec and `npm start` (test/e2e/platform) migrate an empty directory too.
 * TEST_PGLITE_TEMPLATE=off makes every test server migrate from scratch again (to compare, or to
 * rule the template out).
 */

const root = resolve(__dirname, '../..');

/**
 * Everything that decides the template's content: the migrations, how they are run, and the
 * versions of the packages that write the files. A change to any gives a new directory, so a stale
 * template is never reused.
 */
function templateKey(): string {
  const hash = createHash('sha256');
  for (const pkg of ['@electric-sql/pglite', 'typeorm', 'typeorm-pglite']) {
    const { version } = JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string };
    hash.update(`${pkg}@${version}\n`);
  }
  const migrations = join(root, 'libs/persistence/src/migrations');
  const files = [
    ...readdirSync(migrations)
      .sort()
      .map((name) => join(migrations, name)),
    join(root, 'libs/persistence/src/data-source.ts'),
  ];
  for (const file of files) hash.update(`${file.slice(root.length)}\n`).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** A lock older than this belongs to a worker that died while building; the template is built anyway. */
const STALE_LOCK_MS = 180_000;
/** Templates of other migration sets (another checkout, an older commit) are removed once this old. */
const OLD_TEMPLATE_MS = 24 * 3600_000;
const PREFIX = 'switchyard-pglite-template-';

/** Removes other keys' templates (~40 MB each) and leftovers of killed builds, once they are old. */
function sweep(template: string): void {
  const now = Date.now();
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX) || name === basename(template)) continue;
    const path = join(tmpdir(), name);
    const mtime = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now;
    if (now - mtime > (name.endsWith('.lock') || name.includes('.building-') ? STALE_LOCK_MS : OLD_TEMPLATE_MS)) {
      rmSync(path, { recursive: true, force: true });
    }
  }
}

async function buildTemplate(template: string): Promise<void> {
  const staging = `${template}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const dataSource = await openDatabase({ schema: 'public', dataDir: staging }, []);
    await dataSource.destroy();
    // Atomic: another worker sees either no template or a complete one.
    renameSync(join(staging, 'pgdata'), template);
    sweep(template);
  } catch (error) {
    // Lost a race to a worker that took over a lock it thought stale: its template is as good.
    if (!existsSync(template)) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

let pending: Promise<string> | undefined;

/** The template's path, built first when this machine has none for the current migrations. */
function migratedTemplate(): Promise<string> {
  pending ??= (async () => {
    const template = join(tmpdir(), `${PREFIX}${templateKey()}`);
    const lock = `${template}.lock`;
    // Jest runs suites in parallel workers: one builds, the others wait for its rename.
    while (!existsSync(template)) {
      try {
        mkdirSync(lock);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
        else await new Promise((done) => setTimeout(done, 100));
        continue;
      }
      try {
        if (!existsSync(template)) await buildTemplate(template);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
    return template;
  })();
  pending.catch(() => (pending = undefined));
  return pending;
}

/**
 * Gives an embedded test database the migrated template's data, unless it already has data (a
 * restarted server or a replica sharing it must see what the first one wrote).
 */
export async function seedEmbeddedDatabase(dataDir: string): Promise<void> {
  // The layout buildDataSource uses for DATA_DIR.
  const pgdata = join(dataDir, 'pgdata');
  if (existsSync(pgdata)) return;
  cpSync(await migratedTemplate(), pgdata, { recursive: true });
}
