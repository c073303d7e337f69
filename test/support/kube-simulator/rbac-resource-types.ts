import type { ResourceType } from './resource-types';

/** rbac.authorization.k8s.io/v1: what the simulator's authorizer reads (rbac-authorizer.ts). */
export const RBAC_RESOURCE_TYPES: ResourceType[] = [
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true, generation: false, statusSubresource: false },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    namespaced: true,
    generation: false,
    statusSubresource: false,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    namespaced: false,
    generation: false,
    statusSubresource: false,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    namespaced: false,
    generation: false,
    statusSubresource: false,
  },
];
