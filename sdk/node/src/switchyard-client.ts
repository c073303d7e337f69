import type { ErrorCode, EvaluationContext, EvaluationResult, FlagType, Reason, Snapshot } from '@switchyard/core';
import { Backoff } from './backoff';
import { CacheFileWriter, readSnapshotFile } from './cache-file';
import { ClientEvent, ClientEvents, SwitchyardError, type ClientEventListener, type SnapshotSource } from './client-events';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './client-options';
import type { FlagSource, SourceSink } from './flag-source';
import { HttpTransport } from './http-transport';
import { asSnapshot, LiveSnapshot, type SnapshotChange } from './live-snapshot';
import { PollSource } from './poll-source';
import { RedisSource } from './redis-source';
import { StreamSource } from './stream-source';
import { splitPayload, UsageMetrics } from './usage-metrics';

export type ClientStatus = 'not-ready' | 'ready' | 'stale' | 'closed';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type FlagMetadata = Readonly<Record<string, string | number | boolean>>;

/** The engine's error codes plus PROVIDER_NOT_READY (no flags loaded yet). */
export type EvaluationErrorCode = ErrorCode | 'PROVIDER_NOT_READY';

export interface EvaluationDetails<T> {
  value: T;
  variant: string | undefined;
  /** OpenFeature reason: DISABLED, TARGETING_MATCH, SPLIT, DEFAULT or ERROR. */
  reason: Reason;
  errorCode: EvaluationErrorCode | undefined;
  errorMessage: string | undefined;
  /**
   * `source` (server, redis, cache or bootstrap: where the flags being served came from),
   * `snapshotVersion`, `environment`, and when known `flagVersion` and the matching `ruleId`;
   * `failedPrerequisite` when a prerequisite flag failed (reason DISABLED, the off variant).
   */
  flagMetadata: FlagMetadata;
}

export interface ClientStats {
  status: ClientStatus;
  source: SnapshotSource | undefined;
  environment: string | undefined;
  version: number | undefined;
  flags: number;
  /** Whether the stream / poll / Redis connection is currently up. */
  connected: boolean;
  metrics: {
    /** Distinct (flag, variant) pairs counted since the last flush. */
    pending: number;
    /** Evaluations counted and delivered to the server. */
    sent: number;
    /** Evaluations counted but dropped because the server could not be reached. */
    unsent: number;
    /** Evaluations not counted because the buffer was full. */
    overflow: number;
  };
  lastError: string | undefined;
}

const EMPTY_CONTEXT: EvaluationContext = Object.freeze({});
const EMPTY_METADATA: FlagMetadata = Object.freeze({});
const NOT_READY_MESSAGE = 'no flags loaded yet: the server has not answered and there is no bootstrap or cache file';

function sumCounts(counts: ReadonlyArray<{ count: number }>): number {
  let n = 0;
  for (const c of counts) n += c.count;
  return n;
}

/**
 * Evaluates flags locally from an in-memory snapshot that a source (SSE stream, polling or
 * Redis) keeps current. Evaluation is synchronous, never throws, and on the common path
 * allocates nothing: the engine returns pre-built results and usage is counted by their identity.
 */
export class SwitchyardClient {
  private readonly options: ResolvedOptions;
  private readonly events = new ClientEvents();
  private readonly transport: HttpTransport | undefined;
  private readonly source: FlagSource | undefined;
  private readonly cache: CacheFileWriter | undefined;
  private usage: UsageMetrics | null;
  private live: LiveSnapshot | null = null;
  private liveSource: SnapshotSource | undefined;
  /** The version of the data received from the server in this process; undefined while serving bootstrap/cache. */
  private serverVersion: number | undefined;
  private currentStatus: ClientStatus = 'not-ready';
  private connected = false;
  private metadataBase: FlagMetadata = EMPTY_METADATA;
  private readonly waiters = new Set<(ready: boolean) => void>();
  private readyTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private metricsFailing = false;
  private sentCounts = 0;
  private unsentCounts = 0;
  private lastError: string | undefined;

  private readonly sink: SourceSink = {
    syncedVersion: () => this.serverVersion,
    snapshot: (snapshot, from) => this.onSnapshot(snapshot, from),
    change: (change, from) => this.onChange(change, from),
    synced: () => this.onSynced(),
    lost: (reason) => this.onLost(reason),
    error: (error) => this.emitError(error),
  };

  /** Starts connecting at once; prefer `createClient`, which also waits until the client is ready. */
  constructor(options: ClientOptions) {
    const o = resolveOptions(options);
    this.options = o;
    this.loadFallback(o);

    const online = !o.offline;
    this.transport =
      online && o.url !== undefined
        ? new HttpTransport({ url: o.url, token: o.token, environment: o.environment, requestTimeoutMs: o.requestTimeoutMs })
        : undefined;
    this.cache =
      online && o.cacheFile !== undefined
        ? new CacheFileWriter(o.cacheFile, (err) =>
            this.emitError(new SwitchyardError('cache', `cannot write ${o.cacheFile}: ${err.message}`, undefined, { cause: err })),
          )
        : undefined;
    this.usage = this.transport !== undefined && o.metricsIntervalMs > 0 ? new UsageMetrics(o.maxMetricsEntries) : null;
    this.source = online ? this.createSource(o) : undefined;

    if (!online) {
      this.currentStatus = 'ready';
      queueMicrotask(() => this.announceReady());
      return;
    }
    this.readyTimer = setTimeout(() => this.onReadyTimeout(), o.timeoutMs);
    this.readyTimer.unref();
    if (this.usage !== null) {
      this.metricsTimer = setInterval(() => void this.flushMetrics(), o.metricsIntervalMs);
      this.metricsTimer.unref();
    }
    this.source?.start();
  }

  get status(): ClientStatus {
    return this.currentStatus;
  }

  /** Resolves `true` once the client can serve flags (server data, or bootstrap/cache), `false` after `timeoutMs`. */
  waitUntilReady(timeoutMs: number = this.options.timeoutMs): Promise<boolean> {
    if (this.currentStatus === 'ready' || this.currentStatus === 'stale') return Promise.resolve(true);
    if (this.currentStatus === 'closed') return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(ready);
      };
      const timer = setTimeout(() => done(this.currentStatus === 'ready' || this.currentStatus === 'stale'), timeoutMs);
      this.waiters.add(done);
    });
  }

  on<E extends ClientEvent>(event: E, listener: ClientEventListener<E>): this {
    this.events.on(event, listener);
    return this;
  }

  once<E extends ClientEvent>(event: E, listener: ClientEventListener<E>): this {
    this.events.once(event, listener);
    return this;
  }

  off<E extends ClientEvent>(event: E, listener: ClientEventListener<E>): this {
    this.events.off(event, listener);
    return this;
  }

  // ---- evaluation: synchronous, local, never throws ----------------------------------------

  getBooleanValue(key: string, defaultValue: boolean, context?: EvaluationContext): boolean {
    const r = this.resolve(key, context, 'boolean');
    return r === null || r.errorCode !== undefined ? defaultValue : (r.value as boolean);
  }

  getStringValue(key: string, defaultValue: string, context?: EvaluationContext): string {
    const r = this.resolve(key, context, 'string');
    return r === null || r.errorCode !== undefined ? defaultValue : (r.value as string);
  }

  getNumberValue(key: string, defaultValue: number, context?: EvaluationContext): number {
    const r = this.resolve(key, context, 'number');
    return r === null || r.errorCode !== undefined ? defaultValue : (r.value as number);
  }

  /** Object flags hold JSON objects or arrays; the returned value is frozen and shared. */
  getObjectValue<T extends JsonValue>(key: string, defaultValue: T, context?: EvaluationContext): T {
    const r = this.resolve(key, context, 'object');
    return r === null || r.errorCode !== undefined ? defaultValue : (r.value as T);
  }

  getBooleanDetails(key: string, defaultValue: boolean, context?: EvaluationContext): EvaluationDetails<boolean> {
    return this.details(key, defaultValue, context, 'boolean');
  }

  getStringDetails(key: string, defaultValue: string, context?: EvaluationContext): EvaluationDetails<string> {
    return this.details(key, defaultValue, context, 'string');
  }

  getNumberDetails(key: string, defaultValue: number, context?: EvaluationContext): EvaluationDetails<number> {
    return this.details(key, defaultValue, context, 'number');
  }

  getObjectDetails<T extends JsonValue>(key: string, defaultValue: T, context?: EvaluationContext): EvaluationDetails<T> {
    return this.details(key, defaultValue, context, 'object');
  }

  /** The keys of the flags currently loaded. */
  flagKeys(): string[] {
    return this.live === null ? [] : this.live.keys();
  }

  stats(): ClientStats {
    const live = this.live;
    return {
      status: this.currentStatus,
      source: this.liveSource,
      environment: live?.environment,
      version: live?.version,
      flags: live === null ? 0 : live.size,
      connected: this.connected,
      metrics: { pending: this.usage?.pending ?? 0, sent: this.sentCounts, unsent: this.unsentCounts, overflow: this.usage?.dropped ?? 0 },
      lastError: this.lastError,
    };
  }

  /**
   * Sends the usage counts gathered so far. Runs by itself every `metricsIntervalMs` and on
   * `close()`; never rejects — when the server cannot be reached the counts are dropped and
   * added to `stats().metrics.unsent`.
   */
  flushMetrics(): Promise<void> {
    this.flushing ??= this.sendMetrics().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops every connection and timer (after a last metrics flush); the process can then exit. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- internals --------------------------------------------------------------------------

  private resolve(key: string, context: EvaluationContext | undefined, type: FlagType): EvaluationResult | null {
    const live = this.live;
    if (live === null) {
      this.usage?.recordName(key, null);
      return null;
    }
    let result: EvaluationResult;
    try {
      result = live.evaluate(key, context === undefined || context === null ? EMPTY_CONTEXT : context, type);
    } catch (err) {
      result = { value: undefined, reason: 'ERROR', errorCode: 'GENERAL', errorMessage: err instanceof Error ? err.message : String(err) };
    }
    const usage = this.usage;
    if (usage !== null) usage.record(key, result);
    return result;
  }

  private details<T>(key: string, defaultValue: T, context: EvaluationContext | undefined, type: FlagType): EvaluationDetails<T> {
    const r = this.resolve(key, context, type);
    if (r === null) {
      return {
        value: defaultValue,
        variant: undefined,
        reason: 'ERROR',
        errorCode: 'PROVIDER_NOT_READY',
        errorMessage: NOT_READY_MESSAGE,
        flagMetadata: EMPTY_METADATA,
      };
    }
    const flagMetadata = this.metadataFor(key, r);
    if (r.errorCode !== undefined) {
      return { value: defaultValue, variant: r.variant, reason: 'ERROR', errorCode: r.errorCode, errorMessage: r.errorMessage, flagMetadata };
    }
    return { value: r.value as T, variant: r.variant, reason: r.reason, errorCode: undefined, errorMessage: undefined, flagMetadata };
  }

  private metadataFor(key: string, r: EvaluationResult): FlagMetadata {
    const flag = this.live?.flag(key);
    const flagVersion = flag !== undefined && typeof flag.version === 'number' ? flag.version : undefined;
    if (flagVersion === undefined && r.ruleId === undefined && r.failedPrerequisite === undefined) return this.metadataBase;
    const out: Record<string, string | number | boolean> = { ...this.metadataBase };
    if (flagVersion !== undefined) out.flagVersion = flagVersion;
    if (r.ruleId !== undefined) out.ruleId = r.ruleId;
    if (r.failedPrerequisite !== undefined) out.failedPrerequisite = r.failedPrerequisite;
    return Object.freeze(out);
  }

  private refreshMetadata(): void {
    const live = this.live;
    if (live === null || this.liveSource === undefined) return;
    const meta: Record<string, string | number | boolean> = { source: this.liveSource, snapshotVersion: live.version };
    if (live.environment !== '') meta.environment = live.environment;
    this.metadataBase = Object.freeze(meta);
  }

  private loadFallback(o: ResolvedOptions): void {
    let snapshot: Snapshot | undefined;
    let from: SnapshotSource | undefined;
    if (o.cacheFile !== undefined) {
      try {
        snapshot = readSnapshotFile(o.cacheFile).snapshot;
        from = 'cache';
      } catch (err) {
        // No cache yet is the normal first run; anything else is worth reporting.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deferError('cache', `cannot read cache file ${o.cacheFile}: ${(err as Error).message}`);
      }
    }
    if (snapshot === undefined && o.bootstrap !== undefined) {
      if (typeof o.bootstrap === 'string') {
        try {
          snapshot = readSnapshotFile(o.bootstrap).snapshot;
          from = 'bootstrap';
        } catch (err) {
          this.deferError('data', `cannot read bootstrap file ${o.bootstrap}: ${(err as Error).message}`);
        }
      } else {
        snapshot = asSnapshot(o.bootstrap);
        if (snapshot === undefined) throw new TypeError('Switchyard: option bootstrap is not a snapshot ({ environment, version, flags, segments })');
        from = 'bootstrap';
      }
    }
    if (snapshot === undefined || from === undefined) return;
    this.live = new LiveSnapshot(snapshot);
    this.liveSource = from;
    this.refreshMetadata();
  }

  private deferError(kind: 'cache' | 'data', message: string): void {
    const error = new SwitchyardError(kind, message);
    this.lastError = message;
    queueMicrotask(() => this.emitError(error));
  }

  private createSource(o: ResolvedOptions): FlagSource | undefined {
    const backoff = new Backoff(o.reconnectInitialMs, o.reconnectMaxMs);
    if (o.mode === 'redis' && o.redis !== undefined && o.environment !== undefined) {
      return new RedisSource(this.sink, { ...o.redis, environment: o.environment, redisOptions: o.redis.options, backoff });
    }
    if (this.transport === undefined) return undefined;
    if (o.mode === 'poll') return new PollSource(this.transport, this.sink, { intervalMs: o.pollIntervalMs, backoff });
    return new StreamSource(this.transport, this.sink, { heartbeatTimeoutMs: o.heartbeatTimeoutMs, backoff });
  }

  private onSnapshot(snapshot: Snapshot, from: SnapshotSource): void {
    if (this.currentStatus === 'closed') return;
    let keys: string[] = [];
    try {
      if (this.live === null) this.live = new LiveSnapshot(snapshot);
      else keys = this.live.replace(snapshot);
    } catch (err) {
      this.emitError(new SwitchyardError('data', `cannot load the snapshot: ${(err as Error).message}`, undefined, { cause: err }));
      return;
    }
    const fresh = this.serverVersion !== snapshot.version || this.liveSource !== from;
    this.serverVersion = snapshot.version;
    this.liveSource = from;
    this.refreshMetadata();
    if (fresh) this.saveCache();
    this.announceChange(keys, from);
  }

  private onChange(change: SnapshotChange, from: SnapshotSource): boolean {
    const live = this.live;
    if (this.currentStatus === 'closed') return true;
    if (live === null || this.serverVersion === undefined) return false;
    let keys: string[] | undefined;
    try {
      keys = live.applyChange(change);
    } catch (err) {
      this.emitError(new SwitchyardError('data', `cannot apply change ${change.version}: ${(err as Error).message}`, undefined, { cause: err }));
      return false;
    }
    if (keys === undefined) return false;
    if (live.version !== this.serverVersion) {
      this.serverVersion = live.version;
      this.liveSource = from;
      this.refreshMetadata();
      this.saveCache();
    }
    this.announceChange(keys, from);
    return true;
  }

  private announceChange(keys: string[], from: SnapshotSource): void {
    // Before `ready`, the first server data silently replaces the bootstrap/cache.
    if (keys.length === 0 || this.live === null || (this.currentStatus !== 'ready' && this.currentStatus !== 'stale')) return;
    this.events.emit(ClientEvent.Change, { keys, source: from, version: this.live.version });
  }

  private onSynced(): void {
    if (this.currentStatus === 'closed') return;
    this.connected = true;
    if (this.live === null) return;
    if (this.currentStatus === 'not-ready' || this.currentStatus === 'stale') {
      this.currentStatus = 'ready';
      this.announceReady();
    }
  }

  private onLost(reason: string): void {
    if (this.currentStatus === 'closed') return;
    const wasConnected = this.connected;
    this.connected = false;
    if (this.currentStatus === 'not-ready') {
      // The server is unreachable at start: serve the bootstrap/cache now rather than after timeoutMs.
      if (this.live !== null) {
        this.currentStatus = 'ready';
        this.announceReady();
      }
      return;
    }
    if (this.currentStatus === 'ready' && wasConnected) {
      this.currentStatus = 'stale';
      this.events.emit(ClientEvent.Stale, { reason });
    }
  }

  private onReadyTimeout(): void {
    this.readyTimer = undefined;
    if (this.currentStatus !== 'not-ready') return;
    if (this.live !== null) {
      this.currentStatus = 'ready';
      this.announceReady();
      return;
    }
    for (const waiter of Array.from(this.waiters)) waiter(false);
  }

  private announceReady(): void {
    const live = this.live;
    if (live === null || this.currentStatus !== 'ready') return;
    clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    for (const waiter of Array.from(this.waiters)) waiter(true);
    this.events.emit(ClientEvent.Ready, { source: this.liveSource ?? 'server', environment: live.environment, version: live.version });
  }

  private emitError(error: SwitchyardError): void {
    if (this.currentStatus === 'closed') return;
    this.lastError = error.message;
    this.events.emit(ClientEvent.Error, { error });
  }

  private saveCache(): void {
    const live = this.live;
    if (this.cache === undefined || live === null) return;
    this.cache.write(() => live.toSnapshot());
  }

  private async sendMetrics(): Promise<void> {
    const usage = this.usage;
    const transport = this.transport;
    if (usage === null || transport === undefined) return;
    const payload = usage.take();
    if (payload === undefined) return;
    for (const part of splitPayload(payload)) {
      const count = sumCounts(part.counts);
      try {
        await transport.postMetrics(part);
        this.sentCounts += count;
        this.metricsFailing = false;
      } catch (err) {
        this.unsentCounts += count;
        // One report per failing streak: the counter tells how much was lost.
        if (!this.metricsFailing) {
          this.metricsFailing = true;
          const error = err instanceof SwitchyardError ? err : new SwitchyardError('metrics', String(err));
          this.emitError(new SwitchyardError('metrics', `usage metrics dropped: ${error.message}`, error.status, { cause: error }));
        }
      }
    }
  }

  private async shutdown(): Promise<void> {
    const wasOpen = this.currentStatus !== 'closed';
    clearTimeout(this.readyTimer);
    clearInterval(this.metricsTimer);
    this.readyTimer = undefined;
    this.metricsTimer = undefined;
    await this.source?.close();
    if (wasOpen && this.transport !== undefined && this.usage !== null) {
      // A last flush, bounded so that closing never hangs on an unreachable server.
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.min(this.options.requestTimeoutMs, 2000));
      });
      await Promise.race([this.flushMetrics(), limit]);
      clearTimeout(timer);
    }
    this.currentStatus = 'closed';
    this.connected = false;
    this.usage = null;
    for (const waiter of Array.from(this.waiters)) waiter(false);
    this.transport?.destroy();
    await this.cache?.idle();
    this.events.removeAll();
  }
}

/** Creates a client and resolves once it is ready (or after `timeoutMs`; check `client.status`). */
export async function createClient(options: ClientOptions): Promise<SwitchyardClient> {
  const client = new SwitchyardClient(options);
  await client.waitUntilReady();
  return client;
}
