import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import httpProxy from 'http-proxy';
import { Counter } from 'prom-client';
import { AppError, toErrorBody } from '@switchyard/errors';
import type { Logger } from '@switchyard/observability';
import type { ProxyMetrics } from './proxy-metrics';
import { CaptureRecorder } from './recorder';
import type { RouteTable } from './route-table';
import type { ShadowExchange } from './shadow-exchange';

const EXCHANGE = Symbol('switchyard.shadowExchange');
type MirroredMessage = IncomingMessage & { [EXCHANGE]?: ShadowExchange };

/**
 * The live path: every request goes to its route's primary through http-proxy over a keep-alive
 * agent and streams straight back. Mirroring only attaches listeners beside it.
 */
export class LiveProxy {
  readonly server: http.Server | https.Server;
  private readonly proxy = httpProxy.createProxyServer({ xfwd: true, changeOrigin: true, ws: true });
  private readonly upgrades: Counter<'route' | 'result'>;

  constructor(
    /** Read per request: connected mode swaps the table when the server's routes change. */
    private readonly routes: () => RouteTable,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
    /** Serve HTTPS with this certificate and key (`--tls-cert/--tls-key`); plain HTTP without. */
    tlsOptions?: Pick<tls.SecureContextOptions, 'cert' | 'key'>,
  ) {
    this.upgrades = new Counter({
      name: 'switchyard_proxy_upgrades_total',
      help: 'Upgrade requests (WebSocket and others) passed through to the primary, never mirrored, by result',
      labelNames: ['route', 'result'],
      registers: [metrics.registry],
    });
    this.proxy.on('proxyRes', (response, request: MirroredMessage) => {
      request[EXCHANGE]?.teePrimary(response);
      CaptureRecorder.tapOf(request)?.teePrimary(response);
    });
    // Errors go to the per-request callback; this keeps an unexpected one from crashing the process.
    this.proxy.on('error', (error) => this.logger.debug({ err: error }, 'proxy error'));
    const handler = (request: IncomingMessage, response: ServerResponse) => this.handle(request, response);
    this.server = tlsOptions ? https.createServer({ ...tlsOptions }, handler) : http.createServer(handler);
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  /**
   * WebSocket and other upgrades go to the route's primary and are never mirrored: a second
   * long-lived, stateful connection per client is not a copy anyone could compare.
   */
  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that goes away mid-handshake must not take the process with it.
    socket.on('error', (error) => this.logger.debug({ err: error }, 'upgrade socket error'));
    const mirror = this.routes().match(request.headers.host, request.url ?? '/');
    if (!mirror) {
      this.upgrades.labels('', 'unmatched').inc();
      refuseUpgrade(
        socket,
        404,
        'Not Found',
        new AppError('NO_ROUTE', `no mirrored route matches ${request.headers.host ?? ''}${request.url ?? ''}`, 404),
        request,
      );
      return;
    }
    this.upgrades.labels(mirror.name, 'proxied').inc();
    // No pooled agent: an upgraded socket belongs to its client for as long as the connection lives.
    this.proxy.ws(request, socket, head, { target: mirror.primaryTarget }, (error: NodeJS.ErrnoException) => {
      this.upgrades.labels(mirror.name, 'primary_error').inc();
      this.metrics.primaryErrors.labels(mirror.name).inc();
      this.logger.debug({ route: mirror.name, code: error.code, message: error.message }, 'primary refused an upgrade');
      refuseUpgrade(socket, 502, 'Bad Gateway', new AppError('BAD_GATEWAY', `the primary of route ${mirror.name} did not answer`, 502), request);
    });
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
    // Record/replay: an independent sample of the route's exchanges, captured off the live path.
    mirror.deps.recorder?.begin(mirror.route, request, startedAt);
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
    CaptureRecorder.tapOf(request)?.teeRequest(request);
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

/** Answers an upgrade that cannot be passed through with a plain HTTP error, then closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, error: AppError, request: IncomingMessage): void {
  // After a 101 the socket carries the upgraded protocol: an HTTP error there would be garbage.
  if (!socket.writable || (socket as Socket).bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const requestId = headerValue(request.headers['x-request-id']) ?? randomUUID();
  const text = JSON.stringify(toErrorBody(error, requestId).body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\nx-request-id: ${requestId}\r\n\r\n${text}`,
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
