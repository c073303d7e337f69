import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import httpProxy from 'http-proxy';
import { AppError, toErrorBody } from '@switchyard/errors';
import type { Logger } from '@switchyard/observability';
import type { ProxyMetrics } from './proxy-metrics';
import type { RouteTable } from './route-table';
import type { ShadowExchange } from './shadow-exchange';

const EXCHANGE = Symbol('switchyard.shadowExchange');
type MirroredMessage = IncomingMessage & { [EXCHANGE]?: ShadowExchange };

/**
 * The live path: every request goes to its route's primary through http-proxy over a keep-alive
 * agent and streams straight back. Mirroring only attaches listeners beside it.
 */
export class LiveProxy {
  readonly server: http.Server;
  private readonly proxy = httpProxy.createProxyServer({ xfwd: true, changeOrigin: true, ws: false });

  constructor(
    /** Read per request: connected mode swaps the table when the server's routes change. */
    private readonly routes: () => RouteTable,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
  ) {
    this.proxy.on('proxyRes', (response, request: MirroredMessage) => request[EXCHANGE]?.teePrimary(response));
    // Errors go to the per-request callback; this keeps an unexpected one from crashing the process.
    this.proxy.on('error', (error) => this.logger.debug({ err: error }, 'proxy error'));
    this.server = http.createServer((request, response) => this.handle(request, response));
  }

  private handle(request: MirroredMessage, response: ServerResponse): void {
    const startedAt = performance.now();
    const mirror = this.routes().match(request.headers.host, request.url ?? '/');
    if (!mirror) {
      this.metrics.requests.labels('', 'unmatched').inc();
      this.fail(request, response, new AppError('NO_ROUTE', `no mirrored route matches ${request.headers.host ?? ''}${request.url ?? ''}`, 404));
      return;
    }
    const exchange = mirror.begin(request, startedAt);
    // On the message rather than in a WeakMap: ephemeron tables make every garbage collection slower.
    if (exchange) request[EXCHANGE] = exchange;
    this.proxy.web(request, response, { target: mirror.primaryTarget, agent: mirror.primaryAgent }, (error: NodeJS.ErrnoException) => {
      exchange?.primaryFailed();
      this.metrics.primaryErrors.labels(mirror.name).inc();
      this.logger.debug({ route: mirror.name, code: error.code, message: error.message }, 'primary did not answer');
      if (response.headersSent) response.destroy();
      else this.fail(request, response, new AppError('BAD_GATEWAY', `the primary of route ${mirror.name} did not answer`, 502));
    });
    // After proxy.web has piped the request, so the tee cannot take the first chunk from it.
    exchange?.teeRequest(request);
  }

  private fail(request: IncomingMessage, response: ServerResponse, error: AppError): void {
    const requestId = headerValue(request.headers['x-request-id']) ?? randomUUID();
    const { status, body } = toErrorBody(error, requestId);
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-request-id': requestId });
    response.end(text);
  }

  close(): void {
    this.proxy.close();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
