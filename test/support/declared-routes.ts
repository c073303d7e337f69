import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { PUBLIC_KEY, RouteDeclarationCheck, SCOPES_KEY, type DeclaredRoute } from '@switchyard/auth';
import type { TestServer } from './test-server';

/** A route the server serves, with the access it declares (@Public or @Scopes). */
export interface Route extends DeclaredRoute {
  method: string;
  /** OpenAPI style: /api/v1/flags/{key} */
  path: string;
  operationId: string;
  /** Deliberately left out of the OpenAPI document (@ApiExcludeController / @ApiExcludeEndpoint). */
  excluded: boolean;
}

// @nestjs/swagger's metadata keys (not exported from its index).
const EXCLUDE_CONTROLLER = 'swagger/apiExcludeController';
const EXCLUDE_ENDPOINT = 'swagger/apiExcludeEndpoint';

function joinPath(...parts: Array<string | undefined>): string {
  const joined = `/${parts.filter((part): part is string => part !== undefined).join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * Every Nest route with its method and path, read from the same metadata the router uses, and
 * checked against RouteDeclarationCheck so a test's expectation comes from the server's own
 * declarations: routes added later are covered without touching the tests.
 */
export function declaredRoutes(server: TestServer): Route[] {
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
      const method = RequestMethod[Reflect.getMetadata('method', handler) as RequestMethod];
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
export function concretePath(path: string, values: Record<string, string> = {}): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    if (values[name] !== undefined) return values[name];
    if (name === 'id' || name.endsWith('Id')) return randomUUID();
    if (name === 'environment') return 'development';
    if (name === 'version') return '1';
    return 'scope-matrix-probe';
  });
}
