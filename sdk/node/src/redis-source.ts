import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Backoff } from './backoff';
import { SwitchyardError } from './client-events';
import type { FlagSource, SourceSink } from './flag-source';
import { asChange, asSnapshot, type SnapshotChange } from './live-snapshot';

export interface RedisSourceOptions {
  /** One Redis; with `sentinels`/`clusterNodes` only its credentials, database and TLS are used. */
  url: string | undefined;
  prefix: string;
  environment: string;
  /** Passed to ioredis as is (TLS, username...). */
  redisOptions: Record<string, unknown>;
  sentinels?: Array<{ host: string; port: number }>;
  sentinelName?: string;
  clusterNodes?: Array<{ host: string; port: number }>;
  backoff: Backoff;
}

type RedisClient = Redis | Cluster;

/** Credentials, database and TLS from a `redis://` URL, for Sentinel and Cluster connections. */
function urlSettings(url: string | undefined): RedisOptions {
  if (url === undefined) return {};
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(/^\d+$/.test(db) ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Keeps the flags current straight from the central Redis, for services inside the cluster:
 * subscribes to `<prefix>changes` first, then reads `<prefix>env:{<E>}:snapshot`, so no change can
 * fall between the read and the subscription. After a reconnect it compares
 * `<prefix>env:{<E>}:version` with its own and reads the snapshot again only when they differ.
 * The `{<E>}` hash tag keeps both keys in one Redis Cluster slot (the server's libs/store/src/store-keys.ts
 * spells the same layout). One Redis, Sentinel (follows failovers) and Cluster are all supported.
 *
 * ioredis is an optional peer dependency, loaded only when this mode is used.
 */
export class RedisSource implements FlagSource {
  private commands: RedisClient | undefined;
  private subscriber: RedisClient | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private down = false;
  private syncing = false;
  private resync = false;
  /** Messages that arrived before or while the snapshot was being read. */
  private queued: SnapshotChange[] | undefined = [];

  constructor(
    private readonly sink: SourceSink,
    private readonly options: RedisSourceOptions,
  ) {}

  private get snapshotKey(): string {
    return `${this.options.prefix}env:{${this.options.environment}}:snapshot`;
  }

  private get versionKey(): string {
    return `${this.options.prefix}env:{${this.options.environment}}:version`;
  }

  private get channel(): string {
    return `${this.options.prefix}changes`;
  }

  start(): void {
    void this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.subscriber?.disconnect();
    this.commands?.disconnect();
    this.subscriber = undefined;
    this.commands = undefined;
    return Promise.resolve();
  }

  private async open(): Promise<void> {
    let RedisClass: typeof Redis;
    let ClusterClass: typeof Cluster;
    try {
      ({ Redis: RedisClass, Cluster: ClusterClass } = await import('ioredis'));
    } catch (err) {
      this.sink.error(new SwitchyardError('connection', `mode 'redis' needs the ioredis package (npm install ioredis): ${describe(err)}`));
      return;
    }
    if (this.closed) return;
    const backoff = this.options.backoff;
    const options: RedisOptions = {
      connectionName: 'switchyard-node-sdk',
      retryStrategy: (attempt: number) => backoff.delayFor(attempt - 1),
      ...(this.options.redisOptions as RedisOptions),
    };
    const connect = (extra: RedisOptions): RedisClient => {
      const { clusterNodes, sentinels, sentinelName, url } = this.options;
      if (clusterNodes) {
        const { retryStrategy, ...nodeOptions } = { ...urlSettings(url), ...options, ...extra };
        return new ClusterClass(clusterNodes, {
          clusterRetryStrategy: retryStrategy ?? undefined,
          // A failed-over slot answers MOVED/CLUSTERDOWN for a moment: retry instead of failing the read.
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 200,
          redisOptions: nodeOptions,
        });
      }
      // ioredis asks the Sentinels for the current master on every (re)connect, so it follows a failover;
      // a demoted master that is still reachable answers READONLY, which forces the same reconnect.
      if (sentinels) {
        const reconnectOnError = (error: Error) => error.message.startsWith('READONLY');
        return new RedisClass({ ...urlSettings(url), reconnectOnError, ...options, ...extra, sentinels, name: sentinelName });
      }
      return new RedisClass(url!, { ...options, ...extra });
    };
    const commands = connect({ maxRetriesPerRequest: 1 });
    const subscriber = connect({});
    this.commands = commands;
    this.subscriber = subscriber;
    // Without an error listener ioredis would throw; one report per outage, not per retry.
    const onError = (err: Error) => {
      if (this.closed || this.down) return;
      this.down = true;
      this.sink.error(new SwitchyardError('connection', `redis: ${err.message}`, undefined, { cause: err }));
    };
    commands.on('error', onError);
    subscriber.on('error', onError);
    subscriber.on('close', () => {
      if (this.closed) return;
      this.queued = [];
      this.sink.lost('the Redis connection closed');
    });
    // ioredis gives a connection up for good ('end') in a few corner cases (a reconnect interrupted while
    // it resolves the master); start over with fresh connections rather than stay stale forever.
    const onEnd = () => {
      if (this.closed || this.commands !== commands) return;
      subscriber.disconnect();
      commands.disconnect();
      this.commands = undefined;
      this.subscriber = undefined;
      this.sink.lost('the Redis connection ended');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.open();
      }, this.options.backoff.next());
    };
    commands.on('end', onEnd);
    subscriber.on('end', onEnd);
    subscriber.on('ready', () => {
      if (this.closed) return;
      this.down = false;
      this.queued ??= [];
      void this.sync();
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
  }

  /** (Re)subscribes, then reads the snapshot unless the version key says we already have it. */
  private async sync(): Promise<void> {
    if (this.syncing) {
      this.resync = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.resync = false;
        await this.syncOnce();
      } while (this.resync && !this.closed);
    } finally {
      this.syncing = false;
    }
  }

  private async syncOnce(): Promise<void> {
    const subscriber = this.subscriber;
    const commands = this.commands;
    if (this.closed || subscriber === undefined || commands === undefined) return;
    try {
      await subscriber.subscribe(this.channel);
      const known = this.sink.syncedVersion();
      if (known !== undefined) {
        const version = await commands.get(this.versionKey);
        if (version !== null && Number(version) === known) {
          this.drain();
          return;
        }
      }
      const text = await commands.get(this.snapshotKey);
      if (this.closed) return;
      if (text === null) {
        this.sink.error(
          new SwitchyardError('data', `no snapshot at ${this.snapshotKey}: is the server publishing to this Redis with prefix "${this.options.prefix}"?`),
        );
        this.queued = undefined;
        // The server (or its reconciler) may not have published this environment yet: look again.
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.sync();
        }, this.options.backoff.next());
        return;
      }
      this.options.backoff.reset();
      const snapshot = asSnapshot(JSON.parse(text));
      if (snapshot === undefined) throw new SwitchyardError('data', `${this.snapshotKey} does not hold a snapshot`);
      this.sink.snapshot(snapshot, 'redis');
      this.drain();
    } catch (err) {
      if (this.closed) return;
      this.sink.error(err instanceof SwitchyardError ? err : new SwitchyardError('connection', `redis: ${describe(err)}`, undefined, { cause: err }));
      // Connections replaced meanwhile (see onEnd): their own 'ready' syncs.
      if (this.commands !== commands) return;
      // Try again after a backoff: the subscriber may already be back (its 'ready' will not fire again)
      // while the command connection is still finding the new master after a failover.
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.sync();
      }, this.options.backoff.next());
    }
  }

  private drain(): void {
    const queued = this.queued ?? [];
    this.queued = undefined;
    for (const change of queued) {
      if (change.full || !this.sink.change(change, 'redis')) {
        this.queued = [];
        this.resync = true;
        return;
      }
    }
    this.sink.synced();
  }

  private onMessage(message: string): void {
    if (this.closed) return;
    let change: SnapshotChange | undefined;
    try {
      change = asChange(JSON.parse(message));
    } catch {
      change = undefined;
    }
    if (change === undefined) {
      this.sink.error(new SwitchyardError('data', `malformed message on ${this.channel}`));
      return;
    }
    if (change.environment !== this.options.environment) return;
    if (this.queued !== undefined) {
      this.queued.push(change);
      return;
    }
    if (!change.full && this.sink.change(change, 'redis')) {
      // A delta that follows our version proves we are current (e.g. after Redis came back empty).
      this.sink.synced();
      return;
    }
    this.queued = change.full ? [] : [change];
    void this.sync();
  }
}
