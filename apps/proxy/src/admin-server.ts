import { randomUUID } from 'node:crypto';
import http, { type ServerResponse } from 'node:http';
import { AppError, NotFoundError, toErrorBody } from '@switchyard/errors';
import type { MirrorReport } from '@switchyard/mirror';
import type { ProxyMetrics } from './proxy-metrics';
import type { RouteTable } from './route-table';

/**
 * The admin port: health, readiness, Prometheus metrics and the reports from the proxy's own
 * memory (`GET /reports?route=`), the same JSON the server's report API will serve.
 */
export function createAdminServer(currentRoutes: () => RouteTable, metrics: ProxyMetrics, ready: () => boolean): http.Server {
  return http.createServer((request, response) => {
    const routes = currentRoutes();
    const url = new URL(request.url ?? '/', 'http://admin');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendError(response, new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here`, 405));
      return;
    }
    switch (url.pathname) {
      case '/healthz':
        sendJson(response, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const isReady = ready();
        sendJson(response, isReady ? 200 : 503, { status: isReady ? 'ready' : 'starting', routes: routes.mirrors.length });
        return;
      }
      case '/metrics':
        metrics.registry.metrics().then(
          (text) => {
            response.writeHead(200, { 'content-type': metrics.registry.contentType });
            response.end(text);
          },
          () => sendError(response, new AppError('INTERNAL', 'metrics unavailable', 500)),
        );
        return;
      case '/reports': {
        const name = url.searchParams.get('route');
        const selected = name === null ? routes.mirrors : routes.mirrors.filter((mirror) => mirror.name === name);
        if (name !== null && selected.length === 0) {
          sendError(response, new NotFoundError('route', name));
          return;
        }
        const report: MirrorReport = { generatedAt: new Date().toISOString(), routes: selected.map((mirror) => mirror.report()) };
        sendJson(response, 200, report);
        return;
      }
      default:
        sendError(response, new AppError('NOT_FOUND', `no admin endpoint at ${url.pathname}`, 404));
    }
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendError(response: ServerResponse, error: AppError): void {
  const { status, body } = toErrorBody(error, randomUUID());
  sendJson(response, status, body);
}
