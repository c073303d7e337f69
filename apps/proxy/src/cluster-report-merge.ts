import { buildRouteReport, mergeRouteAggregates, type BreakerReport, type MirrorReport, type MirrorRoute, type RouteAggregate } from '@switchyard/mirror';
import type { RouteState } from './proxy-app';

const BREAKER_SEVERITY: Record<BreakerReport['state'], number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * One report from every worker's state, as a single proxy would give it: each route's aggregates
 * are merged (counts add up, latency samples are re-sampled by weight: mirror-aggregate.ts, the
 * same merge the server applies to several proxies' batches) and the report is built once, so
 * noise cancellation and the verdict see the whole cluster's traffic. Routes keep the order of
 * the first worker that has them; a worker that has not applied a route edit yet still counts
 * under the route's name, and the newest definition (the last worker's) decides thresholds.
 */
export function mergeWorkerStates(perWorker: readonly (readonly RouteState[])[], only?: string): MirrorReport {
  const byRoute = new Map<string, { route: MirrorRoute; parts: RouteAggregate[] }>();
  for (const states of perWorker) {
    for (const state of states) {
      if (only !== undefined && state.route.name !== only) continue;
      const entry = byRoute.get(state.route.name);
      if (entry) {
        entry.route = state.route;
        entry.parts.push(state.aggregate);
      } else byRoute.set(state.route.name, { route: state.route, parts: [state.aggregate] });
    }
  }
  return {
    generatedAt: new Date().toISOString(),
    routes: [...byRoute.values()].map(({ route, parts }) => {
      const merged = mergeRouteAggregates(route.name, parts);
      const breaker = worstBreaker(parts);
      return buildRouteReport(route, { ...merged, ...(breaker ? { breaker } : {}) });
    }),
  };
}

/**
 * Each worker has its own breaker per route; the cluster's is the most tripped of them (an open
 * breaker anywhere means the candidate was failing), with the opens of all added up.
 */
function worstBreaker(parts: readonly RouteAggregate[]): BreakerReport | undefined {
  let worst: BreakerReport | undefined;
  let opens = 0;
  for (const { breaker } of parts) {
    if (!breaker) continue;
    opens += breaker.opens;
    const order = worst ? BREAKER_SEVERITY[breaker.state] - BREAKER_SEVERITY[worst.state] : 1;
    // Equally tripped: the one that opened last says the most recent reason.
    if (order > 0 || (order === 0 && (breaker.lastOpenedAt ?? '') > (worst!.lastOpenedAt ?? ''))) worst = breaker;
  }
  return worst && { ...worst, opens };
}
