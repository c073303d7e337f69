import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { gunzip } from 'node:zlib';
import type { Snapshot } from '@switchyard/core';
import { SwitchyardError } from './client-events';
import { asSnapshot } from './live-snapshot';

export const SDK_VERSION = '0.1.0';
const USER_AGENT = `switchyard-node-sdk/${SDK_VERSION} node/${process.versions.node}`;
/** A snapshot of 10,000 flags is a few MB; anything far larger is not a snapshot. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export interface TransportOptions {
  url: string;
  token: string | undefined;
  environment: string | undefined;
  requestTimeoutMs: number;
}

export type SnapshotResponse = { notModified: true } | { notModified: false; snapshot: Snapshot; etag: string | undefined };

export interface StreamHandlers {
  open(): void;
  data(chunk: string): void;
  /** Called once, when the stream ends for any reason other than `close()`. */
  end(error: SwitchyardError): void;
}

export interface StreamHandle {
  close(): void;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function gunzipAsync(body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => gunzip(body, (err, out) => (err ? reject(err) : resolve(out))));
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** The server's error body is `{ error: { code, message } }`; fall back to the status line. */
function httpError(method: string, path: string, status: number, body: Buffer): SwitchyardError {
  let detail: string;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : '';
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : '';
    detail = [code, message].filter(Boolean).join(': ');
  } catch {
    detail = body.toString('utf8', 0, Math.min(body.length, 200)).trim();
  }
  return new SwitchyardError('http', `${method} ${path} answered ${status}${detail ? ` (${detail})` : ''}`, status);
}

/**
 * HTTP to the SDK endpoints with Node's own http/https (no client library): one keep-alive agent
 * for snapshot and metrics requests, a dedicated socket for the stream, and every request in
 * flight tracked so that `destroy()` leaves no socket behind.
 */
export class HttpTransport {
  private readonly agent: http.Agent;
  private readonly inflight = new Set<ClientRequest>();
  private readonly request: typeof http.request;
  private destroyed = false;

  constructor(private readonly options: TransportOptions) {
    const secure = new URL(options.url).protocol === 'https:';
    this.request = secure ? https.request : http.request;
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  endpoint(path: string): URL {
    const base = this.options.url.endsWith('/') ? this.options.url : `${this.options.url}/`;
    const url = new URL(path, base);
    if (this.options.environment !== undefined) url.searchParams.set('environment', this.options.environment);
    return url;
  }

  async getSnapshot(etag?: string): Promise<SnapshotResponse> {
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
    if (etag !== undefined) headers['if-none-match'] = etag;
    const res = await this.send('GET', 'sdk/v1/snapshot', headers);
    if (res.status === 304) return { notModified: true };
    if (res.status !== 200) throw httpError('GET', '/sdk/v1/snapshot', res.status, res.body);
    let body = res.body;
    if (res.headers['content-encoding'] === 'gzip') body = await gunzipAsync(body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new SwitchyardError('data', `GET /sdk/v1/snapshot returned invalid JSON: ${describe(err)}`);
    }
    const snapshot = asSnapshot(parsed);
    if (snapshot === undefined) throw new SwitchyardError('data', 'GET /sdk/v1/snapshot returned something that is not a snapshot');
    const tag = res.headers.etag;
    return { notModified: false, snapshot, etag: typeof tag === 'string' ? tag : undefined };
  }

  async postMetrics(payload: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(payload));
    const res = await this.send('POST', 'sdk/v1/metrics', { 'content-type': 'application/json', 'content-length': String(body.length) }, body);
    if (res.status < 200 || res.status >= 300) throw httpError('POST', '/sdk/v1/metrics', res.status, res.body);
  }

  openStream(lastEventId: string | undefined, handlers: StreamHandlers): StreamHandle {
    let finished = false;
    const finish = (error: SwitchyardError) => {
      if (finished) return;
      finished = true;
      req.destroy();
      handlers.end(error);
    };
    const headers: Record<string, string> = { ...this.baseHeaders(), accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const req = this.request(this.endpoint('sdk/v1/stream'), { method: 'GET', headers, agent: false, timeout: this.options.requestTimeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        const status = res.statusCode ?? 0;
        collect(
          res,
          (body) => finish(httpError('GET', '/sdk/v1/stream', status, body)),
          (err) => finish(new SwitchyardError('http', `GET /sdk/v1/stream answered ${status} (${describe(err)})`, status)),
        );
        return;
      }
      // From here on the heartbeat watchdog, not a socket timeout, decides when the stream is dead.
      req.setTimeout(0);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (!finished) handlers.data(chunk);
      });
      res.on('end', () => finish(new SwitchyardError('connection', 'the server closed the stream')));
      res.on('error', (err) => finish(new SwitchyardError('connection', `stream broken: ${describe(err)}`, undefined, { cause: err })));
      res.on('close', () => finish(new SwitchyardError('connection', 'the stream connection closed')));
      handlers.open();
    });
    req.on('timeout', () => finish(new SwitchyardError('connection', `no answer from ${this.options.url} within ${this.options.requestTimeoutMs} ms`)));
    req.on('error', (err) => finish(new SwitchyardError('connection', `cannot reach ${this.options.url}: ${describe(err)}`, undefined, { cause: err })));
    req.end();
    return {
      close() {
        finished = true;
        req.destroy();
      },
    };
  }

  /** Aborts every request in flight and closes pooled sockets. */
  destroy(): void {
    this.destroyed = true;
    for (const req of this.inflight) req.destroy();
    this.inflight.clear();
    this.agent.destroy();
  }

  private baseHeaders(): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    return headers;
  }

  private send(method: string, path: string, extra: Record<string, string>, body?: Buffer): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      if (this.destroyed) {
        reject(new SwitchyardError('connection', 'the client is closed'));
        return;
      }
      const headers = { ...this.baseHeaders(), ...extra };
      const req = this.request(this.endpoint(path), { method, headers, agent: this.agent, timeout: this.options.requestTimeoutMs }, (res) => {
        collect(res, (data) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }), reject);
      });
      this.inflight.add(req);
      req.on('close', () => this.inflight.delete(req));
      req.on('timeout', () => req.destroy(new SwitchyardError('connection', `${method} /${path}: no answer within ${this.options.requestTimeoutMs} ms`)));
      req.on('error', (err) =>
        reject(
          err instanceof SwitchyardError
            ? err
            : new SwitchyardError('connection', `${method} /${path}: cannot reach ${this.options.url}: ${describe(err)}`, undefined, { cause: err }),
        ),
      );
      req.end(body);
    });
  }
}

function collect(res: IncomingMessage, done: (body: Buffer) => void, fail?: (err: Error) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.destroy(new SwitchyardError('data', `response larger than ${MAX_BODY_BYTES} bytes`));
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => done(Buffer.concat(chunks)));
  res.on('error', (err) => fail?.(err));
  // A response destroyed before 'end' (client closed, oversize) must still settle the caller.
  res.on('close', () => {
    if (!res.complete) fail?.(new SwitchyardError('connection', 'the response was cut short'));
  });
}
