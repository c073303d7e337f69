import { mkdirSync, readdirSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import {
  CAPTURE_SEGMENT_SUFFIX,
  CaptureRedactor,
  captureHeaderLine,
  encodeBody,
  type CaptureRecordLine,
  type CaptureRouteLine,
  type HeaderValues,
  type MirrorRoute,
} from '@switchyard/mirror';
import type { Logger } from '@switchyard/observability';

/** Where and how much a recorder captures (`--record DIR` for every route, or a route's `record:`). */
export interface RecordSettings {
  dir: string;
  /** Percent of exchanges captured (0–100). */
  sample: number;
  /** All segments of the directory together stay under this. */
  maxBytes: number;
  /** Segments kept; the oldest is deleted when a new one would exceed this. */
  maxFiles: number;
  /** JSON paths masked in bodies (besides secret-looking keys), when the route names none itself. */
  redactPaths?: readonly string[];
}

/**
 * A cluster worker's share of a capture directory every worker records into: its segments carry
 * `-w<slot>-` in their names (so no two processes ever open the same file, and the replay reader,
 * which reads every segment of the directory in time order, needs nothing new), and it keeps
 * 1/`of` of the directory's byte and file bounds, deleting only its own segments. Slot 1 also
 * adopts segments of single-process runs and of slots beyond `of`, so the bound still holds after
 * the worker count changes.
 */
export interface CaptureShard {
  /** 1..of, stable across a worker's replacements. */
  slot: number;
  of: number;
}

const SHARD_TAG = /^capture-[^-]+-w(\d+)-/;

export const DEFAULT_RECORD_SETTINGS = { sample: 100, maxBytes: 256 * 1024 * 1024, maxFiles: 8 } as const;

/** Exchanges waiting for the writer; past this the newest are dropped and counted, never waited for. */
const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** What a queued exchange costs besides its bodies (headers, URL, bookkeeping), for the backlog bound. */
const OVERHEAD_BYTES = 1024;
/** Serialised exchanges written at once; each write also yields to the live path. */
const WRITE_BATCH_BYTES = 256 * 1024;
/** A segment's header line, well above its real size (about 120 bytes). */
const HEADER_ROOM = 512;

export type CaptureOutcome = 'written' | 'dropped_backlog' | 'dropped_too_large' | 'write_error';

interface PendingExchange {
  route: MirrorRoute;
  offsetMs: number;
  method: string;
  url: string;
  requestHeaders: HeaderValues;
  requestBody: Buffer;
  status: number;
  responseHeaders: HeaderValues;
  responseBody: Buffer;
  ms: number;
  bytes: number;
}

const RECORDING = Symbol('switchyard.recording');
type RecordedMessage = IncomingMessage & { [RECORDING]?: RecordingTap };

/**
 * Writes a sampled, size-bounded, rotating capture of primary exchanges. The live path only tees
 * bytes it already streams and queues the finished exchange; masking, serialising and writing
 * happen later on the writer's turn. When the writer falls behind, new exchanges are dropped and
 * counted: the live path never waits for a disk.
 */
export class CaptureRecorder {
  readonly startedAt = new Date();
  private readonly origin = performance.now();
  private readonly stamp = this.startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  private readonly segmentLimit: number;
  private readonly maxPendingBytes: number;
  private queue: PendingExchange[] = [];
  private pendingBytes = 0;
  private writing?: Promise<void>;
  private file?: { handle: FileHandle; size: number; routes: Set<string> };
  private sequence = 0;
  /** Segments in the directory, oldest first (earlier runs' too: the bound is the directory's). */
  private readonly segments: string[];
  private readonly redactors = new WeakMap<MirrorRoute, CaptureRedactor>();
  private readonly counter?: Counter<'route' | 'outcome'>;
  private closed = false;
  /** `w<slot>-` in a cluster worker's segment names, else nothing. */
  private readonly tag: string;
  private readonly maxFiles: number;
  readonly counts: Record<CaptureOutcome, number> = { written: 0, dropped_backlog: 0, dropped_too_large: 0, write_error: 0 };

  constructor(
    readonly settings: RecordSettings,
    private readonly options: { logger: Logger; registry?: Registry; maxPendingBytes?: number; shard?: CaptureShard },
  ) {
    mkdirSync(settings.dir, { recursive: true });
    const { shard } = options;
    this.tag = shard ? `w${shard.slot}-` : '';
    this.maxFiles = shard ? Math.max(1, Math.floor(settings.maxFiles / shard.of)) : settings.maxFiles;
    const maxBytes = shard ? Math.floor(settings.maxBytes / shard.of) : settings.maxBytes;
    this.segments = readdirSync(settings.dir)
      .filter((name) => name.startsWith('capture-') && name.endsWith(CAPTURE_SEGMENT_SUFFIX) && (!shard || ownedBy(name, shard)))
      .sort();
    this.segmentLimit = Math.max(64 * 1024, Math.floor(maxBytes / this.maxFiles));
    this.maxPendingBytes = options.maxPendingBytes ?? Math.min(DEFAULT_MAX_PENDING_BYTES, maxBytes);
    if (options.registry) {
      const existing = options.registry.getSingleMetric('switchyard_proxy_capture_records_total') as Counter<'route' | 'outcome'> | undefined;
      this.counter =
        existing ??
        new Counter({
          name: 'switchyard_proxy_capture_records_total',
          help: 'Exchanges the recorder sampled, by what became of them (written, or dropped because the writer fell behind or they were too large)',
          labelNames: ['route', 'outcome'],
          registers: [options.registry],
        });
    }
  }

  /** Live path: whether this exchange is captured; the tap only listens to the streams. */
  begin(route: MirrorRoute, request: IncomingMessage, startedAt: number): void {
    // A route's own `record.sample` wins over the directory's: in connected mode that is how a route
    // on the server asks for its share of the proxy's `--record` capture (its `dir` is not used there).
    const sample = route.record?.sample ?? this.settings.sample;
    if (this.closed || (sample < 100 && Math.random() * 100 >= sample)) return;
    (request as RecordedMessage)[RECORDING] = new RecordingTap(this, route, request, startedAt, startedAt - this.origin);
  }

  /** Live path: the tap of a request `begin` chose, if any. */
  static tapOf(request: IncomingMessage): RecordingTap | undefined {
    return (request as RecordedMessage)[RECORDING];
  }

  /** Live path: queues a finished exchange, or drops it when the writer is too far behind. */
  enqueue(exchange: PendingExchange): void {
    if (this.closed) return;
    if (exchange.bytes > this.segmentLimit) {
      this.count(exchange.route.name, 'dropped_too_large');
      return;
    }
    if (this.pendingBytes + exchange.bytes > this.maxPendingBytes) {
      this.count(exchange.route.name, 'dropped_backlog');
      return;
    }
    this.queue.push(exchange);
    this.pendingBytes += exchange.bytes;
    this.writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drainQueue());
  }

  /** Finishes what is queued and closes the segment. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.file?.handle.close();
    this.file = undefined;
  }

  /** Resolves once everything queued so far is on disk (tests, benchmarks). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * Masks and serialises queued exchanges and writes them in batches of up to WRITE_BATCH_BYTES: one
   * write per batch rather than per exchange, and each await gives the event loop back to live traffic.
   */
  private async drainQueue(): Promise<void> {
    let lines: string[] = [];
    let bytes = 0;
    let routes: string[] = [];
    const flush = async () => {
      if (lines.length === 0) return;
      const [text, names] = [lines.join(''), routes];
      lines = [];
      bytes = 0;
      routes = [];
      try {
        await this.file!.handle.write(text);
        for (const name of names) this.count(name, 'written');
      } catch (error) {
        for (const name of names) this.count(name, 'write_error');
        this.options.logger.warn({ err: error, dir: this.settings.dir }, 'writing the capture failed; its exchanges are dropped');
      }
    };
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        for (const exchange of batch) {
          this.pendingBytes -= exchange.bytes;
          const { route } = exchange;
          const redactor = this.redactorOf(route);
          let line: string;
          try {
            line = `${JSON.stringify(this.serialize(exchange, redactor))}\n`;
          } catch (error) {
            this.count(route.name, 'write_error');
            this.options.logger.warn({ err: error }, 'capturing an exchange failed; it is dropped');
            continue;
          }
          const header = `${JSON.stringify(routeLine(route, redactor))}\n`;
          const size = Buffer.byteLength(line);
          if (size + Buffer.byteLength(header) + HEADER_ROOM > this.segmentLimit) {
            this.count(route.name, 'dropped_too_large');
            continue;
          }
          const needsRoute = !this.file?.routes.has(route.name);
          const extra = needsRoute ? Buffer.byteLength(header) : 0;
          if (!this.file || this.file.size + size + extra > this.segmentLimit) {
            await flush();
            try {
              await this.rotate();
            } catch (error) {
              this.count(route.name, 'write_error');
              this.options.logger.warn({ err: error, dir: this.settings.dir }, 'opening a capture segment failed; the exchange is dropped');
              continue;
            }
          }
          const file = this.file!;
          if (!file.routes.has(route.name)) {
            file.routes.add(route.name);
            lines.push(header);
            file.size += Buffer.byteLength(header);
            bytes += Buffer.byteLength(header);
          }
          lines.push(line);
          routes.push(route.name);
          file.size += size;
          bytes += size;
          if (bytes >= WRITE_BATCH_BYTES) await flush();
        }
        await flush();
      }
    } finally {
      this.writing = undefined;
    }
  }

  private redactorOf(route: MirrorRoute): CaptureRedactor {
    let redactor = this.redactors.get(route);
    if (!redactor) {
      redactor = new CaptureRedactor({ headers: route.scrubHeaders, paths: route.record?.redactPaths ?? this.settings.redactPaths ?? [] });
      this.redactors.set(route, redactor);
    }
    return redactor;
  }

  private serialize(exchange: PendingExchange, redactor: CaptureRedactor): CaptureRecordLine {
    const request = redactor.body(exchange.requestHeaders, exchange.requestBody);
    const requestHeaders = redactor.headers(exchange.requestHeaders);
    if (request.decoded) delete requestHeaders['content-encoding'];
    const primary = redactor.response({ status: exchange.status, headers: exchange.responseHeaders, body: exchange.responseBody });
    return {
      type: 'exchange',
      route: exchange.route.name,
      offsetMs: Math.round(exchange.offsetMs * 1000) / 1000,
      request: { method: exchange.method, url: redactor.url(exchange.url), headers: requestHeaders, body: encodeBody(request.body) },
      primary: { status: primary.status, headers: primary.headers, body: encodeBody(primary.body), ms: Math.round(exchange.ms * 1000) / 1000 },
    };
  }

  private async rotate(): Promise<void> {
    await this.file?.handle.close();
    this.sequence++;
    const name = `capture-${this.stamp}-${this.tag}${String(this.sequence).padStart(6, '0')}${CAPTURE_SEGMENT_SUFFIX}`;
    this.segments.push(name);
    // The directory keeps at most maxFiles segments: the oldest go first.
    while (this.segments.length > this.maxFiles) {
      const oldest = this.segments.shift()!;
      await unlink(join(this.settings.dir, oldest)).catch(() => undefined);
    }
    const handle = await open(join(this.settings.dir, name), 'wx');
    const header = `${JSON.stringify(captureHeaderLine(this.startedAt, this.sequence))}\n`;
    await handle.write(header);
    this.file = { handle, size: Buffer.byteLength(header), routes: new Set() };
  }

  private count(route: string, outcome: CaptureOutcome): void {
    this.counts[outcome]++;
    this.counter?.labels(route, outcome).inc();
  }
}

function routeLine(route: MirrorRoute, redactor: CaptureRedactor): CaptureRouteLine {
  return {
    type: 'route',
    name: route.name,
    endpoints: route.endpoints,
    compare: { ignore: route.compare.ignore, unorderedArrays: route.compare.unorderedArrays, headers: route.compare.headers },
    verdict: route.verdict,
    noise: route.compare.noise,
    maxBodyBytes: route.maxBodyBytes,
    redact: { headers: redactor.rules.headers, paths: redactor.rules.paths },
  };
}

/**
 * One captured exchange on the live path: a second listener on the request and on the primary's
 * response (beside http-proxy's pipes), bounded by the route's maxBodyBytes. An exchange that
 * fails or outgrows the bound is forgotten; the finished one is queued for the writer.
 */
export class RecordingTap {
  private readonly requestChunks: Buffer[] = [];
  private requestSize = 0;
  private requestEnded = false;
  private response?: { status: number; headers: HeaderValues; chunks: Buffer[]; size: number; ms: number; ended: boolean };
  private abandoned = false;
  private readonly method: string;
  private readonly url: string;
  private readonly headers: HeaderValues;

  constructor(
    private readonly recorder: CaptureRecorder,
    private readonly route: MirrorRoute,
    request: IncomingMessage,
    private readonly startedAt: number,
    private readonly offsetMs: number,
  ) {
    this.method = request.method ?? 'GET';
    this.url = request.url ?? '/';
    this.headers = request.headers;
  }

  teeRequest(request: IncomingMessage): void {
    const limit = this.route.maxBodyBytes;
    request.on('data', (chunk: Buffer) => {
      if (this.abandoned) return;
      this.requestSize += chunk.length;
      if (this.requestSize > limit) return this.abandon();
      this.requestChunks.push(chunk);
    });
    request.once('end', () => {
      this.requestEnded = true;
      this.finishWhenReady();
    });
  }

  teePrimary(response: IncomingMessage): void {
    // A copy: http-proxy edits the headers (connection) right after this event.
    const capture = { status: response.statusCode ?? 0, headers: { ...response.headers }, chunks: [] as Buffer[], size: 0, ms: 0, ended: false };
    this.response = capture;
    const limit = this.route.maxBodyBytes;
    response.on('data', (chunk: Buffer) => {
      if (this.abandoned) return;
      capture.size += chunk.length;
      if (capture.size > limit) return this.abandon();
      capture.chunks.push(chunk);
    });
    response.once('end', () => {
      capture.ended = true;
      capture.ms = performance.now() - this.startedAt;
      this.finishWhenReady();
    });
  }

  private abandon(): void {
    this.abandoned = true;
    this.requestChunks.length = 0;
    if (this.response) this.response.chunks.length = 0;
  }

  private finishWhenReady(): void {
    const response = this.response;
    if (this.abandoned || !this.requestEnded || !response?.ended) return;
    this.abandoned = true;
    this.recorder.enqueue({
      route: this.route,
      offsetMs: this.offsetMs,
      method: this.method,
      url: this.url,
      requestHeaders: this.headers,
      requestBody: Buffer.concat(this.requestChunks, this.requestSize),
      status: response.status,
      responseHeaders: response.headers,
      responseBody: Buffer.concat(response.chunks, response.size),
      ms: response.ms,
      bytes: this.requestSize + response.size + OVERHEAD_BYTES,
    });
  }
}

/** Whether a segment found in the directory is this shard's to count and delete. */
function ownedBy(name: string, shard: CaptureShard): boolean {
  const slot = Number(SHARD_TAG.exec(name)?.[1] ?? 0);
  if (slot === shard.slot) return true;
  return shard.slot === 1 && (slot === 0 || slot > shard.of);
}
