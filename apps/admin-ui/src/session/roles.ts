import type { Role } from '../api/api-types';

/** What a role may do, matching the server's role → scope mapping (the server still decides). */
export interface Abilities {
  writeFlags: boolean;
  admin: boolean;
}

export function abilitiesOf(role: Role | undefined): Abilities {
  return { writeFlags: role === 'admin' || role === 'editor', admin: role === 'admin' };
}

export const ROLES: readonly Role[] = ['admin', 'editor', 'viewer', 'approver'];

export const ROLE_HINTS: Record<Role, string> = {
  admin: 'everything, including users, tokens and environments',
  editor: 'change flags and segments; read deploys',
  viewer: 'read flags, segments, audit and deploys',
  approver: 'read, and approve deploys',
};

/** Token scopes offered when creating an API token (sdk:<env> are added per environment). */
export const TOKEN_SCOPES = ['admin', 'flags:write', 'flags:read', 'deploy', 'deploy:read', 'approve'] as const;
