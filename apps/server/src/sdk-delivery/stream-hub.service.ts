import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { LOGGER, MetricsService } from '@switchyard/observability';
import { EnvironmentSnapshots, type EnvironmentState, type SnapshotEvent } from '@switchyard/store';

export type StreamFormat = 'switchyard' | 'ofrep' | 'live';

/** The key live (admin UI) clients are kept under: they get every environment's changes. */
export const ALL_ENVIRONMENTS = '*';

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
  /** The version of every environment this replica serves, for live streams' event ids. */
  private readonly versions = new Map<string, number>();
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

  /** Open connections: of one environment's SDK streams, of live streams (`ALL_ENVIRONMENTS`), or all. */
  count(environment?: string): number {
    if (environment) return this.clients.get(environment)?.size ?? 0;
    let total = 0;
    for (const set of this.clients.values()) total += set.size;
    return total;
  }

  /** Registers an already-open response; `lastEventId` skips the initial snapshot when the client is current. */
  attach(response: ServerResponse, state: EnvironmentState, format: StreamFormat, lastEventId?: string): void {
    const client: StreamClient = { environment: state.environment, format, response };
    this.add(client);
    response.write(`retry: 1000\n\n`);
    if (format === 'switchyard' && lastEventId !== String(state.version)) {
      this.write(client, `event: snapshot\nid: ${state.version}\ndata: ${state.json}\n\n`);
    }
  }

  /**
   * Registers a live stream: every environment's changes, as the `change` events of the SDK
   * stream. Each event's id lists every environment's version, so a reconnecting client (its
   * Last-Event-ID) gets one `full: true` notice per environment that moved while it was away.
   */
  attachLive(response: ServerResponse, states: readonly EnvironmentState[], lastEventId?: string): void {
    const client: StreamClient = { environment: ALL_ENVIRONMENTS, format: 'live', response };
    this.add(client);
    response.write(`retry: 1000\n\n`);
    for (const state of states) this.versions.set(state.environment, Math.max(state.version, this.versions.get(state.environment) ?? 0));
    const seen = lastEventId === undefined ? undefined : parseVersions(lastEventId);
    if (seen) for (const state of states) if (seen.get(state.environment) !== state.version) this.write(client, liveFullFrame(state, ''));
    this.write(client, `event: ready\nid: ${this.versionsId()}\ndata: {}\n\n`);
  }

  private add(client: StreamClient): void {
    let set = this.clients.get(client.environment);
    if (!set) this.clients.set(client.environment, (set = new Set()));
    set.add(client);
    this.gauge.set({ environment: client.environment }, set.size);
    client.response.on('close', () => this.detach(client));
  }

  private versionsId(): string {
    return [...this.versions].map(([environment, version]) => `${environment}:${version}`).join(',');
  }

  private detach(client: StreamClient): void {
    const set = this.clients.get(client.environment);
    if (!set?.delete(client)) return;
    this.gauge.set({ environment: client.environment }, set.size);
  }

  private broadcast(event: SnapshotEvent): void {
    this.versions.set(event.state.environment, event.state.version);
    this.broadcastLive(event);
    const set = this.clients.get(event.state.environment);
    if (!set || set.size === 0) return;
    const version = event.state.version;
    const native =
      event.kind === 'change' ? `event: change\nid: ${version}\ndata: ${event.data}\n\n` : `event: snapshot\nid: ${version}\ndata: ${event.state.json}\n\n`;
    // OFREP ADR-0008: tell providers to refetch their bulk evaluation.
    const ofrep = `data: ${JSON.stringify({ type: 'refetchEvaluation', etag: event.state.etag })}\n\n`;
    for (const client of set) this.write(client, client.format === 'ofrep' ? ofrep : native);
  }

  private broadcastLive(event: SnapshotEvent): void {
    const set = this.clients.get(ALL_ENVIRONMENTS);
    if (!set || set.size === 0) return;
    const id = this.versionsId();
    const frame = event.kind === 'change' ? `event: change\nid: ${id}\ndata: ${event.data}\n\n` : liveFullFrame(event.state, id);
    for (const client of set) this.write(client, frame);
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

/**
 * A live `change` event for a whole environment (reloaded, or moved while the client was away):
 * every flag's and segment's key, so pages refresh whatever they show, without the definitions.
 */
function liveFullFrame(state: EnvironmentState, id: string): string {
  const flags = Object.fromEntries(Object.entries(state.snapshot.flags).map(([key, flag]) => [key, { enabled: flag.enabled }]));
  const segments = Object.fromEntries(Object.keys(state.snapshot.segments).map((key) => [key, {}]));
  const data = JSON.stringify({ environment: state.environment, version: state.version, full: true, flags, segments });
  return `event: change\n${id ? `id: ${id}\n` : ''}data: ${data}\n\n`;
}

/** `production:7,staging:3` → versions by environment; anything else → undefined. */
function parseVersions(id: string): Map<string, number> | undefined {
  const versions = new Map<string, number>();
  for (const pair of id.split(',')) {
    const match = /^([a-z0-9][a-z0-9_-]{0,63}):(\d{1,15})$/.exec(pair);
    if (!match) return undefined;
    versions.set(match[1], Number(match[2]));
  }
  return versions;
}
