import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@switchyard/audit';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { ConflictError, ForbiddenError, NotFoundError, ValidationFailedError } from '@switchyard/errors';
import { mirrorRouteSchema, validateRoutes, type EgressPolicy, type MirrorRoute } from '@switchyard/mirror';
import { Database } from '@switchyard/persistence';
import { MirrorRouteFeed } from './mirror-route-feed.service';

export interface MirrorRouteView {
  name: string;
  version: number;
  /** The route with every default filled in, as proxies run it. */
  route: MirrorRoute;
  createdBy: string;
  updatedBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface MirrorRouteList {
  /** Bumped by every change to any route. */
  revision: number;
  items: MirrorRouteView[];
}

interface RouteRow {
  name: string;
  definition: unknown;
  version: number;
  created_by: string;
  updated_by: string;
  created_at: Date | string;
  updated_at: Date | string;
}

type Readable = 'all' | readonly string[];

/** Set when a rollout changes a route: whose timeline the change belongs on, and why. */
export interface RouteChangeContext {
  service?: string;
  environment?: string;
  comment?: string;
}

const COLUMNS = 'name, definition, version, created_by, updated_by, created_at, updated_at';

/**
 * Mirror routes in PostgreSQL: validated with the same schema as route files and against the
 * egress policy (MIRROR_ALLOWED_TARGETS), versioned, audited, pushed to proxies.
 */
@Injectable()
export class MirrorRoutesService {
  private readonly targets: EgressPolicy;

  constructor(
    private readonly database: Database,
    private readonly audit: AuditService,
    private readonly feed: MirrorRouteFeed,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.targets = config.mirrorTargets;
  }

  /** `readable`: the routes a proxy token is bound to (see readableMirrorRoutes), or 'all'. */
  async list(readable: Readable = 'all'): Promise<MirrorRouteList> {
    return this.database.transaction(async (m) => ({
      revision: await this.revision(m),
      items: (await this.rows(m)).filter((row) => readable === 'all' || readable.includes(row.name)).map(toView),
    }));
  }

  async get(name: string, readable: Readable = 'all'): Promise<MirrorRouteView> {
    if (readable !== 'all' && !readable.includes(name)) throw new ForbiddenError(`this token may read mirror routes ${readable.join(', ')} only`);
    const [row] = await this.database.query<RouteRow>(`SELECT ${COLUMNS} FROM mirror_routes WHERE name = $1`, [name]);
    if (!row) throw new NotFoundError('mirror route', name);
    return toView(row);
  }

  async create(input: unknown, actor: string, context: RouteChangeContext = {}): Promise<MirrorRouteView> {
    const route = parseRoute(input, this.targets);
    const view = await this.database.transaction(async (m) => {
      const [existing] = await m.query(`SELECT name FROM mirror_routes WHERE name = $1 FOR UPDATE`, [route.name]);
      if (existing) throw new ConflictError(`mirror route ${route.name} already exists`);
      await this.checkOverlap(m, route);
      const [row] = (await m.query(
        `INSERT INTO mirror_routes (name, definition, version, created_by, updated_by, service, environment) VALUES ($1, $2, 1, $3, $3, $4, $5) RETURNING ${COLUMNS}`,
        [route.name, JSON.stringify(input), actor, context.service ?? null, context.environment ?? null],
      )) as RouteRow[];
      const created = toView(row);
      await this.audit.record(m, {
        actor,
        action: 'mirror-route.created',
        target: `mirror-route:${route.name}`,
        after: created.route,
        ...(await owner(m, route.name, context)),
      });
      await this.bump(m);
      return created;
    });
    this.feed.changed();
    return view;
  }

  async replace(name: string, input: unknown, actor: string, ifMatch: number | undefined, context: RouteChangeContext = {}): Promise<MirrorRouteView> {
    const body = input !== null && typeof input === 'object' && !Array.isArray(input) && !('name' in input) ? { ...input, name } : input;
    const route = parseRoute(body, this.targets);
    if (route.name !== name)
      throw new ValidationFailedError([{ path: 'name', problem: `must be ${name} (the route in the URL); renaming is delete + create` }]);
    const view = await this.database.transaction(async (m) => {
      const before = await this.locked(m, name, ifMatch);
      await this.checkOverlap(m, route);
      // Wrapped in a CTE because TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
      const [row] = (await m.query(
        `WITH updated AS (UPDATE mirror_routes SET definition = $2, version = version + 1, updated_by = $3, updated_at = now(),
           service = COALESCE($4, service), environment = COALESCE($5, environment) WHERE name = $1 RETURNING ${COLUMNS})
         SELECT ${COLUMNS} FROM updated`,
        [name, JSON.stringify(body), actor, context.service ?? null, context.environment ?? null],
      )) as RouteRow[];
      const updated = toView(row);
      await this.audit.record(m, {
        actor,
        action: 'mirror-route.updated',
        target: `mirror-route:${name}`,
        before: before.route,
        after: updated.route,
        ...(await owner(m, name, context)),
      });
      await this.bump(m);
      return updated;
    });
    this.feed.changed();
    return view;
  }

  async remove(name: string, actor: string, ifMatch: number | undefined, context: RouteChangeContext = {}): Promise<MirrorRouteView> {
    const view = await this.database.transaction(async (m) => {
      const before = await this.locked(m, name, ifMatch);
      const tagged = await owner(m, name, context);
      await m.query(`DELETE FROM mirror_routes WHERE name = $1`, [name]);
      await this.audit.record(m, { actor, action: 'mirror-route.deleted', target: `mirror-route:${name}`, before: before.route, ...tagged });
      await this.bump(m);
      return before;
    });
    this.feed.changed();
    return view;
  }

  /** Every route with defaults filled in, plus the revision (what the route stream sends). */
  async current(readable: Readable = 'all'): Promise<{ revision: number; routes: MirrorRoute[] }> {
    const list = await this.list(readable);
    return { revision: list.revision, routes: list.items.map((item) => item.route) };
  }

  private async locked(m: EntityManager, name: string, ifMatch: number | undefined): Promise<MirrorRouteView> {
    const [row] = (await m.query(`SELECT ${COLUMNS} FROM mirror_routes WHERE name = $1 FOR UPDATE`, [name])) as RouteRow[];
    if (!row) throw new NotFoundError('mirror route', name);
    if (ifMatch !== undefined && ifMatch !== row.version) {
      throw new ConflictError(`mirror route ${name} changed since version ${ifMatch}`, { currentVersion: row.version });
    }
    return toView(row);
  }

  /** Two routes claiming the same host and prefix would make matching depend on insertion order. */
  private async checkOverlap(m: EntityManager, route: MirrorRoute): Promise<void> {
    for (const other of (await this.rows(m)).map(toView)) {
      if (other.name === route.name) continue;
      if (
        (other.route.match.host?.toLowerCase() ?? '*') === (route.match.host?.toLowerCase() ?? '*') &&
        other.route.match.pathPrefix === route.match.pathPrefix
      ) {
        throw new ValidationFailedError([{ path: 'match', problem: `matches exactly the same requests as route ${other.name}` }]);
      }
    }
  }

  private async rows(m: EntityManager): Promise<RouteRow[]> {
    return (await m.query(`SELECT ${COLUMNS} FROM mirror_routes ORDER BY name`)) as RouteRow[];
  }

  private async revision(m: EntityManager): Promise<number> {
    const [row] = (await m.query(`SELECT revision::int AS revision FROM mirror_route_revision WHERE id = 1`)) as { revision: number }[];
    return Number(row.revision);
  }

  private async bump(m: EntityManager): Promise<void> {
    await m.query(`UPDATE mirror_route_revision SET revision = revision + 1 WHERE id = 1`);
  }
}

/**
 * Validates one route with the route-file schema, then its targets against the egress policy;
 * problem paths are relative to the body (`sample.percent`, `primary`).
 */
export function parseRoute(input: unknown, targets: EgressPolicy): MirrorRoute {
  const { routes, problems } = validateRoutes([input]);
  if (problems.length > 0) {
    throw new ValidationFailedError(problems.map((problem) => ({ path: bodyPath(problem.path.slice(1)), problem: problem.problem })));
  }
  const route = routes[0];
  const refused = (['primary', 'candidate', 'secondary'] as const).flatMap((field) => {
    const target = route[field];
    const problem = target === undefined ? undefined : targets.refusal(target);
    return problem ? [{ path: field, problem }] : [];
  });
  if (refused.length > 0) throw new ValidationFailedError(refused);
  return route;
}

/**
 * The service and environment a route change belongs to: the caller's (a rollout), else what the
 * route remembers from the rollout that set it up; plus the caller's comment.
 */
export async function owner(
  m: EntityManager,
  name: string,
  context: RouteChangeContext,
): Promise<{ service?: string; environment?: string; comment?: string }> {
  const [row] = (await m.query(`SELECT service, environment FROM mirror_routes WHERE name = $1`, [name])) as {
    service: string | null;
    environment: string | null;
  }[];
  const service = context.service ?? row?.service ?? undefined;
  const environment = context.environment ?? row?.environment ?? undefined;
  return {
    ...(service ? { service } : {}),
    ...(environment ? { environment } : {}),
    ...(context.comment ? { comment: context.comment } : {}),
  };
}

function bodyPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(body)' : out;
}

function toView(row: RouteRow): MirrorRouteView {
  const definition = typeof row.definition === 'string' ? (JSON.parse(row.definition) as unknown) : row.definition;
  return {
    name: row.name,
    version: Number(row.version),
    route: mirrorRouteSchema.parse(definition),
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
