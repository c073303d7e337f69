import { watch, type FSWatcher } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseRouteFile, RouteFileError, type MirrorRoute, type RouteFileProblem } from '@switchyard/mirror';
import type { Logger } from '@switchyard/observability';
import { Counter, Gauge, type Registry } from 'prom-client';

export type ReloadTrigger = 'watch' | 'signal';

/** What the admin port's `GET /routes` says about the route file. */
export interface RouteFileStatus {
  file: string;
  /** When the routes now served were read. */
  loadedAt: string;
  /** The last reload attempt since start; on `failure` the previous routes are still served. */
  lastReload?: { at: string; trigger: ReloadTrigger; result: 'success' | 'failure'; problems?: RouteFileProblem[] };
}

export interface RouteFileWatcherOptions {
  logger: Logger;
  /** Quiet time after the last change in the directory before the file is read (editors write in steps). */
  debounceMs?: number;
}

/**
 * Keeps a standalone proxy's routes in step with its route file. It watches the file's directory
 * rather than the file, because editors replace the file on save (a new inode) and Kubernetes
 * updates a mounted ConfigMap by swapping a `..data` symlink; any change there, once quiet for
 * `debounceMs`, re-reads the file, and only a change of its text is applied. SIGHUP asks for a
 * reload directly. A file that cannot be read or validated is logged with its file, line and
 * field, counted, and shown on the admin port, while the routes in effect keep serving.
 */
export class RouteFileWatcher {
  private text?: string;
  private loadedAt = new Date();
  private lastReload?: RouteFileStatus['lastReload'];
  private readonly watchers = new Map<string, FSWatcher>();
  private debounce?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private apply?: (routes: MirrorRoute[]) => void;
  private metrics?: ReloadMetrics;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly options: RouteFileWatcherOptions,
  ) {}

  /** Reads and validates the file at start; throws {@link RouteFileError} (the proxy then exits). */
  async load(): Promise<MirrorRoute[]> {
    const text = await this.read();
    const routes = parseRouteFile(text, this.file);
    this.text = text;
    this.loadedAt = new Date();
    return routes;
  }

  /**
   * From now on every valid edit goes to `apply`, and reload metrics to `registry`. Resolves once
   * the directory is watched, after one look at the file for an edit made since `load()`.
   */
  async watch(apply: (routes: MirrorRoute[]) => void, registry: Registry): Promise<void> {
    this.apply = apply;
    this.metrics = new ReloadMetrics(registry);
    this.metrics.loaded(this.loadedAt);
    await this.enqueue('watch', false);
  }

  /** Re-reads the file now, even when unchanged (SIGHUP); resolves once done, never rejects. */
  reload(trigger: ReloadTrigger = 'signal'): Promise<void> {
    return this.enqueue(trigger, true);
  }

  status(): RouteFileStatus {
    return { file: this.file, loadedAt: this.loadedAt.toISOString(), ...(this.lastReload ? { lastReload: this.lastReload } : {}) };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.enqueue('watch', false), this.options.debounceMs ?? 200);
    this.debounce.unref();
  }

  /** One reload at a time, in order: a slow read never lets an older text win over a newer one. */
  private enqueue(trigger: ReloadTrigger, force: boolean): Promise<void> {
    this.queue = this.queue.then(() => this.check(trigger, force));
    return this.queue;
  }

  private async check(trigger: ReloadTrigger, force: boolean): Promise<void> {
    if (this.closed || !this.apply) return;
    const { logger } = this.options;
    try {
      const text = await this.read().catch((error: unknown) => {
        // Unreadable (mid-rename, deleted): whatever text comes back next must be looked at.
        this.text = undefined;
        throw error;
      });
      if (!force && text === this.text) return;
      this.text = text;
      const routes = parseRouteFile(text, this.file);
      this.apply(routes);
      this.loadedAt = new Date();
      this.lastReload = { at: this.loadedAt.toISOString(), trigger, result: 'success' };
      this.metrics?.reloaded(this.loadedAt);
      logger.info({ file: this.file, trigger, routes: routes.map((route) => route.name) }, 'route file reloaded');
    } catch (error) {
      const problems =
        error instanceof RouteFileError
          ? error.problems
          : [{ file: this.file, line: 0, column: 0, field: '(routes)', problem: error instanceof Error ? error.message : String(error) }];
      this.lastReload = { at: new Date().toISOString(), trigger, result: 'failure', problems };
      this.metrics?.failed();
      logger.error(
        { file: this.file, trigger, problems },
        `route file not applied, still serving the previous routes:\n${new RouteFileError(problems).message}`,
      );
    } finally {
      await this.syncWatches();
    }
  }

  private async read(): Promise<string> {
    try {
      return await readFile(this.file, 'utf8');
    } catch (error) {
      throw new RouteFileError([{ file: this.file, line: 0, column: 0, field: '(file)', problem: `cannot read: ${(error as Error).message}` }]);
    }
  }

  /**
   * Watches the file's directory and, when the file is a symlink into another directory, that
   * one too (an edit there changes nothing in the link's directory). Re-run after every reload,
   * since a swapped symlink may now point elsewhere.
   */
  private async syncWatches(): Promise<void> {
    const directories = new Set([dirname(this.file)]);
    const target = await realpath(this.file).catch(() => undefined);
    if (target !== undefined) directories.add(dirname(target));
    if (this.closed) return;
    for (const [directory, watcher] of this.watchers) {
      if (directories.has(directory)) continue;
      watcher.close();
      this.watchers.delete(directory);
    }
    for (const directory of directories) {
      if (this.watchers.has(directory)) continue;
      try {
        const watcher = watch(directory, { persistent: false }, () => this.schedule());
        watcher.on('error', (error) => {
          // A removed directory (an old ConfigMap revision) ends its watcher; the next sync drops it.
          this.options.logger.debug({ directory, err: error.message }, 'route file directory watch ended');
          watcher.close();
          if (this.watchers.get(directory) === watcher) this.watchers.delete(directory);
        });
        this.watchers.set(directory, watcher);
      } catch (error) {
        // ENOENT: the symlink moved on since realpath (a ConfigMap swap); the reload it causes re-syncs.
        const gone = (error as NodeJS.ErrnoException).code === 'ENOENT';
        this.options.logger[gone ? 'debug' : 'warn'](
          { directory, err: (error as Error).message },
          'cannot watch the route file directory; edits are applied on SIGHUP only until it can be',
        );
      }
    }
  }
}

/** Named after Prometheus' own `prometheus_config_last_reload_successful`, so the usual alerts fit. */
class ReloadMetrics {
  private readonly reloads: Counter<'result'>;
  private readonly lastSuccessful: Gauge;
  private readonly lastSuccessAt: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.reloads = new Counter({
      name: 'switchyard_proxy_config_reloads_total',
      help: 'Route file reloads after start, by result (failure: the previous routes are still served)',
      labelNames: ['result'],
      registers,
    });
    this.reloads.labels('success').inc(0);
    this.reloads.labels('failure').inc(0);
    this.lastSuccessful = new Gauge({
      name: 'switchyard_proxy_config_last_reload_successful',
      help: '1 if the last route file (re)load was applied, 0 if it was rejected',
      registers,
    });
    this.lastSuccessAt = new Gauge({
      name: 'switchyard_proxy_config_last_reload_success_timestamp_seconds',
      help: 'When the routes now served were loaded from the route file',
      registers,
    });
  }

  loaded(at: Date): void {
    this.lastSuccessful.set(1);
    this.lastSuccessAt.set(at.getTime() / 1000);
  }

  reloaded(at: Date): void {
    this.reloads.labels('success').inc();
    this.loaded(at);
  }

  failed(): void {
    this.reloads.labels('failure').inc();
    this.lastSuccessful.set(0);
  }
}
