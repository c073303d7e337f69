import { hostname } from 'node:os';
import { createClient, type SwitchyardClient } from '@switchyard/node-sdk';
import type { Logger } from '@switchyard/observability';
import { startProxy, type ProxyOptions, type RunningProxy } from './proxy-app';
import { ReportShipper } from './report-shipper';
import { RouteStream } from './route-stream';
import { readTlsFiles } from './tls-files';

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
  /** `--tls-cert/--tls-key`, as standalone (ProxyOptions.tls); a pair that does not load throws TlsFilesError before connecting. */
  tls?: ProxyOptions['tls'];
  /**
   * `--record DIR`: every route's exchanges captured there, as standalone. A route from the server
   * may carry `record:`; only its `sample` and `redactPaths` apply, inside this directory.
   */
  record?: ProxyOptions['record'];
  /**
   * A cluster worker (`--workers N`): no admin port of its own (the primary's merges all workers),
   * its share of the capture directory, and a proxy id of its own towards the server.
   */
  cluster?: { slot: number; of: number };
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
  // A certificate that cannot serve is the operator's mistake: say so before waiting on the server.
  if (options.tls) readTlsFiles(options.tls);
  // Usage metrics need an sdk-scoped token; the proxy's evaluations are counted in its own report.
  const flags = await createClient({
    url: options.server,
    token: options.token,
    environment: options.environment,
    metricsIntervalMs: 0,
    timeoutMs: startTimeoutMs,
  });
  if (flags.status !== 'ready') logger.warn({ status: flags.status }, 'flags not loaded yet: routes sampled by flag mirror nothing until they are');
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({
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
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.record ? { record: options.record } : {}),
      ...(options.cluster ? { admin: false, recordShard: options.cluster } : {}),
    });
  } catch (error) {
    await flags.close();
    throw error;
  }
  const stream = new RouteStream({ server: options.server, token: options.token, logger, onRoutes: (routes) => proxy.setRoutes(routes) });
  stream.start();
  const shipper = new ReportShipper({
    server: options.server,
    token: options.token,
    proxyId: `${hostname()}:${proxy.port}${options.cluster ? `/w${options.cluster.slot}` : ''}`,
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
