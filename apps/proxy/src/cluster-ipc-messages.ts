import type { MirrorRoute } from '@switchyard/mirror';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { RouteState } from './proxy-app';

/**
 * The messages between a cluster's primary and its workers (node:cluster IPC, JSON). Every type
 * starts with `switchyard:` so that other users of the channel (prom-client's own cluster
 * messages, should anything load them) are never mistaken for ours.
 */
export type PrimaryMessage =
  /** Standalone: the route file's routes, at a worker's start and after every reload. */
  | { type: 'switchyard:routes'; routes: MirrorRoute[] }
  /** Asks for the worker's report state (`since`: ISO time, as `GET /reports?since=`). */
  | { type: 'switchyard:states'; id: number; since?: string }
  /** Asks for the routes the worker serves (connected mode: they come from the server to each worker). */
  | { type: 'switchyard:route-list'; id: number }
  /** Asks for the worker's metrics as prom-client JSON, for AggregatorRegistry.aggregate. */
  | { type: 'switchyard:metrics'; id: number }
  /** Stop accepting, finish what is in flight (RunningProxy.close), exit 0. */
  | { type: 'switchyard:shutdown' };

export type WorkerMessage =
  /** The worker serves the live port (the port it got, for `--port 0`). */
  | { type: 'switchyard:ready'; port: number; url: string }
  | { type: 'switchyard:states'; id: number; states: RouteState[] }
  | { type: 'switchyard:route-list'; id: number; routes: MirrorRoute[] }
  | { type: 'switchyard:metrics'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] };

export type AnswerType = 'switchyard:states' | 'switchyard:route-list' | 'switchyard:metrics';

/** The environment variable that gives a forked worker its slot (1..N, kept by its replacements). */
export const WORKER_SLOT_ENV = 'SWITCHYARD_PROXY_WORKER_SLOT';

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { type?: unknown }).type === 'string' &&
    (message as { type: string }).type.startsWith('switchyard:')
  );
}

export const isPrimaryMessage = isWorkerMessage as (message: unknown) => message is PrimaryMessage;
