import type { ChangeNotice } from './change-event';
import { LiveUpdates, type ChannelLike, type EventSourceLike, type LiveMessage, type LocksLike, type StreamState } from './live-updates';

/** Web Locks as a browser grants them: one holder per name, the rest queued in order, abortable while queued. */
class FakeLocks implements LocksLike {
  private holder?: () => void;
  private readonly queue: Array<{ start: () => void; signal: AbortSignal }> = [];

  request(_name: string, options: { signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const start = () => {
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          this.holder = undefined;
          resolve(undefined);
          this.next();
        };
        this.holder = release;
        void callback().then(release);
      };
      const entry = { start, signal: options.signal };
      options.signal.addEventListener('abort', () => {
        const index = this.queue.indexOf(entry);
        if (index < 0) return;
        this.queue.splice(index, 1);
        reject(new DOMException('aborted', 'AbortError'));
      });
      this.queue.push(entry);
      if (!this.holder) this.next();
    });
  }

  /** The holder's tab crashed or was closed: the browser releases its lock without asking it. */
  crashHolder(): void {
    this.holder?.();
  }

  private next(): void {
    this.queue.shift()?.start();
  }
}

/** BroadcastChannel: delivers to every other open channel, asynchronously, never to the sender. */
class FakeBus {
  private readonly channels = new Set<FakeChannel>();

  open(): FakeChannel {
    const channel = new FakeChannel(this.channels);
    this.channels.add(channel);
    return channel;
  }
}

class FakeChannel implements ChannelLike {
  onmessage: ((event: MessageEvent<LiveMessage>) => void) | null = null;
  constructor(private readonly peers: Set<FakeChannel>) {}
  postMessage(message: LiveMessage): void {
    const copy = structuredClone(message);
    for (const peer of this.peers) if (peer !== this) queueMicrotask(() => peer.onmessage?.({ data: copy } as MessageEvent<LiveMessage>));
  }
  close(): void {
    this.peers.delete(this);
  }
}

class FakeEventSource implements EventSourceLike {
  readyState = 0;
  onerror: ((event: Event) => void) | null = null;
  onopen: ((event: Event) => void) | null = null;
  closed = false;
  private readonly listeners = new Map<string, Array<(event: MessageEvent<string>) => void>>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  emit(type: string, data: unknown, lastEventId = ''): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ data: JSON.stringify(data), lastEventId } as MessageEvent<string>);
  }
  fail(readyState: 0 | 2): void {
    this.readyState = readyState;
    this.onerror?.(new Event('error'));
  }
}

/** Lets queued channel deliveries run (they are microtasks, as BroadcastChannel's are tasks). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function browser(options: { locks?: boolean } = {}) {
  const locks = new FakeLocks();
  const bus = new FakeBus();
  const streams: FakeEventSource[] = [];
  const tabs: Array<{ live: LiveUpdates; notices: ChangeNotice[]; states: StreamState[] }> = [];
  const openTab = () => {
    const live = new LiveUpdates({
      eventSource: (url) => {
        const source = new FakeEventSource(url);
        streams.push(source);
        return source;
      },
      channel: () => bus.open(),
      locks: options.locks === false ? undefined : locks,
      retryMs: 1_000,
    });
    const tab = { live, notices: [] as ChangeNotice[], states: [] as StreamState[] };
    live.subscribe((notice) => tab.notices.push(notice));
    live.onStatus((state) => tab.states.push(state));
    live.start();
    tabs.push(tab);
    return tab;
  };
  return { locks, streams, tabs, openTab, openStreams: () => streams.filter((s) => !s.closed) };
}

const change = (flag: string, version: number) => ({
  environment: 'env-07',
  version,
  flags: { [flag]: { key: flag, enabled: true } },
  actor: 'user:ada@example.com',
});

describe('LiveUpdates: one stream per browser, led by one tab', () => {
  it('opens one stream for ten tabs and relays every notice and the stream state to all of them', async () => {
    const b = browser();
    for (let i = 0; i < 10; i++) b.openTab();
    await settle();
    expect(b.openStreams().map((s) => s.url)).toEqual(['/api/v1/live']);
    expect(b.tabs.map((t) => t.live.isLeader)).toEqual([true, false, false, false, false, false, false, false, false, false]);

    const [stream] = b.streams;
    stream.open();
    stream.emit('ready', {}, 'env-07:1');
    await settle();
    expect(b.tabs.map((t) => t.live.state)).toEqual(Array(10).fill('open'));

    stream.emit('change', change('checkout', 2), 'env-07:2');
    await settle();
    for (const tab of b.tabs) expect(tab.notices).toEqual([expect.objectContaining({ environment: 'env-07', version: 2, flags: ['checkout'] })]);

    // A tab opened later asks, and the leader tells it the stream is up.
    const late = b.openTab();
    await settle();
    expect(late.live.state).toBe('open');
    expect(b.openStreams()).toHaveLength(1);
  });

  it('hands the stream to the next tab when the leader closes, resuming from the last event id', async () => {
    const b = browser();
    const [first, second, third] = [b.openTab(), b.openTab(), b.openTab()];
    await settle();
    b.streams[0].open();
    b.streams[0].emit('change', change('checkout', 2), 'env-07:2');
    await settle();

    first.live.close();
    await settle();
    expect(second.live.isLeader).toBe(true);
    expect(b.openStreams().map((s) => s.url)).toEqual([`/api/v1/live?since=${encodeURIComponent('env-07:2')}`]);

    const next = b.openStreams()[0];
    next.open();
    next.emit('change', change('search', 3), 'env-07:3');
    await settle();
    expect(second.notices.map((n) => n.flags)).toEqual([['checkout'], ['search']]);
    expect(third.notices.map((n) => n.flags)).toEqual([['checkout'], ['search']]);
    expect(first.notices).toHaveLength(1);
    expect(third.live.state).toBe('open');

    // A tab that vanishes without closing (crash, killed process) loses its lock all the same.
    b.locks.crashHolder();
    await settle();
    expect(third.live.isLeader).toBe(true);
    expect(b.streams.at(-1)!.url).toBe(`/api/v1/live?since=${encodeURIComponent('env-07:3')}`);
  });

  it('reports a reconnecting stream as such, and reopens one the browser gave up on', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask'] });
    try {
      const b = browser();
      const [leader, follower] = [b.openTab(), b.openTab()];
      await settle();
      b.streams[0].open();
      b.streams[0].fail(0);
      await settle();
      expect([leader.live.state, follower.live.state]).toEqual(['reconnecting', 'reconnecting']);

      b.streams[0].fail(2);
      await settle();
      expect(follower.live.state).toBe('closed');
      jest.advanceTimersByTime(1_000);
      expect(b.openStreams()).toHaveLength(1);
      expect(b.streams).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps one stream per tab, without relaying, where the browser has no Web Locks', async () => {
    const b = browser({ locks: false });
    const [one, two] = [b.openTab(), b.openTab()];
    await settle();
    expect(b.openStreams()).toHaveLength(2);
    b.streams[0].emit('change', change('checkout', 2));
    await settle();
    expect(one.notices).toHaveLength(1);
    expect(two.notices).toHaveLength(0);
  });

  it('leaves the queue when closed before it ever led', async () => {
    const b = browser();
    const [leader, waiting, last] = [b.openTab(), b.openTab(), b.openTab()];
    await settle();
    waiting.live.close();
    leader.live.close();
    await settle();
    expect(waiting.live.isLeader).toBe(false);
    expect(last.live.isLeader).toBe(true);
    expect(b.openStreams()).toHaveLength(1);
  });
});
