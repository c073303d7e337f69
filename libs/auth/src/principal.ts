import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who is calling: an API token (machines) or a signed-in user (people). */
export interface Principal {
  kind: 'token' | 'user';
  id: string;
  name: string;
  scopes: string[];
  /** People with per-environment roles: the scopes that replace `scopes` in each named environment (see environment-access.ts). */
  environmentScopes?: Record<string, string[]>;
  /** Set for tokens with a `client:<env>` scope: where browsers may use it from, and which flags it sees. */
  client?: ClientAccess;
}

/**
 * A browser token's limits. `allowedOrigins` are exact `scheme://host[:port]` origins (none: no
 * browser may use it); `flagFilter` is `client-side` (flags marked client-side), `tag:<tag>`, or
 * null (every flag of the environment).
 */
export interface ClientAccess {
  allowedOrigins: string[];
  flagFilter: string | null;
}

export function principalOf(request: { principal?: Principal }): Principal | undefined {
  return request.principal;
}

/** The audit `actor` for a principal: `token:ci` or `user:ada@example.com`. */
export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.name}`;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal | undefined => {
  return context.switchToHttp().getRequest<{ principal?: Principal }>().principal;
});
