import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { AppError, NotFoundError, UnauthenticatedError, toErrorBody } from '@switchyard/errors';
import { parseReportSince, type MirrorReport, type MirrorRoute } from '@switchyard/mirror';
import type { RouteFileStatus } from './route-file-watcher';

type MaybePromise<T> = T | Promise<T>;

/**
 * What the admin port shows. A single proxy answers from its own memory; a cluster's primary
 * (cluster-primary.ts) answers by asking its workers and merging, hence the promises.
 */
export interface AdminServerOptions {
  /** The routes in effect. */
  routes: () => MaybePromise<readonly MirrorRoute[]>;
  /** The report of the named route, or of all routes; a named route not served gives `routes: []`. */
  report: (route: string | undefined, since: Date | undefined) => MaybePromise<MirrorReport>;
  /** The Prometheus exposition. */
  metrics: () => Promise<{ contentType: string; text: string }>;
  ready: () => boolean;
  /** More read-only JSON endpoints by path (a cluster's `/workers`). */
  extra?: Record<string, () => MaybePromise<unknown>>;
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
  const expected = options.token === undefined ? undefined : digest(options.token);
  return http.createServer((request, response) => {
    handle(options, expected, request, response).catch(() => {
      if (!response.headersSent) sendError(response, new AppError('INTERNAL', 'admin endpoint failed', 500));
      else response.destroy();
    });
  });
}

async function handle(options: AdminServerOptions, expected: Buffer | undefined, request: IncomingMessage, response: ServerResponse): Promise<void> {
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
      sendJson(response, isReady ? 200 : 503, { status: isReady ? 'ready' : 'starting', routes: (await options.routes()).length });
      return;
    }
    case '/metrics': {
      let metrics;
      try {
        metrics = await options.metrics();
      } catch {
        sendError(response, new AppError('INTERNAL', 'metrics unavailable', 500));
        return;
      }
      response.writeHead(200, { 'content-type': metrics.contentType });
      response.end(metrics.text);
      return;
    }
    case '/routes':
      sendJson(response, 200, { routes: await options.routes(), ...(options.routeFile ? { routeFile: options.routeFile() } : {}) });
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
      const report = await options.report(name ?? undefined, since);
      if (name !== null && report.routes.length === 0) {
        sendError(response, new NotFoundError('route', name));
        return;
      }
      sendJson(response, 200, report);
      return;
    }
    default: {
      const extra = options.extra && Object.hasOwn(options.extra, url.pathname) ? options.extra[url.pathname] : undefined;
      if (extra) sendJson(response, 200, await extra());
      else sendError(response, new AppError('NOT_FOUND', `no admin endpoint at ${url.pathname}`, 404));
    }
  }
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
