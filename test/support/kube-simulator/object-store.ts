import { managedFields, type JsonObject, type Ownership } from './field-ownership';
import { apiVersionOf, type ResourceType } from './resource-types';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredObject {
  type: ResourceType;
  object: JsonObject;
  owners: Map<string, Ownership>;
}

interface HistoryEvent {
  rv: number;
  type: WatchEventType;
  resource: ResourceType;
  /** The object after the change (for DELETED: as it was, with the deletion's resourceVersion). */
  object: JsonObject;
  /** The object before the change, so selector-filtered watches can tell "stopped matching". */
  previous?: JsonObject;
}

export interface StoreWatcher {
  resource: ResourceType;
  namespace?: string;
  matches: (object: JsonObject) => boolean;
  send: (type: WatchEventType | 'ERROR', object: JsonObject) => void;
}

/** How many past events a watch can resume from; older resourceVersions get 410 Gone, as with etcd compaction. */
const HISTORY_LIMIT = 5000;

/**
 * Objects by type, namespace and name, one cluster-wide resourceVersion counter, and the event
 * history that watches replay from. Every write goes through here, so every watcher sees it.
 */
export class ObjectStore {
  private revision = 1000;
  private readonly objects = new Map<string, StoredObject>();
  private readonly history: HistoryEvent[] = [];
  private readonly watchers = new Set<StoreWatcher>();
  private readonly listeners = new Set<(resource: ResourceType, object: JsonObject, type: WatchEventType) => void>();

  get resourceVersion(): string {
    return String(this.revision);
  }

  /** The oldest resourceVersion a watch may still start from. */
  get oldestWatchable(): number {
    return this.history.length ? this.history[0].rv - 1 : this.revision;
  }

  onChange(listener: (resource: ResourceType, object: JsonObject, type: WatchEventType) => void): void {
    this.listeners.add(listener);
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.objects.get(keyOf(resource, namespace, name));
  }

  list(resource: ResourceType, namespace?: string): StoredObject[] {
    return [...this.objects.values()]
      .filter(
        (stored) =>
          stored.type === resource && (namespace === undefined || (stored.object.metadata && (stored.object.metadata as JsonObject).namespace === namespace)),
      )
      .sort((a, b) => nameOf(a.object).localeCompare(nameOf(b.object)));
  }

  /** Stores a new or changed object, stamping a fresh resourceVersion, and tells the watchers. */
  put(resource: ResourceType, object: JsonObject, owners: Map<string, Ownership>): JsonObject {
    const metadata = object.metadata as JsonObject;
    const key = keyOf(resource, metadata.namespace as string | undefined, metadata.name as string);
    const previous = this.objects.get(key);
    metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, { type: resource, object, owners });
    this.record({
      rv: this.revision,
      type: previous ? 'MODIFIED' : 'ADDED',
      resource,
      object: this.render({ type: resource, object, owners }),
      previous: previous ? this.render(previous) : undefined,
    });
    return object;
  }

  remove(resource: ResourceType, namespace: string | undefined, name: string): JsonObject | undefined {
    const key = keyOf(resource, namespace, name);
    const stored = this.objects.get(key);
    if (!stored) return undefined;
    this.objects.delete(key);
    const rendered = this.render(stored);
    (rendered.metadata as JsonObject).resourceVersion = String(++this.revision);
    this.record({ rv: this.revision, type: 'DELETED', resource, object: rendered });
    return rendered;
  }

  /** The object as the API returns it: a copy, with kind, apiVersion and managedFields. */
  render(stored: StoredObject): JsonObject {
    const copy = structuredClone(stored.object);
    const { metadata, ...rest } = copy;
    const fields = managedFields(stored.owners);
    return {
      apiVersion: apiVersionOf(stored.type),
      kind: stored.type.kind,
      ...{ metadata: { ...(metadata as JsonObject), ...(fields.length ? { managedFields: fields } : {}) } },
      ...withoutTypeMeta(rest),
    };
  }

  /**
   * Starts a watch. Without a resourceVersion (or "0") the current objects come first as ADDED;
   * with one, the events after it are replayed — or 410 Gone when they were compacted away.
   */
  watch(watcher: StoreWatcher, fromResourceVersion: string | undefined): { stop(): void } | { gone: string } {
    if (fromResourceVersion && fromResourceVersion !== '0') {
      const from = Number(fromResourceVersion);
      if (!Number.isInteger(from) || from < this.oldestWatchable) return { gone: `too old resource version: ${fromResourceVersion} (${this.oldestWatchable})` };
      for (const event of this.history) if (event.rv > from) this.deliver(watcher, event);
    } else {
      for (const stored of this.list(watcher.resource, watcher.namespace)) {
        const rendered = this.render(stored);
        if (watcher.matches(rendered)) watcher.send('ADDED', rendered);
      }
    }
    this.watchers.add(watcher);
    return { stop: () => this.watchers.delete(watcher) };
  }

  private record(event: HistoryEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    for (const watcher of this.watchers) this.deliver(watcher, event);
    for (const listener of this.listeners) listener(event.resource, event.object, event.type);
  }

  private deliver(watcher: StoreWatcher, event: HistoryEvent): void {
    if (event.resource !== watcher.resource) return;
    const namespace = (event.object.metadata as JsonObject).namespace as string | undefined;
    if (watcher.namespace !== undefined && namespace !== watcher.namespace) return;
    const now = watcher.matches(event.object);
    const before = event.previous ? watcher.matches(event.previous) : false;
    // Like the watch cache: an object entering the selection is ADDED, one leaving it is DELETED.
    if (event.type === 'DELETED') {
      if (now) watcher.send('DELETED', event.object);
    } else if (now && !before) watcher.send('ADDED', event.object);
    else if (now && before) watcher.send('MODIFIED', event.object);
    else if (!now && before) watcher.send('DELETED', event.object);
  }
}

function keyOf(resource: ResourceType, namespace: string | undefined, name: string): string {
  return `${resource.group}/${resource.plural}/${resource.namespaced ? (namespace ?? '') : ''}/${name}`;
}

function nameOf(object: JsonObject): string {
  return String((object.metadata as JsonObject | undefined)?.name ?? '');
}

function withoutTypeMeta(object: JsonObject): JsonObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}
