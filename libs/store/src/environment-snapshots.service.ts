import { gzipSync } from 'node:zlib';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { compileSnapshot, type CompiledSnapshot, type Snapshot } from '@switchyard/core';
import { LOGGER, MetricsService } from '@switchyard/observability';
import type { Gauge } from 'prom-client';
import { FeatureStore, type ChangeMessage } from './feature-store';
import { SnapshotBuilder } from './snapshot-builder';

/** One environment as this replica serves it: parsed, compiled, serialised once per version. */
export class EnvironmentState {
  readonly etag: string;
  private gzipped?: Buffer;

  constructor(
    readonly snapshot: Snapshot,
    readonly json: string,
    readonly compiled: CompiledSnapshot = compileSnapshot(snapshot),
  ) {
    this.etag = `"${snapshot.environment}:${snapshot.version}"`;
  }

  get environment(): string {
    return this.snapshot.environment;
  }

  get version(): number {
    return this.snapshot.version;
  }

  /** Compressed lazily, once per version, so a snapshot burst costs one gzip. */
  get gzip(): Buffer {
    this.gzipped ??= gzipSync(this.json);
    return this.gzipped;
  }
}

export type SnapshotEvent = { kind: 'change'; state: EnvironmentState; message: ChangeMessage; data: string } | { kind: 'snapshot'; state: EnvironmentState };
export type SnapshotListener = (event: SnapshotEvent) => void;

/**
 * This replica's in-memory copy of every environment. Reads (SDK snapshot, stream, OFREP) never
 * touch PostgreSQL; changes arrive from the store's channel, and a gap in versions triggers a
 * full reload from the store (or from the record when the store is behind or down).
 */
@Injectable()
export class EnvironmentSnapshots {
  private readonly states = new Map<string, EnvironmentState>();
  private readonly loading = new Map<string, Promise<EnvironmentState | undefined>>();
  private readonly listeners: SnapshotListener[] = [];
  private readonly log: Logger;
  private readonly versionGauge: Gauge<'environment'>;

  constructor(
    private readonly store: FeatureStore,
    private readonly builder: SnapshotBuilder,
    metrics: MetricsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'environment-snapshots' });
    this.versionGauge = metrics.gauge('switchyard_snapshot_version', 'Snapshot version this replica serves, per environment', ['environment']);
    store.subscribe((message) => this.receive(message));
  }

  onEvent(listener: SnapshotListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  get(environment: string): EnvironmentState | undefined {
    return this.states.get(environment);
  }

  /** The environment's state, loading it on first use; undefined when the environment does not exist. */
  async ensure(environment: string): Promise<EnvironmentState | undefined> {
    return this.states.get(environment) ?? this.refresh(environment);
  }

  /** Reloads from the store, falling back to the record when the store is behind, empty or down. */
  async refresh(environment: string, minimumVersion = 0): Promise<EnvironmentState | undefined> {
    const pending = this.loading.get(environment);
    // A load under way may have read the store before `minimumVersion` existed: then load again, or
    // the change that asked for it would wait for the next reconcile pass.
    if (pending) return pending.then((state) => ((state?.version ?? -1) >= minimumVersion ? state : this.refresh(environment, minimumVersion)));
    const load = this.load(environment, minimumVersion).finally(() => this.loading.delete(environment));
    this.loading.set(environment, load);
    return load;
  }

  /** Installs a snapshot this replica just built (the writer does not wait for its own echo). */
  installBuilt(snapshot: Snapshot, json: string, message: ChangeMessage): void {
    const current = this.states.get(snapshot.environment);
    if (current && current.version >= snapshot.version) return;
    const state = new EnvironmentState(snapshot, json);
    const continuous = current !== undefined && message.previousVersion === current.version && !message.full;
    this.install(state, continuous ? message : undefined);
  }

  private receive(message: ChangeMessage): void {
    const current = this.states.get(message.environment);
    if (current && current.version >= message.version) return;
    if (!current || message.full || message.previousVersion !== current.version) {
      // Not awaited by anyone: a failure (the record unreachable, the app closing) must not become an
      // unhandled rejection, which ends the process. The reconcile loop retries the environment.
      this.refresh(message.environment, message.version).catch((error: unknown) =>
        this.log.warn({ err: error, environment: message.environment }, 'reload after a version gap failed; the reconcile loop retries'),
      );
      return;
    }
    const snapshot: Snapshot = {
      ...current.snapshot,
      version: message.version,
      flags: { ...current.snapshot.flags },
      segments: { ...current.snapshot.segments },
    };
    for (const [key, flag] of Object.entries(message.flags ?? {})) {
      if (flag) snapshot.flags[key] = flag;
      else delete snapshot.flags[key];
    }
    for (const [key, segment] of Object.entries(message.segments ?? {})) {
      if (segment) snapshot.segments[key] = segment;
      else delete snapshot.segments[key];
    }
    this.install(new EnvironmentState(snapshot, JSON.stringify(snapshot)), message);
  }

  private async load(environment: string, minimumVersion: number): Promise<EnvironmentState | undefined> {
    let snapshot: Snapshot | undefined;
    let json: string | undefined;
    try {
      json = await this.store.read(environment);
      snapshot = json ? (JSON.parse(json) as Snapshot) : undefined;
    } catch (error) {
      this.log.debug({ err: error, environment }, 'store unavailable; reading the record');
    }
    if (!snapshot || snapshot.version < minimumVersion) {
      const built = await this.builder.build(environment);
      if (!built) return undefined;
      if (!snapshot || built.version > snapshot.version) {
        snapshot = built;
        json = JSON.stringify(built);
      }
    }
    const current = this.states.get(environment);
    if (current && current.version >= snapshot.version) return current;
    const state = new EnvironmentState(snapshot, json ?? JSON.stringify(snapshot));
    this.install(state);
    return state;
  }

  private install(state: EnvironmentState, message?: ChangeMessage): void {
    this.states.set(state.environment, state);
    this.versionGauge.set({ environment: state.environment }, state.version);
    const event: SnapshotEvent = message ? { kind: 'change', state, message, data: JSON.stringify(message) } : { kind: 'snapshot', state };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: error }, 'snapshot listener failed');
      }
    }
  }
}
