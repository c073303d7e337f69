import type { JsonObject } from './field-ownership';
import type { ResourceType } from './resource-types';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  /** 0: `kubectl get`; 1: only with `-o wide`. */
  priority: 0 | 1;
  cell: (object: JsonObject) => string | number;
}

const obj = (value: unknown): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {});
const list = (value: unknown): JsonObject[] => (Array.isArray(value) ? (value as JsonObject[]) : []);
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const containers = (object: JsonObject): JsonObject[] => list(obj(obj(obj(object.spec).template).spec).containers);
const selector = (object: JsonObject): string =>
  Object.entries(obj(obj(obj(object.spec).selector).matchLabels))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',') || '<none>';

/** kubectl's HumanDuration: 45s, 12m, 5h, 3d… */
export function age(timestamp: unknown, now = Date.now()): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** `5s`, or `5s (x3 over 40s)` for an event seen more than once, as the event printer says it. */
const lastSeen = (o: JsonObject): string => {
  const last = age(o.lastTimestamp ?? o.eventTime);
  return num(o.count) > 1 ? `${last} (x${num(o.count)} over ${age(o.firstTimestamp)})` : last;
};

const NAME: Column = { name: 'Name', type: 'string', format: 'name', priority: 0, cell: (o) => String(obj(o.metadata).name) };
const AGE: Column = { name: 'Age', type: 'string', priority: 0, cell: (o) => age(obj(o.metadata).creationTimestamp) };
const CONTAINERS: Column = {
  name: 'Containers',
  type: 'string',
  priority: 1,
  cell: (o) =>
    containers(o)
      .map((c) => String(c.name))
      .join(','),
};
const IMAGES: Column = {
  name: 'Images',
  type: 'string',
  priority: 1,
  cell: (o) =>
    containers(o)
      .map((c) => String(c.image))
      .join(','),
};
const SELECTOR: Column = { name: 'Selector', type: 'string', priority: 1, cell: selector };

// The printer columns of the API server's own table convertors (pkg/printers/internalversion), for the kinds people `kubectl get`.
const COLUMNS: Record<string, Column[]> = {
  Deployment: [
    NAME,
    { name: 'Ready', type: 'string', priority: 0, cell: (o) => `${num(obj(o.status).readyReplicas)}/${num(obj(o.spec).replicas ?? 1)}` },
    { name: 'Up-to-date', type: 'integer', priority: 0, cell: (o) => num(obj(o.status).updatedReplicas) },
    { name: 'Available', type: 'integer', priority: 0, cell: (o) => num(obj(o.status).availableReplicas) },
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  ReplicaSet: [
    NAME,
    { name: 'Desired', type: 'integer', priority: 0, cell: (o) => num(obj(o.spec).replicas) },
    { name: 'Current', type: 'integer', priority: 0, cell: (o) => num(obj(o.status).replicas) },
    { name: 'Ready', type: 'integer', priority: 0, cell: (o) => num(obj(o.status).readyReplicas) },
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  Pod: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const statuses = list(obj(o.status).containerStatuses);
        return `${statuses.filter((s) => s.ready === true).length}/${list(obj(o.spec).containers).length}`;
      },
    },
    {
      name: 'Status',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const waiting = list(obj(o.status).containerStatuses)
          .map((s) => obj(obj(s.state).waiting).reason)
          .find((reason) => typeof reason === 'string');
        return typeof waiting === 'string' ? waiting : String(obj(o.status).phase ?? 'Pending');
      },
    },
    { name: 'Restarts', type: 'integer', priority: 0, cell: (o) => list(obj(o.status).containerStatuses).reduce((sum, s) => sum + num(s.restartCount), 0) },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => String(obj(o.status).podIP ?? '<none>') },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => String(obj(o.spec).nodeName ?? '<none>') },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: () => '<none>' },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
  ],
  Service: [
    NAME,
    { name: 'Type', type: 'string', priority: 0, cell: (o) => String(obj(o.spec).type ?? 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', priority: 0, cell: (o) => String(obj(o.spec).clusterIP ?? '<none>') },
    { name: 'External-IP', type: 'string', priority: 0, cell: () => '<none>' },
    {
      name: 'Port(s)',
      type: 'string',
      priority: 0,
      cell: (o) =>
        list(obj(o.spec).ports)
          .map((p) => `${String(p.port)}/${String(p.protocol ?? 'TCP')}`)
          .join(',') || '<none>',
    },
    AGE,
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      cell: (o) =>
        Object.entries(obj(obj(o.spec).selector))
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',') || '<none>',
    },
  ],
  Event: [
    { name: 'Last Seen', type: 'string', priority: 0, cell: lastSeen },
    { name: 'Type', type: 'string', priority: 0, cell: (o) => String(o.type ?? '') },
    { name: 'Reason', type: 'string', priority: 0, cell: (o) => String(o.reason ?? '') },
    { name: 'Object', type: 'string', priority: 0, cell: (o) => `${String(obj(o.involvedObject).kind).toLowerCase()}/${String(obj(o.involvedObject).name)}` },
    { name: 'Subobject', type: 'string', priority: 1, cell: (o) => String(obj(o.involvedObject).fieldPath ?? '') },
    { name: 'Source', type: 'string', priority: 1, cell: (o) => String(obj(o.source).component ?? '') },
    { name: 'Message', type: 'string', priority: 0, cell: (o) => String(o.message ?? '') },
    { name: 'First Seen', type: 'string', priority: 1, cell: (o) => age(o.firstTimestamp) },
    { name: 'Count', type: 'string', priority: 1, cell: (o) => String(num(o.count)) },
    { name: 'Name', type: 'string', format: 'name', priority: 1, cell: (o) => String(obj(o.metadata).name) },
  ],
  Namespace: [NAME, { name: 'Status', type: 'string', priority: 0, cell: (o) => String(obj(o.status).phase ?? 'Active') }, AGE],
};

/** Whether the client asked for `as=Table` (kubectl get does, with a JSON fallback). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

/** A meta.k8s.io/v1 Table of the objects, as `kubectl get` prints it. */
export function toTable(resource: ResourceType, objects: JsonObject[], resourceVersion: string): JsonObject {
  const columns = COLUMNS[resource.kind] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: `${c.name} of the ${resource.kind}`,
      priority: c.priority,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((c) => c.cell(object)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj(object.metadata) },
    })),
  };
}
