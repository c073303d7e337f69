import type { Backoff } from './backoff';
import { SwitchyardError } from './client-events';
import type { FlagSource, SourceSink } from './flag-source';
import type { HttpTransport } from './http-transport';

export interface PollSourceOptions {
  intervalMs: number;
  backoff: Backoff;
}

/**
 * Keeps the flags current by fetching `GET /sdk/v1/snapshot` every `intervalMs` with
 * `If-None-Match`, so an unchanged environment costs a 304 with no body. Every answer is a full
 * snapshot, so polling cannot miss a version. After a failure it retries on the backoff schedule.
 */
export class PollSource implements FlagSource {
  private timer: NodeJS.Timeout | undefined;
  private etag: string | undefined;
  private closed = false;

  constructor(
    private readonly transport: HttpTransport,
    private readonly sink: SourceSink,
    private readonly options: PollSourceOptions,
  ) {}

  start(): void {
    this.poll();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  private poll(): void {
    this.timer = undefined;
    if (this.closed) return;
    // The ETag only proves anything while our data is the server's.
    const etag = this.sink.syncedVersion() === undefined ? undefined : this.etag;
    this.transport.getSnapshot(etag).then(
      (res) => {
        if (this.closed) return;
        if (!res.notModified) {
          this.etag = res.etag;
          this.sink.snapshot(res.snapshot, 'server');
        }
        this.options.backoff.reset();
        this.sink.synced();
        this.schedule(this.options.intervalMs);
      },
      (err: unknown) => {
        if (this.closed) return;
        const error = err instanceof SwitchyardError ? err : new SwitchyardError('connection', String(err));
        this.sink.error(error);
        this.sink.lost(error.message);
        this.schedule(this.options.backoff.next());
      },
    );
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => this.poll(), ms);
  }
}
