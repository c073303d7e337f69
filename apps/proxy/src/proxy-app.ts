import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MirrorReport, MirrorRoute, RouteAggregate } from '@switchyard/mirror';
import type { Logger } from '@switchyard/observability';
import { createAdminServer } from './admin-server';
import { LiveProxy } from './live-proxy';
import { LoadShedder } from './load-shedder';
import { ProxyMetrics } from './proxy-metrics';
import { everyMinute, ReportHistory } from './report-history';
import type { RouteFileWatcher } from './route-file-watcher';
import { CaptureRecorder, type CaptureShard, type RecordSettings } from './recorder';
import { RouteMirror } from './route-mirror';
import { RouteTable } from './route-table';
import { createSampleDecider, type FlagEvaluator } from './sample-decider';
import { readTlsFiles, TlsFileWatcher, type TlsFiles } from './tls-files';

export interface ProxyOptions {
  routes: readonly MirrorRoute[];
  /** 0 picks a free port (tests). */
  port: number;
  adminPort: number;
  host?: string;
  /** The admin port's address; default loopback. */
  adminHost?: string;
  /** When set, the admin port needs it as a bearer token (health and readiness excepted). */
  adminToken?: string;
  logger: Logger;
  /**
   * Evaluates `sample: { flag }` routes. Standalone there is none and such routes mirror nothing;
   * connected mode (`--server URL --token T`) will pass the Node SDK client here.
   */
  flags?: FlagEvaluator;
  /** Connected mode: keep what is recorded for `drain()` (the report shipper) as well as for the local reports. */
  shipsReports?: boolean;
  /** Standalone: the loaded route file, watched from now on; its edits are applied like `setRoutes`. */
  routeFile?: RouteFileWatcher;
  /** Event-loop utilisation above which shadow copies are shed (see LoadShedder); 1 turns it off. Default 0.9. */
  maxEventLoopUtilization?: number;
  /**
   * Where a route's target URL really connects. In a cluster, `http://quotes.quotes.svc:8080` is
   * resolved by DNS as written (the default); tests on the Kubernetes simulator map Service names
   * to the loopback address of whatever plays the pods the Service selects.
   */
  resolveUpstream?: (url: string) => string;
  /** Serve the live port over TLS with these PEM files, re-read when they change (throws TlsFilesError at start if they do not load). */
  tls?: TlsFiles;
  /**
   * Record/replay (`--record DIR`): capture every route's sampled exchanges here; a route's own `record:` wins
   * (with `shipsReports`, a route from the server: only its sample and redactPaths, here).
   */
  record?: RecordSettings;
  /** false: no admin port (a cluster worker: its primary serves one for all workers). Default true. */
  admin?: boolean;
  /** A cluster worker's share of every capture directory (its own segment names and part of the bounds). */
  recordShard?: CaptureShard;
}

/** One route's definition and what was recorded for it, as a cluster worker sends it to its primary. */
export interface RouteState {
  route: MirrorRoute;
  aggregate: RouteAggregate;
}

export interface RunningProxy {
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
  metrics: ProxyMetrics;
  /** What `GET /reports` on the admin port answers; `since` as there. */
  report(route?: string, since?: Date): MirrorReport;
  /** What `report` is built from, per route (a cluster's primary merges these across workers). */
  states(since?: Date): RouteState[];
  /**
   * Swaps the route set without a restart (connected mode, and a standalone proxy's route file
   * edits). A route whose definition did not change keeps its analysis, breaker and sockets; a
   * changed one keeps its report history; a removed one finishes its in-flight shadow calls and
   * is handed to the next `drain()` before it is closed.
   */
  setRoutes(routes: readonly MirrorRoute[]): void;
  routes(): readonly MirrorRoute[];
  /** Per-route aggregates recorded since the last drain, for the server (needs `shipsReports`). */
  drain(): RouteAggregate[];
  close(): Promise<void>;
}

export const DEFAULT_MAX_EVENT_LOOP_UTILIZATION = 0.9;

/** Starts the live proxy and its admin port; resolves once both listen. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { logger } = options;
  const host = options.host ?? '0.0.0.0';
  const metrics = new ProxyMetrics();
  const shedder = new LoadShedder(options.maxEventLoopUtilization ?? DEFAULT_MAX_EVENT_LOOP_UTILIZATION, {
    onChange: (share) => metrics.mirroredShare.set(share),
  });
  metrics.mirroredShare.set(shedder.share);
  // One recorder per directory, kept across route edits so a reload never reopens (or loses) a capture.
  const recorders = new Map<string, CaptureRecorder>();
  const recorderFor = (route: MirrorRoute): CaptureRecorder | undefined => {
    // Routes from the server (connected mode) never choose a directory: a route definition sent over
    // the API must not make the proxy write to, or rotate files out of, a path of its disk. Their
    // `record:` only sets their sample and masking within the proxy's own `--record` directory.
    const settings = (options.shipsReports ? undefined : route.record) ?? options.record;
    if (!settings) {
      if (route.record) logger.warn({ route: route.name }, 'route asks for recording but this proxy has no --record DIR: nothing is captured');
      return undefined;
    }
    let recorder = recorders.get(settings.dir);
    if (!recorder) recorders.set(settings.dir, (recorder = new CaptureRecorder(settings, { logger, registry: metrics.registry, shard: options.recordShard })));
    return recorder;
  };
  const build = (route: MirrorRoute, history?: ReportHistory) => {
    if (route.sample.flag !== undefined && !options.flags) {
      logger.warn({ route: route.name, flag: route.sample.flag }, 'route samples by flag but no flag source is connected: nothing is mirrored until one is');
    }
    return new RouteMirror(route, {
      decider: createSampleDecider(route, options.flags),
      shedder,
      metrics,
      logger: logger.child({ route: route.name }),
      history: history ?? new ReportHistory(route.name, { ships: options.shipsReports }),
      resolveUpstream: options.resolveUpstream,
      recorder: recorderFor(route),
    });
  };
  let mirrors = options.routes.map((route) => build(route));
  let table = new RouteTable(mirrors);
  /** Replaced or removed mirrors still finishing their shadow calls → whether they are closed yet. */
  const retired = new Map<RouteMirror, boolean>();
  const live = new LiveProxy(() => table, metrics, logger, options.tls && readTlsFiles(options.tls));
  const tlsWatcher = options.tls && 'setSecureContext' in live.server ? new TlsFileWatcher(options.tls, live.server, logger) : undefined;
  tlsWatcher?.watch();
  // Periods move into minute buckets from a timer, so the live path never does this work.
  const stopRotation = everyMinute(() => {
    for (const mirror of [...mirrors, ...retired.keys()]) mirror.rotate();
  });
  let listening = false;
  const report = (route?: string, since?: Date): MirrorReport => ({
    generatedAt: new Date().toISOString(),
    routes: mirrors.filter((mirror) => route === undefined || mirror.name === route).map((mirror) => mirror.report(since)),
  });
  const admin =
    options.admin === false
      ? undefined
      : createAdminServer({
          routes: () => mirrors.map((mirror) => mirror.route),
          report,
          metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
          ready: () => listening,
          token: options.adminToken,
          ...(options.routeFile ? { routeFile: () => options.routeFile!.status() } : {}),
        });
  const port = await listen(live.server, options.port, host);
  const adminHost = options.adminHost ?? '127.0.0.1';
  const adminPort = admin ? await listen(admin, options.adminPort, adminHost) : 0;
  listening = true;
  const running: RunningProxy = {
    url: `${options.tls ? 'https' : 'http'}://${reachable(host)}:${port}`,
    adminUrl: admin ? `http://${reachable(adminHost)}:${adminPort}` : '',
    port,
    adminPort,
    metrics,
    report,
    states: (since) => mirrors.map((mirror) => ({ route: mirror.route, aggregate: mirror.aggregate(since) })),
    setRoutes(routes) {
      const current = new Map(mirrors.map((mirror) => [mirror.name, mirror]));
      const next = routes.map((route) => {
        const existing = current.get(route.name);
        if (existing && JSON.stringify(existing.route) === JSON.stringify(route)) return existing;
        return build(route, existing?.history);
      });
      const kept = new Set(next);
      for (const mirror of mirrors) {
        if (kept.has(mirror)) continue;
        // What it saw so far joins its route's history now, so a changed route's report runs on without a gap.
        mirror.rotate();
        retired.set(mirror, false);
        // Long enough for its shadow exchanges to finish or give up (they abandon after 2 × timeoutMs + 1 s).
        const retire = () => {
          mirror.rotate();
          mirror.close();
          // Its last exchanges are in its history now; connected mode still has to ship them.
          if (options.shipsReports) retired.set(mirror, true);
          else retired.delete(mirror);
        };
        setTimeout(retire, mirror.route.timeoutMs * 2 + 2000).unref();
      }
      mirrors = next;
      table = new RouteTable(mirrors);
      logger.info({ routes: mirrors.map((mirror) => mirror.name) }, 'routes updated');
    },
    routes: () => mirrors.map((mirror) => mirror.route),
    drain() {
      const batches: RouteAggregate[] = [];
      // A replaced mirror shares its history with its successor, which ships both with its own breaker.
      for (const mirror of retired.keys()) mirror.rotate();
      const successors = new Set(mirrors.map((mirror) => mirror.history));
      for (const [mirror, closed] of retired) {
        const batch = successors.has(mirror.history) ? undefined : mirror.drain();
        if (batch) batches.push(batch);
        if (closed) retired.delete(mirror);
      }
      for (const mirror of mirrors) {
        const batch = mirror.drain();
        if (batch) batches.push(batch);
      }
      return batches;
    },
    async close() {
      listening = false;
      stopRotation();
      options.routeFile?.close();
      tlsWatcher?.close();
      shedder.close();
      await Promise.all([stop(live.server), admin && stop(admin)]);
      live.close();
      // What was captured before the listeners closed is still written out.
      await Promise.all([...recorders.values()].map((recorder) => recorder.close()));
      for (const mirror of [...mirrors, ...retired.keys()]) mirror.close();
    },
  };
  await options.routeFile?.watch((routes) => running.setRoutes(routes), metrics.registry);
  return running;
}

function reachable(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stop(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // Give in-flight responses a moment, then cut what is left (long polls, hung clients).
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}
