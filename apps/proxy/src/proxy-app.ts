import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MirrorReport, MirrorRoute, RouteAggregate } from '@switchyard/mirror';
import type { Logger } from '@switchyard/observability';
import { createAdminServer } from './admin-server';
import { LiveProxy } from './live-proxy';
import { ProxyMetrics } from './proxy-metrics';
import { RouteMirror } from './route-mirror';
import { RouteTable } from './route-table';
import { createSampleDecider, type FlagEvaluator } from './sample-decider';

export interface ProxyOptions {
  routes: readonly MirrorRoute[];
  /** 0 picks a free port (tests). */
  port: number;
  adminPort: number;
  host?: string;
  logger: Logger;
  /**
   * Evaluates `sample: { flag }` routes. Standalone there is none and such routes mirror nothing;
   * connected mode (`--server URL --token T`) will pass the Node SDK client here.
   */
  flags?: FlagEvaluator;
}

export interface RunningProxy {
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
  metrics: ProxyMetrics;
  report(route?: string): MirrorReport;
  /**
   * Swaps the route set without a restart (connected mode). A route whose definition did not
   * change keeps its analysis, breaker and sockets; a removed one finishes its in-flight shadow
   * calls and is handed to the next `drain()` before it is closed.
   */
  setRoutes(routes: readonly MirrorRoute[]): void;
  routes(): readonly MirrorRoute[];
  /** Per-route aggregates recorded since the last drain, for the server. */
  drain(): RouteAggregate[];
  close(): Promise<void>;
}

/** Starts the live proxy and its admin port; resolves once both listen. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { logger } = options;
  const host = options.host ?? '0.0.0.0';
  const metrics = new ProxyMetrics();
  const build = (route: MirrorRoute) => {
    if (route.sample.flag !== undefined && !options.flags) {
      logger.warn({ route: route.name, flag: route.sample.flag }, 'route samples by flag but no flag source is connected: nothing is mirrored until one is');
    }
    return new RouteMirror(route, { decider: createSampleDecider(route, options.flags), metrics, logger: logger.child({ route: route.name }) });
  };
  let mirrors = options.routes.map(build);
  let table = new RouteTable(mirrors);
  const retired: RouteMirror[] = [];
  const live = new LiveProxy(() => table, metrics, logger);
  let listening = false;
  const admin = createAdminServer(
    () => table,
    metrics,
    () => listening,
  );
  const port = await listen(live.server, options.port, host);
  const adminPort = await listen(admin, options.adminPort, host);
  listening = true;
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${local}:${port}`,
    adminUrl: `http://${local}:${adminPort}`,
    port,
    adminPort,
    metrics,
    report: (route) => ({
      generatedAt: new Date().toISOString(),
      routes: mirrors.filter((mirror) => route === undefined || mirror.name === route).map((mirror) => mirror.report()),
    }),
    setRoutes(routes) {
      const current = new Map(mirrors.map((mirror) => [mirror.name, mirror]));
      const next = routes.map((route) => {
        const existing = current.get(route.name);
        if (existing && JSON.stringify(existing.route) === JSON.stringify(route)) return existing;
        return build(route);
      });
      const kept = new Set(next);
      for (const mirror of mirrors) {
        if (kept.has(mirror)) continue;
        retired.push(mirror);
        // Long enough for its shadow exchanges to finish or give up (they abandon after 2 × timeoutMs + 1 s).
        setTimeout(() => mirror.close(), mirror.route.timeoutMs * 2 + 2000).unref();
      }
      mirrors = next;
      table = new RouteTable(mirrors);
      logger.info({ routes: mirrors.map((mirror) => mirror.name) }, 'routes updated');
    },
    routes: () => mirrors.map((mirror) => mirror.route),
    drain() {
      const batches: RouteAggregate[] = [];
      for (const mirror of [...retired.splice(0), ...mirrors]) {
        const batch = mirror.drain();
        if (batch) batches.push(batch);
      }
      return batches;
    },
    async close() {
      listening = false;
      await Promise.all([stop(live.server), stop(admin)]);
      live.close();
      for (const mirror of [...mirrors, ...retired]) mirror.close();
    },
  };
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
