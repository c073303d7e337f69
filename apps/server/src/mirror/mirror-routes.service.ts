import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@switchyard/audit';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { ConflictError, ForbiddenError, NotFoundError, ValidationFailedError } from '@switchyard/errors';
import {
  MirrorRoutesRepository,
  mirrorRouteSchema,
  validateRoutes,
  type EgressPolicy,
  type MirrorRoute,
  type MirrorRouteRow,
} from '@switchyard/mirror';
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

export type Readable = 'all' | readonly string[];

/** Set when a rollout changes a route: whose timeline the change belongs on, and why. */
export interface RouteChangeContext {
  service?: string;
  environment?: string;
  comment?: string;
}

/**
 * Mirror routes in PostgreSQL: validated with the same schema as route files and against the
 * egress policy (MIRROR_ALLOWED_TARGETS), versioned, audited, pushed to proxies.
 */
@Injectable()
export class MirrorRoutesService {
  private readonly targets: EgressPolicy;

  constructor(
    private readonly database: Database,
    private readonly repository: MirrorRoutesRepository,
    private readonly audit: AuditService,
    private readonly feed: MirrorRouteFeed,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.targets = config.mirrorTargets;
  }

  /** `readable`: the routes a proxy token is bound to (see readableMirrorRoutes), or 'all'. */
  async list(readable: Readable = 'all'): Promise<MirrorRouteList> {
    return this.database.transaction(async (m) => ({
      revision: await this.repository.revision(m),
      items: (await this.repository.all(m)).filter((row) => readable === 'all' || readable.includes(row.name)).map(toView),
    }));
  }

  async get(name: string, readable: Readable = 'all'): Promise<MirrorRouteView> {
    if (readable !== 'all' && !readable.includes(name)) throw new ForbiddenError(`this token may read mirror routes ${readable.join(', ')} only`);
    const row = await this.repository.find(this.database, name);
    if (!row) throw new NotFoundError('mirror route', name);
    return toView(row);
  }

  async create(input: unknown, actor: string, context: RouteChangeContext = {}): Promise<MirrorRouteView> {
    const route = parseRoute(input, this.targets);
    const view = await this.database.transaction(async (m) => {
      if (await this.repository.lockName(m, route.name)) throw new ConflictError(`mirror route ${route.name} already exists`);
      await this.checkOverlap(m, route);
      const row = await this.repository.insert(m, write(route.name, input, actor, context));
      const created = toView(row);
      await this.audit.record(m, {
        actor,
        action: 'mirror-route.created',
        target: `mirror-route:${route.name}`,
        after: created.route,
        ...(await this.owner(m, route.name, context)),
      });
      await this.repository.bumpRevision(m);
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
      const updated = toView(await this.repository.update(m, write(name, body, actor, context)));
      await this.audit.record(m, {
        actor,
        action: 'mirror-route.updated',
        target: `mirror-route:${name}`,
        before: before.route,
        after: updated.route,
        ...(await this.owner(m, name, context)),
      });
      await this.repository.bumpRevision(m);
      return updated;
    });
    this.feed.changed();
    return view;
  }

  async remove(name: string, actor: string, ifMatch: number | undefined, context: RouteChangeContext = {}): Promise<MirrorRouteView> {
    const view = await this.database.transaction(async (m) => {
      const before = await this.locked(m, name, ifMatch);
      const tagged = await this.owner(m, name, context);
      await this.repository.delete(m, name);
      await this.audit.record(m, { actor, action: 'mirror-route.deleted', target: `mirror-route:${name}`, before: before.route, ...tagged });
      await this.repository.bumpRevision(m);
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
    const row = await this.repository.lock(m, name);
    if (!row) throw new NotFoundError('mirror route', name);
    if (ifMatch !== undefined && ifMatch !== row.version) {
      throw new ConflictError(`mirror route ${name} changed since version ${ifMatch}`, { currentVersion: row.version });
    }
    return toView(row);
  }

  /** Two routes claiming the same host and prefix would make matching depend on insertion order. */
  private async checkOverlap(m: EntityManager, route: MirrorRoute): Promise<void> {
    for (const other of (await this.repository.all(m)).map(toView)) {
      if (other.name === route.name) continue;
      if (
        (other.route.match.host?.toLowerCase() ?? '*') === (route.match.host?.toLowerCase() ?? '*') &&
        other.route.match.pathPrefix === route.match.pathPrefix
      ) {
        throw new ValidationFailedError([{ path: 'match', problem: `matches exactly the same requests as route ${other.name}` }]);
      }
    }
  }

  /**
   * The service and environment a route change belongs to: the caller's (a rollout), else what the
   * route remembers from the rollout that set it up; plus the caller's comment.
   */
  private async owner(m: EntityManager, name: string, context: RouteChangeContext): Promise<{ service?: string; environment?: string; comment?: string }> {
    const row = await this.repository.owner(m, name);
    const service = context.service ?? row?.service ?? undefined;
    const environment = context.environment ?? row?.environment ?? undefined;
    return {
      ...(service ? { service } : {}),
      ...(environment ? { environment } : {}),
      ...(context.comment ? { comment: context.comment } : {}),
    };
  }
}

function write(name: string, body: unknown, actor: string, context: RouteChangeContext) {
  return { name, definition: JSON.stringify(body), actor, service: context.service ?? null, environment: context.environment ?? null };
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

function bodyPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(body)' : out;
}

function toView(row: MirrorRouteRow): MirrorRouteView {
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
