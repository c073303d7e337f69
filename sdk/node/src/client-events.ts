/** Where the flags the client evaluates came from. */
export type SnapshotSource = 'server' | 'redis' | 'cache' | 'bootstrap';

export enum ClientEvent {
  /** The client can evaluate flags: first data, or connection restored after `stale`. */
  Ready = 'ready',
  /** Flags changed; carries their keys. */
  Change = 'change',
  /** The connection to the server (or Redis) was lost; the client keeps serving what it has. */
  Stale = 'stale',
  Error = 'error',
}

export type SwitchyardErrorKind = 'connection' | 'http' | 'data' | 'cache' | 'metrics' | 'listener';

/** Errors reported through the `error` event. Evaluation itself never throws. */
export class SwitchyardError extends Error {
  override readonly name = 'SwitchyardError';

  constructor(
    readonly kind: SwitchyardErrorKind,
    message: string,
    /** The HTTP status, for `http` errors. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReadyEventDetails {
  source: SnapshotSource;
  environment: string;
  version: number;
}

export interface ChangeEventDetails {
  /** The keys of the flags whose definition changed (including flags affected through a segment). */
  keys: string[];
  source: SnapshotSource;
  version: number;
}

export interface StaleEventDetails {
  reason: string;
}

export interface ErrorEventDetails {
  error: SwitchyardError;
}

export interface ClientEventMap {
  [ClientEvent.Ready]: ReadyEventDetails;
  [ClientEvent.Change]: ChangeEventDetails;
  [ClientEvent.Stale]: StaleEventDetails;
  [ClientEvent.Error]: ErrorEventDetails;
}

export type ClientEventListener<E extends ClientEvent> = (details: ClientEventMap[E]) => void;

/**
 * A small typed emitter. Unlike Node's EventEmitter, an `error` without listeners is dropped
 * rather than thrown, and a listener that throws cannot break the client's connection handling.
 */
export class ClientEvents {
  private readonly listeners = new Map<ClientEvent, Array<(details: never) => void>>();

  on<E extends ClientEvent>(event: E, listener: ClientEventListener<E>): void {
    const list = this.listeners.get(event);
    if (list === undefined) this.listeners.set(event, [listener]);
    else list.push(listener);
  }

  once<E extends ClientEvent>(event: E, listener: ClientEventListener<E>): void {
    const wrapper: ClientEventListener<E> = (details) => {
      this.off(event, wrapper);
      listener(details);
    };
    this.on(event, wrapper);
  }

  off<E extends ClientEvent>(event: E, listener: ClientEventListener<E>): void {
    const list = this.listeners.get(event);
    if (list === undefined) return;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  count(event: ClientEvent): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  removeAll(): void {
    this.listeners.clear();
  }

  emit<E extends ClientEvent>(event: E, details: ClientEventMap[E]): void {
    const list = this.listeners.get(event);
    if (list === undefined || list.length === 0) return;
    for (const listener of list.slice()) {
      try {
        (listener as ClientEventListener<E>)(details);
      } catch (err) {
        if (event !== ClientEvent.Error) {
          const error = new SwitchyardError('listener', `a "${event}" listener threw: ${err instanceof Error ? err.message : String(err)}`, undefined, {
            cause: err,
          });
          this.emit(ClientEvent.Error, { error });
        }
      }
    }
  }
}
