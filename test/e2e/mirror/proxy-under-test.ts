import { mirrorRouteSchema, type MirrorReport, type MirrorRouteInput, type RouteReport } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { startProxy, type RunningProxy } from '../../../apps/proxy/src/proxy-app';
import { waitFor } from '../../support/test-server';

/**
 * Starts an in-process proxy on free loopback ports with the given routes. Load shedding is off
 * unless asked for: in process, the event loop it watches is also the test's own.
 */
export async function startTestProxy(routes: MirrorRouteInput[], options: { maxEventLoopUtilization?: number } = {}): Promise<RunningProxy> {
  return startProxy({
    routes: routes.map((route) => mirrorRouteSchema.parse(route)),
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    maxEventLoopUtilization: options.maxEventLoopUtilization ?? 1,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'switchyard-proxy'),
  });
}

export async function fetchReport(proxy: RunningProxy, route: string): Promise<RouteReport> {
  const res = await fetch(`${proxy.adminUrl}/reports?route=${encodeURIComponent(route)}`);
  const body = (await res.json()) as MirrorReport;
  return body.routes[0];
}

/** Waits until every sampled request of a route has been compared or skipped. */
export async function settled(proxy: RunningProxy, route: string, timeoutMs = 20_000): Promise<RouteReport> {
  return waitFor(
    () => {
      const report = proxy.report(route).routes[0];
      const skipped = Object.values(report.totals.skipped).reduce((sum, n) => sum + n, 0) - report.totals.skipped.method;
      return report.totals.sampled > 0 && report.totals.compared + skipped >= report.totals.sampled ? report : undefined;
    },
    timeoutMs,
    `mirror exchanges of ${route} to settle`,
  );
}
