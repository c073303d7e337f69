import { hostname } from 'node:os';
import { createClient, type SwitchyardClient } from '@switchyard/node-sdk';
import type { Logger } from '@switchyard/observability';
import { startProxy, type RunningProxy } from './proxy-app';
import { ReportShipper } from './report-shipper';
import { RouteStream } from './route-stream';

export interface ConnectedProxyOptions {
  server: string;
  /** Needs `sdk:<environment>` (flags) and `mirror:report:<route>` for each route it serves (routes, reports). */
  token: string;
  /** Environment whose flags decide `sample: { flag }`. */
  environment: string;
  port: number;
  adminPort: number;
  host?: string;
  adminHost?: string;
  adminToken?: string;
  maxEventLoopUtilization?: number;
  logger: Logger;
  reportIntervalMs?: number;
  /** Wait at most this long for the first flags and routes before serving (it serves either way). */
  startTimeoutMs?: number;
  /** See ProxyOptions.resolveUpstream. */
  resolveUpstream?: (url: string) => string;
}

export interface ConnectedProxy extends RunningProxy {
  flags: SwitchyardClient;
  shipper: ReportShipper;
  /** Resolves once the first route list has arrived from the server. */
  routesReady: Promise<void>;
}

/**
 * `switchyard proxy --server URL` (token from SWITCHYARD_TOKEN or --token-file): routes come from the server's route stream and are
 * swapped in without a restart; `sample: { flag }` is evaluated locally by the Node SDK, so a flag
 * change in the server changes the sample within milliseconds; reports go back in batches.
 */
export async function startConnectedProxy(options: ConnectedProxyOptions): Promise<ConnectedProxy> {
  const { logger } = options;
  const startTimeoutMs = options.startTimeoutMs ?? 5000;
  // Usage metrics need an sdk-scoped token; the proxy's evaluations are counted in its own report.
  const flags = await createClient({
    url: options.server,
    token: options.token,
    environment: options.environment,
    metricsIntervalMs: 0,
    timeoutMs: startTimeoutMs,
  });
  if (flags.status !== 'ready') logger.warn({ status: flags.status }, 'flags not loaded yet: routes sampled by flag mirror nothing until they are');
  const proxy = await startProxy({
    routes: [],
    port: options.port,
    adminPort: options.adminPort,
    host: options.host,
    adminHost: options.adminHost,
    adminToken: options.adminToken,
    maxEventLoopUtilization: options.maxEventLoopUtilization,
    logger,
    flags,
    shipsReports: true,
    resolveUpstream: options.resolveUpstream,
  });
  const stream = new RouteStream({ server: options.server, token: options.token, logger, onRoutes: (routes) => proxy.setRoutes(routes) });
  stream.start();
  const shipper = new ReportShipper({
    server: options.server,
    token: options.token,
    proxyId: `${hostname()}:${proxy.port}`,
    drain: () => proxy.drain(),
    metrics: proxy.metrics,
    logger,
    intervalMs: options.reportIntervalMs,
  });
  shipper.start();
  await Promise.race([stream.ready, new Promise((resolve) => setTimeout(resolve, startTimeoutMs).unref())]);
  return {
    ...proxy,
    flags,
    shipper,
    routesReady: stream.ready,
    async close() {
      stream.close();
      await proxy.close();
      await shipper.close();
      await flags.close();
    },
  };
}
