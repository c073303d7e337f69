/**
 * Scopes a token or user may hold. `admin` implies every scope; `flags:write` implies
 * `flags:read`; `flags:read` may read any environment through the SDK endpoints; `deploy`
 * implies `deploy:read`. `sdk:<environment>` reads that one environment's flags only.
 * `mirror:write` (change mirror routes, which steer live traffic) implies `mirror:read`.
 * `mirror:report:<route>` is a connected proxy's token: it reads that route and posts its
 * reports, nothing else; `mirror:report:*` does so for every route.
 * `client:<environment>` is a browser's token: it may only ask for evaluated values of that one
 * environment (never the snapshot, rules or segments), from the origins listed on the token.
 * `flags:write:<environment>`, `flags:read:<environment>` and `approve:<environment>` hold in that one
 * environment only (environment-access.ts): they reach routes that write to one environment.
 */
export const FIXED_SCOPES = ['admin', 'flags:write', 'flags:read', 'deploy', 'deploy:read', 'approve', 'mirror:write', 'mirror:read'] as const;
export type FixedScope = (typeof FIXED_SCOPES)[number];
export type Scope =
  FixedScope | `sdk:${string}` | `mirror:report:${string}` | `client:${string}` | `flags:write:${string}` | `flags:read:${string}` | `approve:${string}`;

const IMPLIED: Record<string, readonly string[]> = {
  'flags:write': ['flags:read'],
  deploy: ['deploy:read'],
  'mirror:write': ['mirror:read'],
};

export const SDK_SCOPE_PATTERN = /^sdk:[a-z0-9][a-z0-9_-]{0,63}$/;
export const CLIENT_SCOPE_PATTERN = /^client:[a-z0-9][a-z0-9_-]{0,63}$/;
const ENVIRONMENT_BOUND_PATTERN = /^(flags:write|flags:read|approve):[a-z0-9][a-z0-9_-]{0,63}$/;
const CLIENT = 'client:';
const MIRROR_REPORT = 'mirror:report:';
/** Route names as mirror routes spell them, or `*`. */
export const MIRROR_REPORT_SCOPE_PATTERN = /^mirror:report:(?:\*|[a-z0-9][a-z0-9._-]{0,62})$/;

export function isScope(value: string): value is Scope {
  return (
    (FIXED_SCOPES as readonly string[]).includes(value) ||
    SDK_SCOPE_PATTERN.test(value) ||
    MIRROR_REPORT_SCOPE_PATTERN.test(value) ||
    CLIENT_SCOPE_PATTERN.test(value) ||
    ENVIRONMENT_BOUND_PATTERN.test(value)
  );
}

/**
 * Whether `held` scopes satisfy one `required` scope. `sdk:*` means "some SDK read scope";
 * `mirror:report:*` means "some proxy scope" (which routes is checked by the handler).
 */
export function grants(held: readonly string[], required: string): boolean {
  if (held.includes('admin') || held.includes(required)) return true;
  for (const scope of held) if (IMPLIED[scope]?.includes(required)) return true;
  if (required === 'sdk:*') return held.some((scope) => scope.startsWith('sdk:') || scope === 'flags:read' || scope === 'flags:write');
  if (required === 'mirror:report:*') return held.some((scope) => scope.startsWith(MIRROR_REPORT));
  // Only a client token itself: a route open to browsers must not also become a route for anything broader by accident.
  if (required === 'client:*') return held.some((scope) => scope.startsWith(CLIENT));
  return false;
}

/** Which environments a principal may read through SDK/OFREP endpoints: 'all' or a list. */
export function sdkEnvironments(held: readonly string[]): 'all' | string[] {
  if (held.some((scope) => scope === 'admin' || scope === 'flags:read' || scope === 'flags:write')) return 'all';
  return held.filter((scope) => scope.startsWith('sdk:')).map((scope) => scope.slice(4));
}

/** Mirror routes a principal may post reports for: 'all' (admin, `mirror:report:*`) or its bound routes. */
export function reportableMirrorRoutes(held: readonly string[]): 'all' | string[] {
  if (held.some((scope) => scope === 'admin' || scope === `${MIRROR_REPORT}*`)) return 'all';
  return held.filter((scope) => scope.startsWith(MIRROR_REPORT)).map((scope) => scope.slice(MIRROR_REPORT.length));
}

/** Mirror routes a principal may read: 'all' with `mirror:read` (or more), else the routes it reports for. */
export function readableMirrorRoutes(held: readonly string[]): 'all' | string[] {
  return grants(held, 'mirror:read') ? 'all' : reportableMirrorRoutes(held);
}

/** The environments a browser's client token evaluates (normally one): `client:<env>` scopes only. */
export function clientEnvironments(held: readonly string[]): string[] {
  return held.filter((scope) => scope.startsWith(CLIENT)).map((scope) => scope.slice(CLIENT.length));
}
