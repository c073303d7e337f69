import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import { LOGGER, MetricsService } from '@switchyard/observability';
import { EnvironmentSnapshots, type EnvironmentState, type SnapshotEvent } from '@switchyard/store';
import type { EventStream } from '../sse/event-stream';
import { EventStreams } from '../sse/event-streams.service';

export type StreamFormat = 'switchyard' | 'ofrep' | 'live';

/** The key live (admin UI) clients are kept under: they get every environment's changes. */
export const ALL_ENVIRONMENTS = '*';

interface StreamClient {
  environment: string;
  format: StreamFormat;
  stream: EventStream;
}

/**
 * Every open SSE connection of this replica. A change is serialised once per environment and
 * format, then written to each client. Heartbeats and dropping clients that fall behind are
 * EventStreams' (shared with every other SSE endpoint).
 */
@Injectable()
export class StreamHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly clients = new Map<string, Set<StreamClient>>();
  /** The version of every environment this replica serves, for live streams' event ids. */
  private readonly versions = new Map<string, number>();
  private readonly gauge: Gauge<'environment'>;
  private readonly dropped: Counter<'environment'>;
  private readonly log: Logger;

  constructor(
    private readonly snapshots: EnvironmentSnapshots,
    private readonly streams: EventStreams,
    metrics: MetricsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'stream-hub' });
    this.gauge = metrics.gauge('switchyard_stream_clients', 'Connected SSE stream clients on this replica', ['environment']);
    this.dropped = metrics.counter('switchyard_stream_clients_dropped_total', 'Stream clients dropped for falling behind', ['environment']);
  }

  onModuleInit(): void {
    this.snapshots.onEvent((event) => this.broadcast(event));
  }

  /** Before the HTTP server closes (EventStreams ends the connections themselves). */
  beforeApplicationShutdown(): void {
    this.clients.clear();
  }

  /** Open connections: of one environment's SDK streams, of live streams (`ALL_ENVIRONMENTS`), or all. */
  count(environment?: string): number {
    if (environment) return this.clients.get(environment)?.size ?? 0;
    let total = 0;
    for (const set of this.clients.values()) total += set.size;
    return total;
  }

  /** Opens the stream and registers it; `lastEventId` skips the initial snapshot when the client is current. */
  attach(request: FastifyRequest, reply: FastifyReply, state: EnvironmentState, format: StreamFormat, lastEventId?: string): void {
    const client = this.open(request, reply, state.environment, format);
    client.stream.response.write(`retry: 1000\n\n`);
    if (format === 'switchyard' && lastEventId !== String(state.version)) {
      this.write(client, `event: snapshot\nid: ${state.version}\ndata: ${state.json}\n\n`);
    }
  }

  /**
   * Registers a live stream: every environment's changes, as the `change` events of the SDK
   * stream. Each event's id lists every environment's version, so a reconnecting client (its
   * Last-Event-ID) gets one `full: true` notice per environment that moved while it was away.
   */
  attachLive(request: FastifyRequest, reply: FastifyReply, states: readonly EnvironmentState[], lastEventId?: string): void {
    const client = this.open(request, reply, ALL_ENVIRONMENTS, 'live');
    client.stream.response.write(`retry: 1000\n\n`);
    for (const state of states) this.versions.set(state.environment, Math.max(state.version, this.versions.get(state.environment) ?? 0));
    const seen = lastEventId === undefined ? undefined : parseVersions(lastEventId);
    if (seen) for (const state of states) if (seen.get(state.environment) !== state.version) this.write(client, liveFullFrame(state, ''));
    this.write(client, `event: ready\nid: ${this.versionsId()}\ndata: {}\n\n`);
  }

  private open(request: FastifyRequest, reply: FastifyReply, environment: string, format: StreamFormat): StreamClient {
    const stream = this.streams.open(request, reply, {
      onDrop: (buffered) => {
        this.dropped.inc({ environment });
        this.log.warn({ environment, buffered }, 'dropping a slow stream client');
      },
    });
    const client: StreamClient = { environment, format, stream };
    let set = this.clients.get(environment);
    if (!set) this.clients.set(environment, (set = new Set()));
    set.add(client);
    this.gauge.set({ environment }, set.size);
    stream.onClose(() => this.detach(client));
    return client;
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

  private write(client: StreamClient, frame: string): void {
    if (!client.stream.write(frame)) this.detach(client);
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
