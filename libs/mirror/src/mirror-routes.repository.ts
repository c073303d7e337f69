import type { SqlRunner } from './sql-runner';

/** One row of mirror_routes; `definition` is the route as it was sent (defaults not filled in). */
export interface MirrorRouteRow {
  name: string;
  definition: unknown;
  version: number;
  created_by: string;
  updated_by: string;
  created_at: Date | string;
  updated_at: Date | string;
}

/** What a route remembers of the rollout that set it up, for the timeline. */
export interface MirrorRouteOwner {
  service: string | null;
  environment: string | null;
}

export interface MirrorRouteWrite {
  name: string;
  /** The body as sent, JSON. */
  definition: string;
  actor: string;
  service: string | null;
  environment: string | null;
}

const COLUMNS = 'name, definition, version, created_by, updated_by, created_at, updated_at';

/**
 * Mirror routes and the route set's revision, in SQL that runs on PostgreSQL and PGlite alike.
 * Every method works on what it is given: a transaction's manager, or the Database for a single read.
 * No constructor dependencies and no decorators, so the library stays free of Nest at run time.
 */
export class MirrorRoutesRepository {
  async find(db: SqlRunner, name: string): Promise<MirrorRouteRow | undefined> {
    const [row] = (await db.query(`SELECT ${COLUMNS} FROM mirror_routes WHERE name = $1`, [name])) as MirrorRouteRow[];
    return row;
  }

  /** The row, locked for the rest of the transaction. */
  async lock(m: SqlRunner, name: string): Promise<MirrorRouteRow | undefined> {
    const [row] = (await m.query(`SELECT ${COLUMNS} FROM mirror_routes WHERE name = $1 FOR UPDATE`, [name])) as MirrorRouteRow[];
    return row;
  }

  /** Whether the route exists, locking it for the rest of the transaction. */
  async lockName(m: SqlRunner, name: string): Promise<boolean> {
    const [existing] = (await m.query(`SELECT name FROM mirror_routes WHERE name = $1 FOR UPDATE`, [name])) as unknown[];
    return Boolean(existing);
  }

  async all(m: SqlRunner): Promise<MirrorRouteRow[]> {
    return (await m.query(`SELECT ${COLUMNS} FROM mirror_routes ORDER BY name`)) as MirrorRouteRow[];
  }

  async insert(m: SqlRunner, route: MirrorRouteWrite): Promise<MirrorRouteRow> {
    const [row] = (await m.query(
      `INSERT INTO mirror_routes (name, definition, version, created_by, updated_by, service, environment) VALUES ($1, $2, 1, $3, $3, $4, $5) RETURNING ${COLUMNS}`,
      [route.name, route.definition, route.actor, route.service, route.environment],
    )) as MirrorRouteRow[];
    return row;
  }

  /** A new version of the route; a null service or environment keeps the one it has. */
  async update(m: SqlRunner, route: MirrorRouteWrite): Promise<MirrorRouteRow> {
    // Wrapped in a CTE because TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
    const [row] = (await m.query(
      `WITH updated AS (UPDATE mirror_routes SET definition = $2, version = version + 1, updated_by = $3, updated_at = now(),
           service = COALESCE($4, service), environment = COALESCE($5, environment) WHERE name = $1 RETURNING ${COLUMNS})
         SELECT ${COLUMNS} FROM updated`,
      [route.name, route.definition, route.actor, route.service, route.environment],
    )) as MirrorRouteRow[];
    return row;
  }

  async delete(m: SqlRunner, name: string): Promise<void> {
    await m.query(`DELETE FROM mirror_routes WHERE name = $1`, [name]);
  }

  async owner(m: SqlRunner, name: string): Promise<MirrorRouteOwner | undefined> {
    const [row] = (await m.query(`SELECT service, environment FROM mirror_routes WHERE name = $1`, [name])) as MirrorRouteOwner[];
    return row;
  }

  /** The route's definition with its owner (what a verdict change is recorded against). */
  async findWithOwner(m: SqlRunner, name: string): Promise<(MirrorRouteOwner & { definition: unknown }) | undefined> {
    const [row] = (await m.query(`SELECT definition, service, environment FROM mirror_routes WHERE name = $1`, [name])) as (MirrorRouteOwner & {
      definition: unknown;
    })[];
    return row;
  }

  /** Bumped by every change to any route; proxies' streams send each revision once. */
  async revision(m: SqlRunner): Promise<number> {
    const [row] = (await m.query(`SELECT revision::int AS revision FROM mirror_route_revision WHERE id = 1`)) as { revision: number }[];
    return Number(row.revision);
  }

  async bumpRevision(m: SqlRunner): Promise<void> {
    await m.query(`UPDATE mirror_route_revision SET revision = revision + 1 WHERE id = 1`);
  }
}
