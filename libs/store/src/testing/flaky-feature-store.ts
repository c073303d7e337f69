import { FeatureStore, type ChangeListener, type ChangeMessage } from '../feature-store';
import { MemoryFeatureStore } from '../memory-feature-store';

/**
 * MemoryFeatureStore's behaviour plus what a shared Redis does to its callers: outages (calls
 * reject while `down`), losing every snapshot (a restarted or flushed Redis) and coming back (the
 * onReconnect listeners run). Runs the FeatureStore contract like the real stores.
 */
export class FlakyFeatureStore extends FeatureStore {
  readonly kind = 'memory' as const;
  /** While set, publish and reads reject with it, as the Redis store does when Redis is unreachable. */
  down: Error | undefined;
  readonly published: Array<{ environment: string; version: number; accepted: boolean }> = [];
  private inner = this.connect();
  private readonly listeners: ChangeListener[] = [];
  private readonly reconnectListeners: Array<() => void> = [];

  async publish(environment: string, version: number, snapshotJson: string, message: ChangeMessage): Promise<boolean> {
    this.check();
    const accepted = await this.inner.publish(environment, version, snapshotJson, message);
    this.published.push({ environment, version, accepted });
    return accepted;
  }

  async read(environment: string): Promise<string | undefined> {
    this.check();
    return this.inner.read(environment);
  }

  async readVersion(environment: string): Promise<number | undefined> {
    this.check();
    return this.inner.readVersion(environment);
  }

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  healthy(): boolean {
    return this.down === undefined;
  }

  /** Every snapshot and version is gone, as after a Redis restart without persistence. */
  lose(): void {
    this.inner = this.connect();
  }

  /** The store answers again; callers hear about it so they can repair what they missed. */
  reconnect(): void {
    this.down = undefined;
    for (const listener of this.reconnectListeners) listener();
  }

  private connect(): MemoryFeatureStore {
    const inner = new MemoryFeatureStore();
    inner.subscribe((message) => {
      // A store that lost its data also dropped its old channel: only the current one is heard.
      if (inner !== this.inner) return;
      for (const listener of this.listeners) listener(message);
    });
    return inner;
  }

  private check(): void {
    if (this.down) throw this.down;
  }
}
