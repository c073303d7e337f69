import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { AppError, NotFoundError, UnauthenticatedError, toErrorBody } from '@switchyard/errors';
import { parseReportSince, type MirrorReport } from '@switchyard/mirror';
import type { ProxyMetrics } from './proxy-metrics';
import type { RouteFileStatus } from './route-file-watcher';
import type { RouteTable } from './route-table';

export interface AdminServerOptions {
  routes: () => RouteTable;
  metrics: ProxyMetrics;
  ready: () => boolean;
  /** Standalone: the route file and its last reload, shown by `GET /routes`. */
  routeFile?: () => RouteFileStatus;
  /** When set, every endpoint but /healthz and /readyz needs `Authorization: Bearer <token>`. */
  token?: string;
}

/** Liveness and readiness stay open for probes; they tell nothing about the traffic. */
const OPEN_PATHS = ['/healthz', '/readyz'];

/**
 * The admin port: health, readiness, Prometheus metrics, the routes in effect (with the route
 * file's last reload) and the reports from the proxy's own memory (`GET /reports?route=&since=`),
 * the same JSON as the server's report API. Reports carry redacted response examples and routes
 * name internal targets, hence the optional token (and loopback as the default address).
 */
export function createAdminServer(options: AdminServerOptions): http.Server {
  const { metrics } = options;
  const expected = options.token === undefined ? undefined : digest(options.token);
  return http.createServer((request, response) => {
    const routes = options.routes();
    const url = new URL(request.url ?? '/', 'http://admin');
    if (expected && !OPEN_PATHS.includes(url.pathname) && !bearerMatches(request, expected)) {
      response.setHeader('www-authenticate', 'Bearer');
      sendError(response, new UnauthenticatedError('the admin port needs Authorization: Bearer <admin token>'));
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendError(response, new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here`, 405));
      return;
    }
    switch (url.pathname) {
      case '/healthz':
        sendJson(response, 200, { status: 'ok' });
        return;
      case '/readyz': {
        // A rejected route file reload leaves the proxy serving its previous routes: still ready.
        const isReady = options.ready();
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
      case '/routes':
        sendJson(response, 200, { routes: routes.mirrors.map((mirror) => mirror.route), ...(options.routeFile ? { routeFile: options.routeFile() } : {}) });
        return;
      case '/reports': {
        let since: Date | undefined;
        try {
          since = parseReportSince(url.searchParams.get('since') ?? undefined);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          sendError(response, error);
          return;
        }
        const name = url.searchParams.get('route');
        const selected = name === null ? routes.mirrors : routes.mirrors.filter((mirror) => mirror.name === name);
        if (name !== null && selected.length === 0) {
          sendError(response, new NotFoundError('route', name));
          return;
        }
        const report: MirrorReport = { generatedAt: new Date().toISOString(), routes: selected.map((mirror) => mirror.report(since)) };
        sendJson(response, 200, report);
        return;
      }
      default:
        sendError(response, new AppError('NOT_FOUND', `no admin endpoint at ${url.pathname}`, 404));
    }
  });
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Compares digests, so neither the token's length nor its bytes leak through timing. */
function bearerMatches(request: IncomingMessage, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]), expected);
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
