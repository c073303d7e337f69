import type { MirrorRoute } from '@switchyard/mirror';
import { loadRouteFileSettings } from '@switchyard/mirror';
import type { Logger } from '@switchyard/observability';
import { startConnectedProxy } from './connected-proxy';
import type { ProxyArgs } from './proxy-args';
import { startProxy, type RunningProxy } from './proxy-app';
import { exitOnOperatorError } from './startup-checks';
import { chooseTlsFiles } from './tls-files';
import { isPrimaryMessage, WORKER_SLOT_ENV, type PrimaryMessage, type WorkerMessage } from './cluster-ipc-messages';

/** A worker that is not done closing by then is ended anyway (as a single proxy's shutdown does). */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * A cluster worker (`--workers N`, N > 1): the data plane of a single proxy — the live port
 * (shared through node:cluster), mirroring, recording, TLS — without an admin port or a route file
 * watcher. Standalone, its routes come from the primary, which owns the route file; connected,
 * it is a proxy of its own towards the server (its own route stream, flags and report batches).
 * It answers the primary's questions (report state, metrics) and stops when the primary says so,
 * on SIGTERM/SIGINT of its own (a terminal's ^C reaches the whole process group), or when the
 * primary is gone.
 */
export async function runWorker(args: ProxyArgs, baseLogger: Logger): Promise<void> {
  // Not configuration: the primary's note to the process it forked (cluster.fork's env), read once.
  // eslint-disable-next-line no-restricted-properties
  const slot = Number(process.env[WORKER_SLOT_ENV] ?? '1');
  const logger = baseLogger.child({ worker: slot });
  const shard = { slot, of: args.workers };
  const send = (message: WorkerMessage): void => {
    if (process.connected) process.send!(message);
  };
  // The primary re-reads the route file on SIGHUP; to a worker it means nothing (and must not end it).
  process.on('SIGHUP', () => undefined);

  let proxy: RunningProxy | undefined;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS);
    force.unref();
    (proxy ? proxy.close() : Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
  // The primary died (kill -9): nobody owns the admin port or the route file any more.
  process.once('disconnect', stop);

  let firstRoutes: (routes: MirrorRoute[]) => void = () => undefined;
  /** The primary's last word on the routes (an edit may arrive while the proxy is still starting). */
  let latestRoutes: MirrorRoute[] | undefined;
  const routesArrived = new Promise<MirrorRoute[]>((resolve) => (firstRoutes = resolve));
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    void answer(message);
  });
  const answer = async (message: PrimaryMessage): Promise<void> => {
    switch (message.type) {
      case 'switchyard:routes':
        latestRoutes = message.routes;
        if (proxy) proxy.setRoutes(message.routes);
        else firstRoutes(message.routes);
        return;
      case 'switchyard:states':
        send({ type: 'switchyard:states', id: message.id, states: proxy?.states(message.since === undefined ? undefined : new Date(message.since)) ?? [] });
        return;
      case 'switchyard:route-list':
        send({ type: 'switchyard:route-list', id: message.id, routes: [...(proxy?.routes() ?? [])] });
        return;
      case 'switchyard:metrics':
        send({ type: 'switchyard:metrics', id: message.id, metrics: proxy ? await proxy.metrics.registry.getMetricsAsJSON() : [] });
        return;
      case 'switchyard:shutdown':
        stop();
        return;
    }
  };

  try {
    if (args.server) {
      proxy = await startConnectedProxy({
        server: args.server,
        token: args.token!,
        environment: args.environment ?? 'production',
        reportIntervalMs: args.reportIntervalMs,
        port: args.port,
        adminPort: 0,
        host: args.host,
        maxEventLoopUtilization: args.maxEventLoopUtilization,
        logger,
        cluster: shard,
        ...(args.record ? { record: args.record } : {}),
        ...(args.tlsCert !== undefined ? { tls: chooseTlsFiles(args) } : {}),
      });
    } else {
      // The primary validated the route file; the TLS choice (flags or the file's `tls:`) is made here as a single proxy makes it.
      const settings = await loadRouteFileSettings(args.config!);
      const tls = chooseTlsFiles(args, { file: args.config!, tls: settings.tls });
      const routes = await routesArrived;
      proxy = await startProxy({
        routes,
        port: args.port,
        adminPort: 0,
        host: args.host,
        maxEventLoopUtilization: args.maxEventLoopUtilization,
        logger,
        admin: false,
        recordShard: shard,
        ...(args.record ? { record: args.record } : {}),
        ...(tls ? { tls } : {}),
      });
      if (latestRoutes !== routes) proxy.setRoutes(latestRoutes!);
    }
  } catch (error) {
    // Before any worker served, the primary ends the cluster with this exit code (2: the operator's mistake).
    exitOnOperatorError(error);
  }
  send({ type: 'switchyard:ready', port: proxy.port, url: proxy.url });
  logger.debug({ port: proxy.port, pid: process.pid }, 'worker serving');
}
