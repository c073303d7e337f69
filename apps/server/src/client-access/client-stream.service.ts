import { createHash } from 'node:crypto';
import { Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter, Gauge } from 'prom-client';
import { UnavailableError } from '@switchyard/errors';
import { MetricsService } from '@switchyard/observability';
import { EnvironmentSnapshots, type EnvironmentState } from '@switchyard/store';
import { clientEtag, evaluateAllForClient, evaluateForClient } from '../remote-evaluation/client-evaluation';
import type { EventStream } from '../sse/event-stream';
import { EventStreams } from '../sse/event-streams.service';
import { ClientFlagCatalog } from './client-flag-catalog.service';
import { filterKey, type ClientFlagFilter } from './client-flag-filter';

/** Open browser streams per replica; past it a new one gets 503 and the SDK retries with backoff. */
export const MAX_CLIENT_STREAMS = 50_000;

/**
 * Connections that see the same flags for the same context: evaluated once per change, for all of
 * them — and only for the flags the change names, when it names them.
 */
interface StreamGroup {
  key: string;
  environment: string;
  filter: ClientFlagFilter;
  context: Record<string, unknown>;
  contextJson: string;
  connections: Set<EventStream>;
  /** Each visible flag's answer as JSON, to send only what changed. */
  answers?: Map<string, string>;
  /** The full `values` frame for connections that join (built when first needed after a change). */
  frame?: string;
  etag?: string;
  version?: number;
}

/**
 * Live evaluated values for browsers. A thousand tabs must not cost a thousand evaluations per
 * change, so connections are grouped by (environment, token filter, context); a change evaluates
 * each group once and writes the same frame to its connections. Groups whose values did not change
 * get nothing at all — which also keeps pages from learning that a hidden flag changed.
 */
@Injectable()
export class ClientStreamHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly groups = new Map<string, StreamGroup>();
  private connections = 0;
  private evaluationCount = 0;
  private readonly evaluations: Counter;
  private readonly connectionGauge: Gauge;
  private readonly groupGauge: Gauge;

  constructor(
    private readonly snapshots: EnvironmentSnapshots,
    private readonly catalog: ClientFlagCatalog,
    private readonly streams: EventStreams,
    metrics: MetricsService,
  ) {
    this.evaluations = metrics.counter('switchyard_client_stream_evaluations_total', 'Bulk evaluations done for browser stream groups');
    this.connectionGauge = metrics.gauge('switchyard_client_stream_connections', 'Open browser value streams on this replica');
    this.groupGauge = metrics.gauge('switchyard_client_stream_groups', 'Distinct (environment, filter, context) groups of browser streams on this replica');
  }

  onModuleInit(): void {
    this.snapshots.onEvent((event) => {
      // A change that names its flags (and touches no segment) re-evaluates only those flags.
      const message = event.kind === 'change' ? event.message : undefined;
      const only = message && !message.full && message.flags && Object.keys(message.segments ?? {}).length === 0 ? Object.keys(message.flags) : undefined;
      this.refreshEnvironment(event.state, only);
      // A new or archived flag changes what filters let through; the catalog re-reads (its onChange re-evaluates groups).
      void this.catalog.refresh();
    });
    this.catalog.onChange(() => {
      for (const group of this.groups.values()) {
        const state = this.snapshots.get(group.environment);
        if (state) this.evaluate(group, state);
      }
    });
  }

  /** Before the HTTP server closes (EventStreams ends the connections themselves). */
  beforeApplicationShutdown(): void {
    this.groups.clear();
  }

  get stats(): { connections: number; groups: number; evaluations: number } {
    return { connections: this.connections, groups: this.groups.size, evaluations: this.evaluationCount };
  }

  /** Refuses before the response is taken over, so the refusal is still an ordinary error response. */
  assertCapacity(): void {
    if (this.connections >= MAX_CLIENT_STREAMS) throw new UnavailableError('this server has as many browser streams open as it takes; retry later');
  }

  /**
   * Opens the stream and joins it to its group. `lastEventId`: the ETag of the values the client
   * already has (from its bulk answer); then the first frame is skipped.
   */
  attach(
    request: FastifyRequest,
    reply: FastifyReply,
    state: EnvironmentState,
    filter: ClientFlagFilter,
    context: Record<string, unknown>,
    contextJson: string,
    lastEventId?: string,
  ): void {
    const key = createHash('sha1')
      .update(`${state.environment}\n${filterKey(filter)}\n${contextJson}`)
      .digest('base64url');
    let group = this.groups.get(key);
    if (!group) {
      group = { key, environment: state.environment, filter, context, contextJson, connections: new Set() };
      this.groups.set(key, group);
      this.groupGauge.set(this.groups.size);
    }
    const response = this.streams.open(request, reply);
    group.connections.add(response);
    this.connections += 1;
    this.connectionGauge.set(this.connections);
    const joined = group;
    response.onClose(() => this.detach(joined, response));
    response.response.write('retry: 1000\n\n');
    if (!group.answers) this.evaluate(group, state, false);
    if (lastEventId !== group.etag) this.write(group, response, this.fullFrame(group));
  }

  private fullFrame(group: StreamGroup): string {
    group.frame ??= `event: values\nid: ${group.etag}\ndata: {"flags":[${[...group.answers!.values()].join(',')}],"etag":${JSON.stringify(group.etag)},"version":${group.version}}\n\n`;
    return group.frame;
  }

  private detach(group: StreamGroup, response: EventStream): void {
    if (!group.connections.delete(response)) return;
    this.connections -= 1;
    this.connectionGauge.set(this.connections);
    if (group.connections.size === 0 && this.groups.get(group.key) === group) {
      this.groups.delete(group.key);
      this.groupGauge.set(this.groups.size);
    }
  }

  private refreshEnvironment(state: EnvironmentState, only?: string[]): void {
    for (const group of this.groups.values()) if (group.environment === state.environment) this.evaluate(group, state, true, only);
  }

  /**
   * One bulk evaluation for the whole group; a `changes` frame with only the answers that changed
   * (a page with 100 flags gets one flag's worth of bytes per toggle, not all 100), and nothing at
   * all when none did.
   */
  private evaluate(group: StreamGroup, state: EnvironmentState, send = true, only?: string[]): void {
    this.evaluations.inc();
    this.evaluationCount += 1;
    const visible = (flag: string) => this.catalog.visible(group.filter, flag);
    let answers: Map<string, string>;
    if (only && group.answers) {
      // The other flags cannot have changed: keep their answers, evaluate the named ones.
      answers = new Map(group.answers);
      for (const key of only) {
        if (visible(key) && state.compiled.flag(key)) answers.set(key, JSON.stringify(evaluateForClient(state, key, group.context, visible)));
        else answers.delete(key);
      }
    } else {
      answers = new Map();
      for (const answer of evaluateAllForClient(state, group.context, visible)) answers.set(answer.key, JSON.stringify(answer));
    }
    const previous = group.answers;
    const changed: string[] = [];
    for (const [key, json] of answers) if (previous?.get(key) !== json) changed.push(json);
    const removed = previous ? [...previous.keys()].filter((key) => !answers.has(key)) : [];
    if (previous && changed.length === 0 && removed.length === 0) return;
    group.answers = answers;
    group.etag = clientEtag(state, filterKey(group.filter), this.catalog.generation, group.contextJson);
    group.version = state.version;
    group.frame = undefined;
    if (!send || !previous) return;
    const frame = `event: changes\nid: ${group.etag}\ndata: {"flags":[${changed.join(',')}],"removed":${JSON.stringify(removed)},"etag":${JSON.stringify(group.etag)},"version":${state.version}}\n\n`;
    for (const response of group.connections) this.write(group, response, frame);
  }

  private write(group: StreamGroup, response: EventStream, frame: string): void {
    // A tab that stopped reading is dropped (it reconnects) rather than growing memory without bound.
    if (!response.write(frame)) this.detach(group, response);
  }
}
