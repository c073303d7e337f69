import cluster, { type Worker } from 'node:cluster';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MirrorReport, MirrorRoute, RouteFileSettings } from '@switchyard/mirror';
import type { Logger } from '@switchyard/observability';
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { createAdminServer } from './admin-server';
import type { ProxyArgs } from './proxy-args';
import type { RouteState } from './proxy-app';
import { RouteFileWatcher } from './route-file-watcher';
import { exitOnOperatorError, loadRouteFileOrExit } from './startup-checks';
import { chooseTlsFiles, readTlsFiles } from './tls-files';
import { isWorkerMessage, WORKER_SLOT_ENV, type AnswerType, type PrimaryMessage, type WorkerMessage } from './cluster-ipc-messages';
import { mergeWorkerStates } from './cluster-report-merge';

/** How long the primary waits for a worker's answer (report state, metrics) before leaving it out. */
const ANSWER_TIMEOUT_MS = 5_000;
/** Workers still draining by then are killed, and the primary exits 1 (as a single proxy's forced shutdown). */
const SHUTDOWN_TIMEOUT_MS = 12_000;
/** A worker that served at least this long before dying is restarted at once; quicker deaths back off. */
const HEALTHY_RUN_MS = 10_000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;

interface Slot {
  slot: number;
  worker?: Worker;
  ready: boolean;
  startedAt: number;
  /** Quick deaths in a row, for the backoff. */
  failures: number;
  restarts: number;
  timer?: NodeJS.Timeout;
}

/** What `GET /workers` on the admin port shows. */
export interface WorkerStatus {
  slot: number;
  pid?: number;
  ready: boolean;
  startedAt: string;
  restarts: number;
  /** Requests of mirrored routes this worker has seen (from its report state; absent when it did not answer). */
  seen?: number;
  /** The routes this worker serves (a route file edit reaches each worker over IPC). */
  routes?: string[];
}

/**
 * The primary of `switchyard proxy --workers N` (N > 1). It serves no traffic: it forks N workers
 * (cluster-worker.ts) that share the live port, owns the one route file watcher (standalone) and
 * sends every accepted edit to all workers, serves the one admin port by asking the workers and
 * merging (reports with mirror-aggregate's merge, metrics with prom-client's
 * AggregatorRegistry.aggregate), and replaces a worker that dies, with a backoff when it keeps
 * dying. Until a first worker is ready, a worker's death ends the cluster with its exit code: a
 * certificate or port that cannot serve is a start failure, not something to retry.
 */
export async function runPrimary(args: ProxyArgs, logger: Logger): Promise<void> {
  const registry = new Registry();
  const restartsTotal = new Counter({
    name: 'switchyard_proxy_worker_restarts_total',
    help: 'Cluster workers (--workers N) that died and were replaced',
    registers: [registry],
  });
  const readyWorkers = new Gauge({ name: 'switchyard_proxy_workers_ready', help: 'Cluster workers serving the live port', registers: [registry] });

  let routes: MirrorRoute[] = [];
  let routeFile: RouteFileWatcher | undefined;
  let settings: RouteFileSettings | undefined;
  if (args.config) {
    routeFile = new RouteFileWatcher(args.config, { logger });
    ({ routes, settings } = await loadRouteFileOrExit(routeFile, args.config));
  }

  // The TLS pair is checked once here, before any worker exists: N workers refusing the same bad key
  // would print the same line N times. Each worker still reads the files itself to serve them.
  try {
    const tls = chooseTlsFiles(args, args.config ? { file: args.config, tls: settings?.tls } : undefined);
    if (tls) readTlsFiles(tls);
  } catch (error) {
    exitOnOperatorError(error);
  }

  const slots: Slot[] = Array.from({ length: args.workers }, (_, i) => ({ slot: i + 1, ready: false, startedAt: Date.now(), failures: 0, restarts: 0 }));
  let everReady = false;
  let stopping = false;
  let liveUrl: string | undefined;
  const pending = new Map<number, { type: AnswerType; worker: Worker; resolve: (message: WorkerMessage | undefined) => void; timer: NodeJS.Timeout }>();
  let nextId = 0;

  const send = (worker: Worker, message: PrimaryMessage): void => {
    if (worker.isConnected()) worker.send(message);
  };
  /** One question to one worker; undefined when it does not answer in time or dies first. */
  const ask = (worker: Worker, type: AnswerType, extra: { since?: string } = {}): Promise<WorkerMessage | undefined> =>
    new Promise((resolve) => {
      if (!worker.isConnected()) return resolve(undefined);
      const id = nextId++;
      const timer = setTimeout(() => settle(id, undefined), ANSWER_TIMEOUT_MS);
      pending.set(id, { type, worker, resolve, timer });
      worker.send({ type, id, ...extra } as PrimaryMessage);
    });
  const settle = (id: number, message: WorkerMessage | undefined): void => {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(message);
  };
  const readySlots = () => slots.filter((slot) => slot.ready && slot.worker);
  const statesOfAll = async (since?: Date): Promise<(RouteState[] | undefined)[]> =>
    Promise.all(
      readySlots().map(async (slot) => {
        const answer = await ask(slot.worker!, 'switchyard:states', since ? { since: since.toISOString() } : {});
        return answer?.type === 'switchyard:states' ? answer.states : undefined;
      }),
    );

  const fork = (slot: Slot): void => {
    slot.ready = false;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.slot) });
    slot.worker = worker;
    if (args.config) send(worker, { type: 'switchyard:routes', routes });
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.type === 'switchyard:ready') {
        slot.ready = true;
        readyWorkers.set(readySlots().length);
        if (!everReady) {
          everReady = true;
          liveUrl = message.url;
          logger.info(
            { port: message.port, adminPort, workers: args.workers, routes: routes.map((route) => route.name), config: args.config, server: args.server },
            args.server ? 'switchyard proxy ready (connected)' : 'switchyard proxy ready',
          );
        }
        return;
      }
      settle(message.id, message);
    });
    worker.once('exit', (code, signal) => {
      for (const [id, entry] of pending) if (entry.worker === worker) settle(id, undefined);
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      slot.ready = false;
      readyWorkers.set(readySlots().length);
      if (stopping) return;
      if (!everReady) {
        // A start failure (bad certificate, port taken): the worker said why on stderr.
        logger.error({ worker: slot.slot, code, signal }, 'a worker failed to start; stopping');
        void shutdown(code || 1);
        return;
      }
      const ranFor = Date.now() - slot.startedAt;
      slot.failures = ranFor >= HEALTHY_RUN_MS ? 0 : slot.failures + 1;
      const delay = slot.failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (slot.failures - 1));
      restartsTotal.inc();
      slot.restarts++;
      logger.warn({ worker: slot.slot, pid: worker.process.pid, code, signal, ranForMs: ranFor, restartInMs: delay }, 'worker died; starting a new one');
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        if (!stopping) fork(slot);
      }, delay);
    });
  };

  const admin = createAdminServer({
    routes: async () => {
      if (args.config) return routes;
      // Connected: the routes come from the server to each worker; any ready worker's are the cluster's
      // (asked for alone: /readyz is probed often, and report state is large).
      for (const slot of readySlots()) {
        const answer = await ask(slot.worker!, 'switchyard:route-list');
        if (answer?.type === 'switchyard:route-list') return answer.routes;
      }
      return [];
    },
    report: async (route, since): Promise<MirrorReport> => {
      const answers = (await statesOfAll(since)).filter((states) => states !== undefined);
      return mergeWorkerStates(answers, route);
    },
    metrics: async () => {
      const answers = await Promise.all(readySlots().map((slot) => ask(slot.worker!, 'switchyard:metrics')));
      const all: MetricObjectWithValues<MetricValue<string>>[][] = [await registry.getMetricsAsJSON()];
      for (const answer of answers) if (answer?.type === 'switchyard:metrics') all.push(answer.metrics);
      // Counters and histograms add up; gauges say how they combine (proxy-metrics.ts), prom-client's defaults know theirs.
      const merged = AggregatorRegistry.aggregate(all);
      return { contentType: merged.contentType, text: await merged.metrics() };
    },
    ready: () => readySlots().length > 0,
    token: args.adminToken,
    extra: {
      '/workers': async (): Promise<{ primary: number; url?: string; workers: WorkerStatus[] }> => {
        const served = new Map<Slot, { seen: number; routes: string[] }>();
        await Promise.all(
          readySlots().map(async (slot) => {
            const answer = await ask(slot.worker!, 'switchyard:states');
            if (answer?.type !== 'switchyard:states') return;
            let total = 0;
            for (const state of answer.states) for (const endpoint of state.aggregate.endpoints) total += endpoint.seen;
            served.set(slot, { seen: total, routes: answer.states.map((state) => state.route.name) });
          }),
        );
        return {
          primary: process.pid,
          ...(liveUrl ? { url: liveUrl } : {}),
          workers: slots.map((slot) => ({
            slot: slot.slot,
            ...(slot.worker?.process.pid !== undefined ? { pid: slot.worker.process.pid } : {}),
            ready: slot.ready,
            startedAt: new Date(slot.startedAt).toISOString(),
            restarts: slot.restarts,
            ...served.get(slot),
          })),
        };
      },
    },
    ...(routeFile ? { routeFile: () => routeFile.status() } : {}),
  });
  const adminPort = await listen(admin, args.adminPort, args.adminHost);

  if (routeFile) {
    await routeFile.watch((next) => {
      routes = next;
      for (const slot of slots) if (slot.worker) send(slot.worker, { type: 'switchyard:routes', routes: next });
    }, registry);
  }
  // The usual daemon convention (nginx, Prometheus): SIGHUP re-reads the configuration. It also keeps
  // SIGHUP from ending the process (its default) when a terminal goes away.
  process.on('SIGHUP', () => {
    if (routeFile) void routeFile.reload('signal');
    else logger.info('SIGHUP: routes come from the server; nothing to reload');
  });

  let exitCode: number | undefined;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    routeFile?.close();
    const force = setTimeout(() => {
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    const exits: Promise<void>[] = [];
    for (const slot of slots) {
      clearTimeout(slot.timer);
      const { worker } = slot;
      if (!worker) continue;
      exits.push(
        new Promise<void>((resolve) => {
          worker.once('exit', (workerCode) => {
            if (workerCode !== 0 && exitCode === 0) exitCode = 1;
            resolve();
          });
        }),
      );
      // Each worker closes its listener and drains (RunningProxy.close); the shared port closes with the last.
      send(worker, { type: 'switchyard:shutdown' });
    }
    await Promise.all([...exits, closeAdmin()]);
    process.exit(exitCode);
  };
  const closeAdmin = () =>
    new Promise<void>((resolve) => {
      admin.close(() => resolve());
      admin.closeAllConnections();
    });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      void shutdown(0);
    });
  }

  for (const slot of slots) fork(slot);
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
