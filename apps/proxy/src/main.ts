import cluster from 'node:cluster';
import { createLogger } from '@switchyard/observability';
import { runPrimary } from './cluster-primary';
import { runWorker } from './cluster-worker';
import { parseProxyArgs, PROXY_USAGE, ProxyArgsError, type ProxyArgs } from './proxy-args';
import { startConnectedProxy } from './connected-proxy';
import { startProxy, type RunningProxy } from './proxy-app';
import { RouteFileWatcher } from './route-file-watcher';
import { exitOnOperatorError, loadRouteFileOrExit } from './startup-checks';
import { chooseTlsFiles } from './tls-files';

async function main(): Promise<void> {
  let args: ProxyArgs;
  try {
    // The proxy's one configuration read: its arguments and two secrets, validated in proxy-args.ts.
    // eslint-disable-next-line no-restricted-properties
    const parsed = parseProxyArgs(process.argv.slice(2), process.env);
    if ('help' in parsed) {
      process.stdout.write(`${PROXY_USAGE}\n`);
      return;
    }
    args = parsed;
  } catch (error) {
    if (!(error instanceof ProxyArgsError)) throw error;
    process.stderr.write(`switchyard proxy: ${error.message}\n${PROXY_USAGE}\n`);
    process.exit(2);
  }
  const logger = createLogger(args.logLevel, 'switchyard-proxy');
  // --workers N > 1: one primary (admin port, route file) and N workers sharing the live port (cluster-primary.ts, cluster-worker.ts).
  // A worker is this same entry forked by node:cluster, bundle or not; it parses the same arguments.
  if (cluster.isWorker) return runWorker(args, logger);
  if (args.workers > 1) return runPrimary(args, logger);
  let proxy: RunningProxy;
  let reload = (): void => logger.info('SIGHUP: routes come from the server; nothing to reload');
  if (args.server) {
    try {
      proxy = await startConnectedProxy({
        server: args.server,
        token: args.token!,
        environment: args.environment ?? 'production',
        reportIntervalMs: args.reportIntervalMs,
        port: args.port,
        adminPort: args.adminPort,
        host: args.host,
        adminHost: args.adminHost,
        adminToken: args.adminToken,
        maxEventLoopUtilization: args.maxEventLoopUtilization,
        logger,
        ...(args.record ? { record: args.record } : {}),
        ...(args.tlsCert !== undefined ? { tls: chooseTlsFiles(args) } : {}),
      });
    } catch (error) {
      exitOnOperatorError(error);
    }
    logger.info(
      { port: proxy.port, adminPort: proxy.adminPort, server: args.server, routes: proxy.routes().map((route) => route.name) },
      'switchyard proxy ready (connected)',
    );
  } else {
    const routeFile = new RouteFileWatcher(args.config!, { logger });
    const { routes, settings } = await loadRouteFileOrExit(routeFile, args.config!);
    try {
      proxy = await startProxy({
        routes,
        port: args.port,
        adminPort: args.adminPort,
        host: args.host,
        adminHost: args.adminHost,
        adminToken: args.adminToken,
        maxEventLoopUtilization: args.maxEventLoopUtilization,
        logger,
        routeFile,
        ...(args.record ? { record: args.record } : {}),
        ...(args.tlsCert !== undefined || settings.tls ? { tls: chooseTlsFiles(args, { file: args.config!, tls: settings.tls }) } : {}),
      });
    } catch (error) {
      exitOnOperatorError(error);
    }
    // The usual daemon convention (nginx, Prometheus): SIGHUP re-reads the configuration.
    reload = () => void routeFile.reload('signal');
    logger.info({ port: proxy.port, adminPort: proxy.adminPort, routes: routes.map((route) => route.name), config: args.config }, 'switchyard proxy ready');
  }
  // Also keeps SIGHUP from ending the process (its default) when a terminal goes away.
  process.on('SIGHUP', () => reload());

  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      proxy.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`switchyard proxy: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
