import { EVENT_RESOURCE_TYPES } from './event-recorder';
import { RBAC_RESOURCE_TYPES } from './rbac-resource-types';

/** The resources the simulator serves, with the names the real API server uses for them. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Whether writes bump metadata.generation when the spec changes (workloads do; config objects do not). */
  generation: boolean;
  /** Whether `status` is a subresource: writes to the main resource keep the stored status. */
  statusSubresource: boolean;
  shortNames?: string[];
}

export const RESOURCE_TYPES: ResourceType[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, generation: false, statusSubresource: true, shortNames: ['ns'] },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, generation: false, statusSubresource: true, shortNames: ['svc'] },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, generation: false, statusSubresource: true, shortNames: ['po'] },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, generation: false, statusSubresource: false, shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, generation: false, statusSubresource: false },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
    generation: false,
    statusSubresource: false,
    shortNames: ['sa'],
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    generation: true,
    statusSubresource: true,
    shortNames: ['deploy'],
  },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, generation: true, statusSubresource: true, shortNames: ['rs'] },
  // Kept, served and authorized like the rest, but with no controller behind them (the HPA's scaling is a test's PUT on deployments/scale).
  {
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
    generation: true,
    statusSubresource: true,
    shortNames: ['hpa'],
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    plural: 'ingresses',
    namespaced: true,
    generation: true,
    statusSubresource: true,
    shortNames: ['ing'],
  },
  {
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
    generation: true,
    statusSubresource: true,
    shortNames: ['pdb'],
  },
  ...RBAC_RESOURCE_TYPES,
  ...EVENT_RESOURCE_TYPES,
];

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** `deployments.apps` / `pods`: how error messages name a resource. */
export function qualifiedName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

export function typeByPath(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function typeByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}
