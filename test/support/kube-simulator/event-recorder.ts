import { randomBytes, randomUUID } from 'node:crypto';
import type { Json, JsonObject } from './field-ownership';
import type { ObjectStore } from './object-store';
import type { ResourceType } from './resource-types';

/**
 * core/v1 Events: what `kubectl get events` and the Events section of `kubectl describe` read.
 * Stored like any other object, so get, list, watch and field selectors come with the store.
 * (events.k8s.io/v1 is a second view of the same objects on a real cluster; it is not served here.)
 */
export const EVENT_RESOURCE_TYPES: ResourceType[] = [
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, generation: false, statusSubresource: false, shortNames: ['ev'] },
];

const EVENTS = EVENT_RESOURCE_TYPES[0];

/** The field labels the API server accepts for events (`kubectl describe` selects by involvedObject). */
export const EVENT_FIELD_LABELS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

export type EventType = 'Normal' | 'Warning';

/** The API server expires events after an hour (--event-ttl); a long-running simulator keeps the newest this many instead. */
const EVENT_LIMIT = 5000;

const obj = (value: Json | undefined): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {});
const timestamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The controllers' event recorder: one Event per object, reason and message, whose count and
 * lastTimestamp grow when the same thing happens again — as client-go's correlator aggregates them.
 */
export class EventRecorder {
  /** Aggregation key → the Event, so a repeat finds it without scanning the store; oldest first. */
  private readonly names = new Map<string, { namespace: string; name: string }>();

  constructor(private readonly store: ObjectStore) {}

  record(resource: ResourceType, involved: JsonObject, type: EventType, reason: string, message: string, component: string): void {
    const metadata = obj(involved.metadata);
    const namespace = String(metadata.namespace ?? 'default');
    const key = `${String(metadata.uid)}\u0000${type}\u0000${reason}\u0000${message}`;
    const now = timestamp();
    const known = this.names.get(key);
    const existing = known ? this.store.get(EVENTS, known.namespace, known.name) : undefined;
    if (existing) {
      const repeated = structuredClone(existing.object);
      repeated.count = Number(repeated.count ?? 1) + 1;
      repeated.lastTimestamp = now;
      this.store.put(EVENTS, repeated, existing.owners);
      return;
    }
    // Named like client-go names them: the object's name and a hex suffix.
    const name = `${String(metadata.name)}.${randomBytes(8).toString('hex')}`;
    this.names.delete(key);
    this.names.set(key, { namespace, name });
    if (this.names.size > EVENT_LIMIT) {
      const [oldestKey, oldest] = this.names.entries().next().value as [string, { namespace: string; name: string }];
      this.names.delete(oldestKey);
      this.store.remove(EVENTS, oldest.namespace, oldest.name);
    }
    this.store.put(
      EVENTS,
      {
        metadata: { name, namespace, uid: randomUUID(), creationTimestamp: now },
        involvedObject: {
          kind: resource.kind,
          namespace,
          name: metadata.name ?? null,
          uid: metadata.uid ?? null,
          apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
          resourceVersion: metadata.resourceVersion ?? null,
        },
        reason,
        message,
        source: { component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: component,
        reportingInstance: '',
      },
      new Map(),
    );
  }
}
