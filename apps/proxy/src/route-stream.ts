import http from 'node:http';
import https from 'node:https';
import { mirrorRouteSchema, type MirrorRoute } from '@switchyard/mirror';
import type { Logger } from '@switchyard/observability';

export interface RouteStreamOptions {
  server: string;
  token: string;
  logger: Logger;
  onRoutes(routes: MirrorRoute[], revision: number): void;
  /** No data and no heartbeat for this long means the connection is dead. */
  heartbeatTimeoutMs?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

/**
 * Follows `GET /api/v1/mirror/routes/stream`: the full route list on connect and after every
 * change. Reconnects with capped, jittered exponential backoff; while disconnected the proxy
 * keeps running the last list it had.
 */
export class RouteStream {
  private request?: http.ClientRequest;
  private timer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private attempt = 0;
  private closed = false;
  private revision = -1;
  private firstList?: () => void;
  /** Resolves once the first route list has arrived. */
  readonly ready: Promise<void>;

  constructor(private readonly options: RouteStreamOptions) {
    this.ready = new Promise((resolve) => (this.firstList = resolve));
  }

  start(): void {
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.request?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    const url = new URL('/api/v1/mirror/routes/stream', this.options.server);
    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(url, { headers: { authorization: `Bearer ${this.options.token}`, accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        this.options.logger.warn({ status: response.statusCode }, 'route stream refused; retrying');
        response.resume();
        this.retry(request);
        return;
      }
      response.setEncoding('utf8');
      this.kick(request);
      let buffer = '';
      response.on('data', (chunk: string) => {
        this.kick(request);
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.onEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      });
      response.on('end', () => this.retry(request));
      response.on('error', () => this.retry(request));
    });
    request.on('error', (error) => {
      this.options.logger.debug({ err: error.message }, 'route stream connection failed');
      this.retry(request);
    });
    this.request = request;
  }

  private onEvent(block: string): void {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data += data === '' ? value : `\n${value}`;
    }
    if (event !== 'routes' || data === '') return;
    try {
      const body = JSON.parse(data) as { revision: number; routes: unknown[] };
      if (body.revision <= this.revision) return;
      // The server validated these; parsing again fills defaults this proxy version knows about.
      const routes = body.routes.map((route) => mirrorRouteSchema.parse(route));
      this.revision = body.revision;
      this.attempt = 0;
      this.options.onRoutes(routes, body.revision);
      this.firstList?.();
    } catch (error) {
      this.options.logger.error({ err: error }, 'route list from the server rejected; keeping the current routes');
    }
  }

  /** Restarts the heartbeat watchdog. */
  private kick(request: http.ClientRequest): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.options.logger.warn('route stream silent; reconnecting');
      this.retry(request);
    }, this.options.heartbeatTimeoutMs ?? 45_000);
    this.watchdog.unref();
  }

  private retry(request: http.ClientRequest): void {
    // Each failure of one connection ends up here several times (error, end, close): retry once.
    if (this.closed || request !== this.request) return;
    this.request = undefined;
    request.destroy();
    clearTimeout(this.watchdog);
    const initial = this.options.reconnectInitialMs ?? 500;
    const delay = Math.min(initial * 2 ** this.attempt, this.options.reconnectMaxMs ?? 30_000);
    this.attempt = Math.min(this.attempt + 1, 16);
    this.timer = setTimeout(() => this.connect(), delay / 2 + Math.random() * (delay / 2));
    this.timer.unref();
  }
}
