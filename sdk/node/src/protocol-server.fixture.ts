// A scripted server speaking the SDK wire protocol (snapshot with ETag, SSE stream, metrics), for
// unit specs that must provoke what the real server does not do on demand: a silent stream, a
// version gap, a refused token, a cut connection mid-event. The end-to-end suites in
// test/e2e/sdk run the same client against the real server.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Segment, Snapshot, SnapshotFlag } from '@switchyard/core';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export function booleanFlag(key: string, enabled: boolean, version = 1): SnapshotFlag {
  return {
    key,
    type: 'boolean',
    variants: { on: true, off: false },
    enabled,
    offVariant: 'off',
    rules: [],
    defaultServe: { variant: 'on' },
    version,
  };
}

export class ProtocolServer {
  readonly requests: RecordedRequest[] = [];
  readonly metrics: unknown[] = [];
  /** When set, every SDK endpoint answers with this status and an error body. */
  refuseWith: number | undefined;
  /** When true, the stream opens but never sends anything (no snapshot, no heartbeat). */
  silent = false;
  private readonly streams = new Set<ServerResponse>();
  private readonly streamWaiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    public snapshot: Snapshot,
  ) {}

  static async start(snapshot: Snapshot, port = 0): Promise<ProtocolServer> {
    const server = createServer();
    const instance = new ProtocolServer(server, snapshot);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => instance.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return instance;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Resolves when the number of open streams reaches `count`. */
  async streamsOpen(count = 1): Promise<void> {
    while (this.streams.size < count) await new Promise<void>((resolve) => this.streamWaiters.push(resolve));
  }

  /** Applies a change and sends it to every stream, as the server does after a flag write. */
  publish(flags: Record<string, SnapshotFlag | null>, segments: Record<string, Segment | null> = {}): number {
    const previousVersion = this.snapshot.version;
    this.apply(flags, segments);
    this.send('change', this.snapshot.version, { environment: this.snapshot.environment, version: this.snapshot.version, previousVersion, flags, segments });
    return this.snapshot.version;
  }

  /** Applies a change without telling anyone: the next published change leaves a gap. */
  applySilently(flags: Record<string, SnapshotFlag | null>, segments: Record<string, Segment | null> = {}): void {
    this.apply(flags, segments);
  }

  sendSnapshot(): void {
    this.send('snapshot', this.snapshot.version, this.snapshot);
  }

  ping(): void {
    for (const res of this.streams) res.write(': ping\n\n');
  }

  /** Writes raw bytes to every stream, e.g. half an event. */
  writeRaw(text: string): void {
    for (const res of this.streams) res.write(text);
  }

  /** Cuts every stream connection without a goodbye. */
  dropStreams(): void {
    for (const res of this.streams) res.socket?.destroy();
    this.streams.clear();
  }

  async close(): Promise<void> {
    this.dropStreams();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private apply(flags: Record<string, SnapshotFlag | null>, segments: Record<string, Segment | null>): void {
    const next: Snapshot = { ...this.snapshot, version: this.snapshot.version + 1, flags: { ...this.snapshot.flags }, segments: { ...this.snapshot.segments } };
    for (const [key, flag] of Object.entries(flags)) {
      if (flag === null) delete next.flags[key];
      else next.flags[key] = flag;
    }
    for (const [key, segment] of Object.entries(segments)) {
      if (segment === null) delete next.segments[key];
      else next.segments[key] = segment;
    }
    this.snapshot = next;
  }

  private send(event: string, id: number, data: unknown): void {
    const text = `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) res.write(text);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers, body });
      if (this.refuseWith !== undefined) {
        res.writeHead(this.refuseWith, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'refused by the fixture', details: [], requestId: 'r1' } }));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/sdk/v1/snapshot') return this.serveSnapshot(req, res);
      if (req.method === 'GET' && url.pathname === '/sdk/v1/stream') return this.serveStream(req, res);
      if (req.method === 'POST' && url.pathname === '/sdk/v1/metrics') {
        this.metrics.push(JSON.parse(body));
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted: 1 }));
        return;
      }
      res.writeHead(404).end();
    });
  }

  private serveSnapshot(req: IncomingMessage, res: ServerResponse): void {
    const etag = `"${this.snapshot.environment}:${this.snapshot.version}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    const json = Buffer.from(JSON.stringify(this.snapshot));
    if (String(req.headers['accept-encoding'] ?? '').includes('gzip')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', etag }).end(gzipSync(json));
    } else {
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(json);
    }
  }

  private serveStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    if (!this.silent && req.headers['last-event-id'] !== String(this.snapshot.version)) {
      res.write(`event: snapshot\nid: ${this.snapshot.version}\ndata: ${JSON.stringify(this.snapshot)}\n\n`);
    }
    for (const waiter of this.streamWaiters.splice(0)) waiter();
  }
}
