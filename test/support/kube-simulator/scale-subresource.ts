import type { JsonObject } from './field-ownership';

const obj = (value: unknown): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {});

/** `GET …/deployments/web/scale`: the autoscaling/v1 Scale the HPA controller and `kubectl scale` read. */
export function renderScale(workload: JsonObject): JsonObject {
  const metadata = obj(workload.metadata);
  const matchLabels = obj(obj(obj(workload.spec).selector).matchLabels);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: metadata.name ?? null,
      namespace: metadata.namespace ?? null,
      uid: metadata.uid ?? null,
      resourceVersion: metadata.resourceVersion ?? null,
      creationTimestamp: metadata.creationTimestamp ?? null,
    },
    spec: { replicas: obj(workload.spec).replicas ?? 1 },
    status: {
      replicas: obj(workload.status).replicas ?? 0,
      selector: Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(','),
    },
  };
}

/** The replica count a PUT or patch of the scale subresource asks for; undefined when it asks for none. */
export function requestedReplicas(body: JsonObject): number | undefined {
  const replicas = obj(body.spec).replicas;
  return typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : undefined;
}
