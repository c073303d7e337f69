import type { RouteAggregate } from '@switchyard/mirror';
import type { Logger } from '@switchyard/observability';
import type { ProxyMetrics } from './proxy-metrics';

export interface ReportShipperOptions {
  server: string;
  token: string;
  /** Identifies this proxy in stored breaker state. */
  proxyId: string;
  drain(): RouteAggregate[];
  metrics: ProxyMetrics;
  logger: Logger;
  intervalMs?: number;
  /** Batches kept while the server is unreachable; beyond it the oldest are dropped and counted. */
  maxQueuedBatches?: number;
  /** Posts are split to stay under the server's body limit. */
  maxBatchBytes?: number;
  requestTimeoutMs?: number;
}

/**
 * Drains the proxy's aggregates on a timer and posts them to `POST /api/v1/mirror/reports`.
 * It runs beside the live path and never waits on it: a slow or absent server only fills a
 * bounded queue, and what does not fit is dropped with a counter.
 */
export class ReportShipper {
  private readonly queue: string[] = [];
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private dropped = 0;
  private readonly maxQueued: number;
  private readonly maxBytes: number;

  constructor(private readonly options: ReportShipperOptions) {
    this.maxQueued = options.maxQueuedBatches ?? 120;
    this.maxBytes = options.maxBatchBytes ?? 512 * 1024;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  get stats(): { queued: number; dropped: number } {
    return { queued: this.queue.length, dropped: this.dropped };
  }

  /** Drains now and sends what is queued; resolves when this round of sending is over (never rejects). */
  async flush(): Promise<void> {
    for (const body of this.split(this.options.drain())) {
      if (this.queue.length >= this.maxQueued) {
        this.queue.shift();
        this.dropped++;
        this.options.metrics.reportBatches.labels('dropped').inc();
      }
      this.queue.push(body);
    }
    this.sending ??= this.sendQueued().finally(() => (this.sending = undefined));
    return this.sending;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const body = this.queue[0];
      try {
        const response = await fetch(new URL('/api/v1/mirror/reports', this.options.server), {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
        });
        await response.arrayBuffer();
        if (response.status >= 400 && response.status < 500) {
          // The server will never take this one (validation, auth): retrying would block the queue.
          this.queue.shift();
          this.options.metrics.reportBatches.labels('rejected').inc();
          this.options.logger.error({ status: response.status }, 'server rejected a report batch');
          continue;
        }
        if (!response.ok) throw new Error(`server answered ${response.status}`);
        this.queue.shift();
        this.options.metrics.reportBatches.labels('sent').inc();
      } catch (error) {
        this.options.metrics.reportBatches.labels('failed').inc();
        this.options.logger.warn(
          { err: error instanceof Error ? error.message : String(error), queued: this.queue.length },
          'report batch not delivered; will retry',
        );
        return;
      }
    }
  }

  /** One JSON body per chunk of endpoints that fits under the size limit. */
  private split(routes: RouteAggregate[]): string[] {
    const bodies: string[] = [];
    let current: RouteAggregate[] = [];
    let size = 0;
    const push = () => {
      if (current.length > 0) bodies.push(JSON.stringify({ proxy: this.options.proxyId, routes: current }));
      current = [];
      size = 0;
    };
    for (const route of routes) {
      for (const endpoint of route.endpoints) {
        const bytes = JSON.stringify(endpoint).length + 64;
        if (size + bytes > this.maxBytes) push();
        const last = current.at(-1);
        if (last && last.route === route.route) last.endpoints.push(endpoint);
        else current.push({ route: route.route, since: route.since, endpoints: [endpoint], ...(route.breaker ? { breaker: route.breaker } : {}) });
        size += bytes;
      }
    }
    push();
    return bodies;
  }
}
