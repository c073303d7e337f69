import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MirrorReport, MirrorRoute } from '@switchyard/mirror';
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
  close(): Promise<void>;
}

/** Starts the live proxy and its admin port; resolves once both listen. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { logger } = options;
  const host = options.host ?? '0.0.0.0';
  const metrics = new ProxyMetrics();
  const mirrors = options.routes.map((route) => new RouteMirror(route, { decider: createSampleDecider(route, options.flags), metrics, logger: logger.child({ route: route.name }) }));
  for (const mirror of mirrors) {
    if (mirror.route.sample.flag !== undefined && !options.flags) {
      logger.warn({ route: mirror.name, flag: mirror.route.sample.flag }, 'route samples by flag but no flag source is connected: nothing is mirrored until one is');
    }
  }
  const routes = new RouteTable(mirrors);
  const live = new LiveProxy(routes, metrics, logger);
  let listening = false;
  const admin = createAdminServer(routes, metrics, () => listening);
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
    report: (route) => ({ generatedAt: new Date().toISOString(), routes: mirrors.filter((mirror) => route === undefined || mirror.name === route).map((mirror) => mirror.report()) }),
    async close() {
      listening = false;
      await Promise.all([stop(live.server), stop(admin)]);
      live.close();
      for (const mirror of mirrors) mirror.close();
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
