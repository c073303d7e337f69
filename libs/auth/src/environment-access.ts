import { SetMetadata } from '@nestjs/common';
import { ForbiddenError } from '@switchyard/errors';
import type { Principal } from './principal';
import { grants } from './scopes';

/**
 * Per-environment access. A person's role may be overridden per environment (an editor in
 * development, a viewer in production): their principal then carries `environmentScopes`, the
 * scopes that replace their base scopes in that environment. A token may hold environment-limited
 * scopes `flags:write:<env>`, `flags:read:<env>` and `approve:<env>` that count in that one
 * environment only. Routes that are not about one environment use the base scopes alone.
 */
export const ENVIRONMENT_SCOPE_PATTERN = /^(flags:write|flags:read|approve):([a-z0-9][a-z0-9_-]{0,63})$/;

/** The scopes that count inside `environment`: its override (people) or the base scopes with that environment's bound scopes unwrapped. */
export function scopesIn(principal: Pick<Principal, 'scopes' | 'environmentScopes'>, environment: string): string[] {
  const base = principal.environmentScopes?.[environment] ?? principal.scopes;
  const effective: string[] = [];
  for (const scope of base) {
    const bound = ENVIRONMENT_SCOPE_PATTERN.exec(scope);
    if (!bound) effective.push(scope);
    else if (bound[2] === environment) effective.push(bound[1]);
  }
  return effective;
}

export function grantsIn(principal: Pick<Principal, 'scopes' | 'environmentScopes'>, required: string, environment: string): boolean {
  return grants(scopesIn(principal, environment), required);
}

/** Whether the scope holds in at least one environment (or everywhere): enough to reach a route whose handler names the environment. */
export function grantsSomewhere(principal: Pick<Principal, 'scopes' | 'environmentScopes'>, required: string): boolean {
  return grants(principal.scopes, required) || boundEnvironments(principal).some((environment) => grantsIn(principal, required, environment));
}

/**
 * Whether the scope holds in every environment: the base scopes grant it and no override takes it
 * away. Environment-bound token scopes never add up to "every environment" (a new one may appear).
 */
export function grantsEverywhere(principal: Pick<Principal, 'scopes' | 'environmentScopes'>, required: string): boolean {
  return (
    grants(principal.scopes, required) && Object.keys(principal.environmentScopes ?? {}).every((environment) => grantsIn(principal, required, environment))
  );
}

function boundEnvironments(principal: Pick<Principal, 'scopes' | 'environmentScopes'>): string[] {
  const named = principal.scopes.map((scope) => ENVIRONMENT_SCOPE_PATTERN.exec(scope)?.[2]).filter((env): env is string => env !== undefined);
  return [...new Set([...Object.keys(principal.environmentScopes ?? {}), ...named])];
}

/** Throws the guard's 403, naming the environment, unless the principal holds one of `required` there. */
export function requireScopeIn(principal: Principal, required: readonly string[], environment: string): void {
  if (required.some((scope) => grantsIn(principal, scope, environment))) return;
  throw new ForbiddenError(`requires scope ${required.map((s) => `"${s}"`).join(' or ')} in environment "${environment}"`);
}

/**
 * Which environment a route writes to, so the guard checks the caller's scopes there:
 * `{ param }` a path parameter, `{ query }` a query parameter (absent = every environment), or
 * `handler` when only the handler knows (the guard lets through callers who hold the scope in some
 * environment; the handler must call requireScopeIn).
 */
export type EnvironmentTarget = { param: string } | { query: string } | 'handler';
export const ENVIRONMENT_TARGET_KEY = 'switchyard:environment-target';
export const TargetsEnvironment = (target: EnvironmentTarget) => SetMetadata(ENVIRONMENT_TARGET_KEY, target);

/** The guard's decision for one route: the same function the security matrix derives its expectations from. */
export function routeAllows(
  principal: Pick<Principal, 'scopes' | 'environmentScopes'>,
  required: readonly string[],
  target: EnvironmentTarget | undefined,
  request: { params?: Record<string, string | undefined>; query?: Record<string, unknown> },
): { allowed: boolean; environment?: string } {
  if (!target) return { allowed: required.some((scope) => grants(principal.scopes, scope)) };
  if (target === 'handler') return { allowed: required.some((scope) => grantsSomewhere(principal, scope)) };
  const raw = 'param' in target ? request.params?.[target.param] : request.query?.[target.query];
  const environment = typeof raw === 'string' && raw !== '' ? raw : undefined;
  if (environment === undefined) return { allowed: required.some((scope) => grantsEverywhere(principal, scope)) };
  return { allowed: required.some((scope) => grantsIn(principal, scope, environment)), environment };
}

/**
 * Scopes of `requested` that `creator` does not hold, so a token never exceeds the person (or
 * token) that made it. An environment-bound scope needs its scope in that environment; any other
 * scope needs the creator's base scopes to grant it and, for the flag scopes, every override too.
 */
export function scopesBeyond(creator: Pick<Principal, 'scopes' | 'environmentScopes'>, requested: readonly string[]): string[] {
  return requested.filter((scope) => {
    const bound = ENVIRONMENT_SCOPE_PATTERN.exec(scope);
    if (bound) return !grantsIn(creator, bound[1], bound[2]);
    const perEnvironment = /^(sdk|client):(.+)$/.exec(scope);
    if (perEnvironment) return !(grants(creator.scopes, scope) || grantsIn(creator, 'flags:read', perEnvironment[2]));
    if (['admin', 'flags:write', 'flags:read', 'approve'].includes(scope)) return !grantsEverywhere(creator, scope);
    return !grants(creator.scopes, scope);
  });
}
