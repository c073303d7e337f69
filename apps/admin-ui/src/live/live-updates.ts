import { parseChangeEvent, type ChangeNotice } from './change-event';

type Listener = (notice: ChangeNotice) => void;

export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
  onerror: ((event: Event) => void) | null;
  onopen: ((event: Event) => void) | null;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/**
 * One SSE stream per environment (the SDK stream, authenticated by the session cookie), fanned out
 * to every page that listens. EventSource reconnects by itself; `connected` tells the header's
 * live indicator whether all streams are up.
 */
export class LiveUpdates {
  private readonly sources = new Map<string, EventSourceLike>();
  private readonly open = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private readonly statusListeners = new Set<(connected: boolean) => void>();

  constructor(private readonly factory: EventSourceFactory = (url) => new EventSource(url) as unknown as EventSourceLike) {}

  watch(environments: readonly string[]): void {
    for (const [env, source] of this.sources) {
      if (!environments.includes(env)) {
        source.close();
        this.sources.delete(env);
        this.open.delete(env);
      }
    }
    for (const env of environments) {
      if (this.sources.has(env)) continue;
      const source = this.factory(`/sdk/v1/stream?environment=${encodeURIComponent(env)}`);
      source.onopen = () => this.setOpen(env, true);
      source.onerror = () => this.setOpen(env, false);
      source.addEventListener('change', (event) => {
        const notice = parseChangeEvent(event.data);
        if (notice) for (const listener of this.listeners) listener(notice);
      });
      this.sources.set(env, source);
    }
    this.emitStatus();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStatus(listener: (connected: boolean) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.connected);
    return () => this.statusListeners.delete(listener);
  }

  get connected(): boolean {
    return this.sources.size > 0 && this.open.size === this.sources.size;
  }

  close(): void {
    for (const source of this.sources.values()) source.close();
    this.sources.clear();
    this.open.clear();
    this.emitStatus();
  }

  private setOpen(env: string, open: boolean): void {
    if (open) this.open.add(env);
    else this.open.delete(env);
    this.emitStatus();
  }

  private emitStatus(): void {
    for (const listener of this.statusListeners) listener(this.connected);
  }
}
