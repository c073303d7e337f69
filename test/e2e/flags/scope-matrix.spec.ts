import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { PUBLIC_KEY, RouteDeclarationCheck, SCOPES_KEY, grants, type DeclaredRoute } from '@switchyard/auth';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Walks every route the server has — the OpenAPI document's operations plus the routes hidden from
 * it (health, readiness, metrics) — with no token and with one token per scope. The expectation is
 * derived from the server's own declarations (RouteDeclarationCheck) and `grants()`, so routes added
 * later (deploy, mirror, …) are covered without touching this file.
 */

const PRINCIPALS = ['admin', 'flags:write', 'flags:read', 'sdk:production', 'deploy', 'deploy:read', 'approve'] as const;

interface Route extends DeclaredRoute {
  method: string;
  /** OpenAPI style: /api/v1/flags/{key} */
  path: string;
  operationId: string;
  /** Deliberately left out of the OpenAPI document (@ApiExcludeController / @ApiExcludeEndpoint). */
  excluded: boolean;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
// @nestjs/swagger's metadata keys (not exported from its index).
const EXCLUDE_CONTROLLER = 'swagger/apiExcludeController';
const EXCLUDE_ENDPOINT = 'swagger/apiExcludeEndpoint';

function methodName(value: RequestMethod): string {
  return RequestMethod[value];
}

function joinPath(...parts: Array<string | undefined>): string {
  const joined = `/${parts.filter((part): part is string => part !== undefined).join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Every Nest route with its method and path, read from the same metadata the router uses. */
function nestRoutes(server: TestServer): Route[] {
  const declared = server.app.get(RouteDeclarationCheck).routes;
  const discovery = server.app.get(DiscoveryService);
  const routes: Route[] = [];
  for (const wrapper of discovery.getControllers()) {
    if (!wrapper.metatype) continue;
    const controllerPaths = [Reflect.getMetadata('path', wrapper.metatype) as string | string[] | undefined].flat();
    const prototype = wrapper.metatype.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const handlerPaths = Reflect.getMetadata('path', handler) as string | string[] | undefined;
      if (handlerPaths === undefined) continue;
      const method = methodName(Reflect.getMetadata('method', handler) as RequestMethod);
      // Read with the guard's precedence (handler over class); controller names need not be unique.
      const isPublic =
        (Reflect.getMetadata(PUBLIC_KEY, handler) as boolean | undefined) ??
        (Reflect.getMetadata(PUBLIC_KEY, wrapper.metatype) as boolean | undefined) ??
        false;
      const scopes =
        (Reflect.getMetadata(SCOPES_KEY, handler) as string[] | undefined) ?? (Reflect.getMetadata(SCOPES_KEY, wrapper.metatype) as string[] | undefined) ?? [];
      const declaration = declared.find(
        (route) => route.controller === wrapper.name && route.handler === name && route.public === isPublic && route.scopes.join() === scopes.join(),
      );
      if (!declaration) throw new Error(`${wrapper.name}.${name} is routed but RouteDeclarationCheck does not list it with these scopes`);
      const excluded = Boolean(Reflect.getMetadata(EXCLUDE_CONTROLLER, wrapper.metatype)?.[0] || Reflect.getMetadata(EXCLUDE_ENDPOINT, handler)?.disable);
      for (const base of controllerPaths) {
        for (const sub of [handlerPaths].flat()) {
          routes.push({ ...declaration, method, path: joinPath(base, sub), operationId: `${wrapper.name}_${name}`, excluded });
        }
      }
    }
  }
  return routes;
}

/** A value for each path parameter that gets a request past routing (resources need not exist). */
function concretePath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    if (name === 'id' || name.endsWith('Id')) return randomUUID();
    if (name === 'environment') return 'development';
    if (name === 'version') return '1';
    return 'scope-matrix-probe';
  });
}

interface Answer {
  status: number;
  /** The guard's own refusal (as opposed to a handler's answer, e.g. GET /api/v1/session without a cookie). */
  refusedByGuard: boolean;
}

const GUARD_UNAUTHENTICATED = 'a valid bearer token or session is required';

/** Calls a route; streams are cut as soon as their status is known. */
async function call(baseUrl: string, route: Route, token: string | undefined): Promise<Answer> {
  const controller = new AbortController();
  const hasBody = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
  const res = await fetch(`${baseUrl}${concretePath(route.path)}`, {
    method: route.method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
    },
    body: hasBody ? '{}' : undefined,
    signal: controller.signal,
  });
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream')) {
    controller.abort();
    return { status: res.status, refusedByGuard: false };
  }
  const text = await res.text();
  const message: string = type.includes('json') && text ? ((JSON.parse(text) as { error?: { message?: string } }).error?.message ?? '') : '';
  const refusedByGuard = (res.status === 401 && message === GUARD_UNAUTHENTICATED) || (res.status === 403 && message.startsWith('requires scope'));
  return { status: res.status, refusedByGuard };
}

describe('scope matrix over every route', () => {
  let server: TestServer;
  let routes: Route[];
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    server = await startTestServer();
    const admin = new ApiClient(server.url, server.adminToken);
    for (const scope of PRINCIPALS) tokens.set(scope, scope === 'admin' ? server.adminToken : await admin.token_(`matrix-${scope}`, [scope]));
    routes = nestRoutes(server);
  }, 60_000);
  afterAll(() => server.close());

  it('finds every OpenAPI operation and the hidden routes among the declared routes', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Partial<Record<(typeof HTTP_METHODS)[number], { operationId?: string }>>>;
    };
    const documented: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        documented.push(`${method.toUpperCase()} ${path}`);
        const route = routes.find((r) => r.method === method.toUpperCase() && r.path === path);
        // Each documented operation must be a declared route, so its expectation is known.
        expect({ operation: `${method.toUpperCase()} ${path}`, declared: route?.operationId === operation.operationId }).toEqual({
          operation: `${method.toUpperCase()} ${path}`,
          declared: true,
        });
      }
    }
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    for (const hidden of ['GET /healthz', 'GET /readyz', 'GET /metrics']) expect(keys).toContain(hidden);
    // Undocumented routes must be deliberate (excluded from the docs), not forgotten.
    const undocumented = keys.filter((key) => !documented.includes(key)).sort();
    const excluded = routes.filter((r) => r.excluded).map((r) => `${r.method} ${r.path}`);
    expect(undocumented).toEqual(excluded.sort());
    expect(documented.length).toBeGreaterThanOrEqual(30);
  });

  it('answers 401 without a token, 403 without the scope, and neither with it', async () => {
    const failures: string[] = [];
    const rows: string[] = [];
    for (const route of routes) {
      const cells: string[] = [];
      const anonymous = await call(server.url, route, undefined);
      cells.push(String(anonymous.status));
      if (route.public) {
        // A public route may still answer 401 itself (no session cookie), but the guard lets it through.
        if (anonymous.refusedByGuard) failures.push(`${route.method} ${route.path} is public but the guard answered ${anonymous.status}`);
      } else if (anonymous.status !== 401) {
        failures.push(`${route.method} ${route.path} answered ${anonymous.status} without a token (expected 401)`);
      }
      for (const scope of PRINCIPALS) {
        const { status, refusedByGuard } = await call(server.url, route, tokens.get(scope));
        cells.push(String(status));
        if (route.public) {
          if (refusedByGuard) failures.push(`${route.method} ${route.path} is public but the guard refused ${scope} with ${status}`);
          continue;
        }
        const allowed = route.scopes.some((required) => grants([scope], required));
        if (allowed && (status === 401 || status === 403)) failures.push(`${route.method} ${route.path} refused ${scope} with ${status}`);
        if (!allowed && status !== 403) failures.push(`${route.method} ${route.path} answered ${status} to ${scope} (expected 403)`);
      }
      rows.push(`${`${route.method} ${route.path}`.padEnd(58)} ${(route.public ? 'public' : route.scopes.join('|')).padEnd(22)} ${cells.join(' ')}`);
    }
    process.stdout.write(`scope matrix (none ${PRINCIPALS.join(' ')}):\n${rows.join('\n')}\n`);
    expect(failures).toEqual([]);
    // Sanity: the walk covered the areas of the API, with requests that got past the guard.
    expect(routes.length).toBeGreaterThanOrEqual(33);
    expect(routes.filter((r) => r.public).map((r) => r.path)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics']));
  }, 60_000);
});
