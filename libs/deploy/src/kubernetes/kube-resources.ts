/** The Kubernetes object shape Switchyard reads and writes: typed where it looks, open elsewhere. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface KubeMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  managedFields?: unknown[];
  [field: string]: unknown;
}

/** Enough to address an object or a collection: apiVersion + kind (+ namespace, + name). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name?: string;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/**
 * The kinds a service's manifests may contain, with their REST resource names. A fixed table
 * instead of API discovery: one request fewer per release, and an unknown kind is caught when the
 * release is created rather than half-way through a rollout.
 */
const RESOURCES: Record<string, ResourceInfo> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/ReplicaSet': { plural: 'replicasets', namespaced: true },
  'networking.k8s.io/v1/Ingress': { plural: 'ingresses', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  // For administrators' tooling and tests (deploy/rbac); never in a service's manifests.
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
};

/**
 * Kinds a manifest may carry (namespaces are created by the rollout itself, pods and replica sets by
 * controllers; RBAC is an administrator's, and a release that could grant itself rights would escalate).
 */
export const MANIFEST_KINDS = Object.keys(RESOURCES).filter(
  (key) => !['v1/Namespace', 'v1/Pod', 'apps/v1/ReplicaSet'].includes(key) && !key.startsWith('rbac.authorization.k8s.io/'),
);

export function resourceInfo(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES[`${apiVersion}/${kind}`];
}

/** `/apis/apps/v1/namespaces/web/deployments/api`, `/api/v1/namespaces` … */
export function resourcePath(ref: ObjectRef): string {
  const info = resourceInfo(ref.apiVersion, ref.kind);
  if (!info) throw new Error(`unsupported kind ${ref.apiVersion} ${ref.kind}`);
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const scope = info.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `${base}${scope}/${info.plural}${ref.name ? `/${encodeURIComponent(ref.name)}` : ''}`;
}

export function refOf(object: KubeObject): ObjectRef {
  return { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
}

/** `Deployment staging/api`, for messages. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? '*'}`;
}

export const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;
export const REPLICA_SET = { apiVersion: 'apps/v1', kind: 'ReplicaSet' } as const;
export const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
export const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' } as const;
