import type { Role } from '../../../../libs/auth/src/access.contract';
import { membersOf } from '../api/contract-lists';

/** What a role may do, matching the server's role → scope mapping (the server still decides). */
export interface Abilities {
  /** Base role: writes that are not about one environment (create a flag, its definition, segments). */
  writeFlags: boolean;
  admin: boolean;
  /** Toggles and targeting in one environment, where a per-environment role may differ from the base one. */
  writeFlagsIn(environment: string): boolean;
  /** Approving a change request to this environment. */
  approveIn(environment: string): boolean;
  /** The role that counts in this environment (the override, else the base role). */
  roleIn(environment: string): Role | undefined;
}

const writes = (role: Role | undefined) => role === 'admin' || role === 'editor';
const approves = (role: Role | undefined) => role === 'admin' || role === 'approver';

export function abilitiesOf(role: Role | undefined, environmentRoles: Record<string, Role> = {}): Abilities {
  const roleIn = (environment: string): Role | undefined => environmentRoles[environment] ?? role;
  return {
    writeFlags: writes(role),
    admin: role === 'admin',
    writeFlagsIn: (environment) => writes(roleIn(environment)),
    approveIn: (environment) => approves(roleIn(environment)),
    roleIn,
  };
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
