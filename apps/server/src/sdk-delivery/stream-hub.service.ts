import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { LOGGER, MetricsService } from '@switchyard/observability';
import { EnvironmentSnapshots, type EnvironmentState, type SnapshotEvent } from '@switchyard/store';

export type StreamFormat = 'switchyard' | 'ofrep';

interface StreamClient {
  environment: string;
  format: StreamFormat;
  response: ServerResponse;
}

/**
 * Every open SSE connection of this replica. A change is serialised once per environment and
 * format, then written to each client; a client whose unsent buffer passes the limit is dropped
 * (it reconnects and resumes) instead of growing memory without bound.
 */
@Injectable()
export class StreamHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly clients = new Map<string, Set<StreamClient>>();
  private heartbeat?: NodeJS.Timeout;
  private readonly gauge: Gauge<'environment'>;
  private readonly dropped: Counter<'environment'>;
  private readonly log: Logger;

  constructor(
    private readonly snapshots: EnvironmentSnapshots,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'stream-hub' });
    this.gauge = metrics.gauge('switchyard_stream_clients', 'Connected SSE stream clients on this replica', ['environment']);
    this.dropped = metrics.counter('switchyard_stream_clients_dropped_total', 'Stream clients dropped for falling behind', ['environment']);
  }

  onModuleInit(): void {
    this.snapshots.onEvent((event) => this.broadcast(event));
    this.heartbeat = setInterval(() => this.beat(), this.config.sseHeartbeatMs);
    this.heartbeat.unref();
  }

  /** Before the HTTP server closes: open streams would otherwise keep it from ever closing. */
  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const set of this.clients.values()) for (const client of set) client.response.end();
    this.clients.clear();
  }

  count(environment?: string): number {
    if (environment) return this.clients.get(environment)?.size ?? 0;
    let total = 0;
    for (const set of this.clients.values()) total += set.size;
    return total;
  }

  /** Registers an already-open response; `lastEventId` skips the initial snapshot when the client is current. */
  attach(response: ServerResponse, state: EnvironmentState, format: StreamFormat, lastEventId?: string): void {
    const client: StreamClient = { environment: state.environment, format, response };
    let set = this.clients.get(client.environment);
    if (!set) this.clients.set(client.environment, (set = new Set()));
    set.add(client);
    this.gauge.set({ environment: client.environment }, set.size);
    response.on('close', () => this.detach(client));
    response.write(`retry: 1000\n\n`);
    if (format === 'switchyard' && lastEventId !== String(state.version)) {
      this.write(client, `event: snapshot\nid: ${state.version}\ndata: ${state.json}\n\n`);
    }
  }

  private detach(client: StreamClient): void {
    const set = this.clients.get(client.environment);
    if (!set?.delete(client)) return;
    this.gauge.set({ environment: client.environment }, set.size);
  }

  private broadcast(event: SnapshotEvent): void {
    const set = this.clients.get(event.state.environment);
    if (!set || set.size === 0) return;
    const version = event.state.version;
    const native =
      event.kind === 'change' ? `event: change\nid: ${version}\ndata: ${event.data}\n\n` : `event: snapshot\nid: ${version}\ndata: ${event.state.json}\n\n`;
    // OFREP ADR-0008: tell providers to refetch their bulk evaluation.
    const ofrep = `data: ${JSON.stringify({ type: 'refetchEvaluation', etag: event.state.etag })}\n\n`;
    for (const client of set) this.write(client, client.format === 'ofrep' ? ofrep : native);
  }

  private beat(): void {
    for (const set of this.clients.values()) for (const client of set) this.write(client, `: ping\n\n`);
  }

  private write(client: StreamClient, frame: string): void {
    const response = client.response;
    if (response.destroyed) return;
    if (response.writableLength > this.config.sseMaxBufferBytes) {
      this.dropped.inc({ environment: client.environment });
      this.log.warn({ environment: client.environment, buffered: response.writableLength }, 'dropping a slow stream client');
      response.destroy();
      this.detach(client);
      return;
    }
    response.write(frame);
  }
}
