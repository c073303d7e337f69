// Users, sessions and API tokens as the admin API (/api/v1/users, /session, /tokens) answers them.
// Browser-safe (types and `as const` lists only): the admin UI imports it with `import type`.

export const ROLES = ['admin', 'editor', 'viewer', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export interface UserView {
  id: string;
  email: string;
  name: string;
  /** The role everywhere, and on everything that is not about one environment. */
  role: Role;
  /** Per-environment overrides of `role`, by environment key: `{ development: 'editor' }` on a viewer. */
  environmentRoles: Record<string, Role>;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface SessionView {
  user: UserView;
  csrfToken: string;
}

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  /** Browser origins a client token may be used from. */
  allowedOrigins: string[];
  /** A client token's flag filter: `client-side`, `tag:<tag>` or null (all flags). */
  flagFilter: string | null;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
