import type { Backoff } from './backoff';
import { SwitchyardError } from './client-events';
import type { FlagSource, SourceSink } from './flag-source';
import type { HttpTransport, StreamHandle } from './http-transport';
import { asChange, asSnapshot, type SnapshotChange } from './live-snapshot';
import { SseParser, type SseEvent } from './sse-parser';

export interface StreamSourceOptions {
  heartbeatTimeoutMs: number;
  backoff: Backoff;
}

/**
 * Keeps the flags current over `GET /sdk/v1/stream` (Server-Sent Events): a full snapshot on
 * connect, deltas after. It resumes with `Last-Event-ID` so a reconnect in sync costs nothing,
 * refetches the snapshot when a delta does not follow the current version, and treats a silent
 * connection (no data, no heartbeat for `heartbeatTimeoutMs`) as dead.
 */
export class StreamSource implements FlagSource {
  private readonly parser: SseParser;
  private handle: StreamHandle | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastDataAt = 0;
  private closed = false;
  /** Deltas that arrived while a full snapshot was being fetched, applied after it. */
  private queued: SnapshotChange[] | undefined;

  constructor(
    private readonly transport: HttpTransport,
    private readonly sink: SourceSink,
    private readonly options: StreamSourceOptions,
  ) {
    this.parser = new SseParser({
      event: (event) => this.onEvent(event),
      overflow: (length) => this.restart(new SwitchyardError('data', `the stream sent a line of ${length} characters without an end`)),
    });
  }

  start(): void {
    this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handle?.close();
    this.handle = undefined;
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    return Promise.resolve();
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.closed) return;
    this.parser.reset();
    const version = this.sink.syncedVersion();
    this.handle = this.transport.openStream(version === undefined ? undefined : String(version), {
      open: () => {
        this.options.backoff.reset();
        this.lastDataAt = Date.now();
        this.armWatchdog(this.options.heartbeatTimeoutMs);
        // The server sends nothing until the next change when Last-Event-ID is its version.
        if (version !== undefined) this.sink.synced();
      },
      data: (chunk) => {
        this.lastDataAt = Date.now();
        this.parser.feed(chunk);
      },
      end: (error) => this.dropped(error),
    });
  }

  /** One timer per heartbeat period, re-armed for the remainder instead of on every chunk. */
  private armWatchdog(ms: number): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      const idle = Date.now() - this.lastDataAt;
      const limit = this.options.heartbeatTimeoutMs;
      if (idle < limit) {
        this.armWatchdog(limit - idle);
        return;
      }
      this.handle?.close();
      this.dropped(new SwitchyardError('connection', `no data or heartbeat on the stream for ${limit} ms`));
    }, ms);
    this.watchdog.unref();
  }

  private dropped(error: SwitchyardError): void {
    if (this.closed) return;
    this.handle = undefined;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.queued = undefined;
    this.sink.error(error);
    this.sink.lost(error.message);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => this.connect(), this.options.backoff.next());
  }

  private restart(error: SwitchyardError): void {
    this.handle?.close();
    this.dropped(error);
  }

  private onEvent(event: SseEvent): void {
    if (this.closed) return;
    if (event.event !== 'snapshot' && event.event !== 'change') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(event.data);
    } catch {
      this.restart(new SwitchyardError('data', `the stream sent a "${event.event}" event that is not JSON`));
      return;
    }
    if (event.event === 'snapshot') {
      const snapshot = asSnapshot(parsed);
      if (snapshot === undefined) {
        this.restart(new SwitchyardError('data', 'the stream sent a snapshot event without a snapshot'));
        return;
      }
      this.sink.snapshot(snapshot, 'server');
      this.sink.synced();
      return;
    }
    const change = asChange(parsed);
    if (change === undefined) {
      this.restart(new SwitchyardError('data', 'the stream sent a malformed change event'));
      return;
    }
    if (this.queued !== undefined) {
      this.queued.push(change);
      return;
    }
    if (!change.full && this.sink.change(change, 'server')) return;
    this.refetch(change);
  }

  /** A delta did not follow our version: fetch the full snapshot, then replay what came meanwhile. */
  private refetch(trigger: SnapshotChange): void {
    this.queued = trigger.full ? [] : [trigger];
    const handle = this.handle;
    this.transport.getSnapshot().then(
      (res) => {
        if (this.closed || this.handle !== handle) return;
        const queued = this.queued ?? [];
        this.queued = undefined;
        if (!res.notModified) this.sink.snapshot(res.snapshot, 'server');
        for (const change of queued) {
          if (change.full) continue;
          if (!this.sink.change(change, 'server')) {
            // Still behind (a lagging replica answered): a fresh stream starts with a full snapshot.
            this.restart(new SwitchyardError('data', `missed changes before version ${change.version}; reconnecting`));
            return;
          }
        }
        this.sink.synced();
      },
      (err: unknown) => {
        if (this.closed || this.handle !== handle) return;
        this.queued = undefined;
        this.restart(err instanceof SwitchyardError ? err : new SwitchyardError('connection', String(err)));
      },
    );
  }
}
