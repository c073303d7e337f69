import type { Role } from '../../../../libs/auth/src/access.contract';
import { membersOf } from '../api/contract-lists';

/** What a role may do, matching the server's role → scope mapping (the server still decides). */
export interface Abilities {
  writeFlags: boolean;
  admin: boolean;
}

export function abilitiesOf(role: Role | undefined): Abilities {
  return { writeFlags: role === 'admin' || role === 'editor', admin: role === 'admin' };
}

export const ROLE_HINTS: Record<Role, string> = {
  admin: 'everything, including users, tokens and environments',
  editor: 'change flags and segments; read deploys and mirror routes',
  viewer: 'read flags, segments, audit, deploys and mirror routes',
  approver: 'read, and approve deploys',
};

export const ROLES: readonly Role[] = membersOf(ROLE_HINTS);

/** Token scopes offered when creating an API token (sdk:<env> are added per environment; mirror:report:<route> through the API). */
export const TOKEN_SCOPES = ['admin', 'flags:write', 'flags:read', 'deploy', 'deploy:read', 'approve', 'mirror:write', 'mirror:read'] as const;
