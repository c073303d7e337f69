/**
 * Scopes a token or user may hold. `admin` implies every scope; `flags:write` implies
 * `flags:read`; `flags:read` may read any environment through the SDK endpoints; `deploy`
 * implies `deploy:read`. `sdk:<environment>` reads that one environment's flags only.
 */
export const FIXED_SCOPES = ['admin', 'flags:write', 'flags:read', 'deploy', 'deploy:read', 'approve'] as const;
export type FixedScope = (typeof FIXED_SCOPES)[number];
export type Scope = FixedScope | `sdk:${string}`;

const IMPLIED: Record<string, readonly string[]> = {
  'flags:write': ['flags:read'],
  deploy: ['deploy:read'],
};

export const SDK_SCOPE_PATTERN = /^sdk:[a-z0-9][a-z0-9_-]{0,63}$/;

export function isScope(value: string): value is Scope {
  return (FIXED_SCOPES as readonly string[]).includes(value) || SDK_SCOPE_PATTERN.test(value);
}

/** Whether `held` scopes satisfy one `required` scope. `sdk:*` means "some SDK read scope". */
export function grants(held: readonly string[], required: string): boolean {
  if (held.includes('admin') || held.includes(required)) return true;
  for (const scope of held) if (IMPLIED[scope]?.includes(required)) return true;
  if (required === 'sdk:*') return held.some((scope) => scope.startsWith('sdk:') || scope === 'flags:read' || scope === 'flags:write');
  return false;
}

/** Which environments a principal may read through SDK/OFREP endpoints: 'all' or a list. */
export function sdkEnvironments(held: readonly string[]): 'all' | string[] {
  if (held.some((scope) => scope === 'admin' || scope === 'flags:read' || scope === 'flags:write')) return 'all';
  return held.filter((scope) => scope.startsWith('sdk:')).map((scope) => scope.slice(4));
}
