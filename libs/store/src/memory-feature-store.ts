import { Injectable } from '@nestjs/common';
import { FeatureStore, type ChangeListener, type ChangeMessage } from './feature-store';

/** In-process equivalent of the Redis store for a single replica without REDIS_URL. */
@Injectable()
export class MemoryFeatureStore extends FeatureStore {
  readonly kind = 'memory' as const;
  private readonly snapshots = new Map<string, { version: number; json: string }>();
  private readonly listeners: ChangeListener[] = [];

  async publish(environment: string, version: number, snapshotJson: string, message: ChangeMessage): Promise<boolean> {
    const current = this.snapshots.get(environment);
    if (current && current.version >= version) return false;
    this.snapshots.set(environment, { version, json: snapshotJson });
    // Deliver asynchronously, like a real pub/sub, so publishers never re-enter listeners.
    queueMicrotask(() => {
      for (const listener of this.listeners) listener(message);
    });
    return true;
  }

  async read(environment: string): Promise<string | undefined> {
    return this.snapshots.get(environment)?.json;
  }

  async readVersion(environment: string): Promise<number | undefined> {
    return this.snapshots.get(environment)?.version;
  }

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  onReconnect(): void {
    // Never disconnects.
  }

  healthy(): boolean {
    return true;
  }
}
