import { parseChangeEvent, type ChangeNotice } from './change-event';

type Listener = (notice: ChangeNotice) => void;

/** The browser's one live stream as this tab sees it (through the leader tab when it is not the leader). */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
  readonly readyState: number;
  onerror: ((event: Event) => void) | null;
  onopen: ((event: Event) => void) | null;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/** What tabs tell each other: the leader relays notices and its stream's state; a new tab says hello. */
export type LiveMessage =
  { type: 'notice'; notice: ChangeNotice; lastEventId: string } | { type: 'state'; state: StreamState; lastEventId: string } | { type: 'hello' };

export interface ChannelLike {
  postMessage(message: LiveMessage): void;
  onmessage: ((event: MessageEvent<LiveMessage>) => void) | null;
  close(): void;
}

/** The part of the Web Locks API used here. */
export interface LocksLike {
  request(name: string, options: { signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

export interface LiveUpdatesOptions {
  eventSource?: EventSourceFactory;
  channel?: () => ChannelLike;
  /** Undefined where the browser has no Web Locks (plain http off localhost): each tab then keeps its own one stream. */
  locks?: LocksLike;
  /** Wait before reopening a stream the browser gave up on (an HTTP error such as a proxy's 502). */
  retryMs?: number;
}

export const LIVE_URL = '/api/v1/live';
const LOCK_NAME = 'switchyard-live';
const EVENT_SOURCE_CLOSED = 2;

function browserDefaults(): Required<Omit<LiveUpdatesOptions, 'locks'>> & Pick<LiveUpdatesOptions, 'locks'> {
  return {
    eventSource: (url) => new EventSource(url) as unknown as EventSourceLike,
    channel: () => new BroadcastChannel(LOCK_NAME) as unknown as ChannelLike,
    locks: typeof navigator !== 'undefined' && navigator.locks ? (navigator.locks as unknown as LocksLike) : undefined,
    retryMs: 5_000,
  };
}

/**
 * One live stream per browser, not per tab: tabs queue for a Web Lock, the holder (leader) opens
 * the one EventSource on /api/v1/live and relays every notice and its state over a
 * BroadcastChannel. When the leader tab closes, the browser hands the lock to the next tab, which
 * resumes from the last event id it heard. Browsers allow about six connections per host, so a
 * stream per environment and tab used to starve every request.
 */
export class LiveUpdates {
  private readonly options: ReturnType<typeof browserDefaults>;
  private readonly listeners = new Set<Listener>();
  private readonly statusListeners = new Set<(state: StreamState) => void>();
  private channel?: ChannelLike;
  private abort?: AbortController;
  private releaseLock?: () => void;
  private source?: EventSourceLike;
  private retry?: ReturnType<typeof setTimeout>;
  private leader = false;
  private lastEventId = '';
  private current: StreamState = 'closed';

  constructor(options: LiveUpdatesOptions = {}) {
    this.options = { ...browserDefaults(), ...options };
  }

  /** Joins the browser's live stream (idempotent). */
  start(): void {
    if (this.abort) return;
    const abort = (this.abort = new AbortController());
    this.setState('connecting');
    const locks = this.options.locks;
    if (!locks) return this.lead();
    const channel = (this.channel = this.options.channel());
    channel.onmessage = (event) => this.receive(event.data);
    channel.postMessage({ type: 'hello' });
    locks
      .request(LOCK_NAME, { signal: abort.signal }, () => {
        if (abort.signal.aborted) return Promise.resolve();
        this.lead();
        // Held until this tab closes or signs out; the browser releases it when the tab goes away.
        return new Promise<void>((resolve) => (this.releaseLock = resolve));
      })
      .catch(() => undefined); // aborted while waiting in the queue
  }

  close(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.releaseLock?.();
    this.releaseLock = undefined;
    clearTimeout(this.retry);
    this.source?.close();
    this.source = undefined;
    this.channel?.close();
    this.channel = undefined;
    this.setState('closed');
    this.leader = false;
  }

  get state(): StreamState {
    return this.current;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStatus(listener: (state: StreamState) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.current);
    return () => this.statusListeners.delete(listener);
  }

  private lead(): void {
    this.leader = true;
    this.connect();
  }

  private connect(): void {
    const url = this.lastEventId ? `${LIVE_URL}?since=${encodeURIComponent(this.lastEventId)}` : LIVE_URL;
    const source = (this.source = this.options.eventSource(url));
    source.onopen = () => this.setState('open');
    source.onerror = () => {
      if (source.readyState !== EVENT_SOURCE_CLOSED) return this.setState('reconnecting');
      source.close();
      this.setState('closed');
      this.retry = setTimeout(() => this.connect(), this.options.retryMs);
    };
    source.addEventListener('ready', (event) => {
      this.lastEventId = event.lastEventId;
      this.setState('open');
    });
    source.addEventListener('change', (event) => {
      if (event.lastEventId) this.lastEventId = event.lastEventId;
      const notice = parseChangeEvent(event.data);
      if (!notice) return;
      this.deliver(notice);
      this.channel?.postMessage({ type: 'notice', notice, lastEventId: this.lastEventId });
    });
  }

  private receive(message: LiveMessage): void {
    if (this.leader) {
      if (message.type === 'hello') this.channel?.postMessage({ type: 'state', state: this.current, lastEventId: this.lastEventId });
      return;
    }
    if (message.type === 'hello') return;
    this.lastEventId = message.lastEventId;
    if (message.type === 'notice') this.deliver(message.notice);
    else this.setState(message.state);
  }

  private deliver(notice: ChangeNotice): void {
    for (const listener of this.listeners) listener(notice);
  }

  private setState(state: StreamState): void {
    this.current = state;
    if (this.leader) this.channel?.postMessage({ type: 'state', state, lastEventId: this.lastEventId });
    for (const listener of this.statusListeners) listener(state);
  }
}
