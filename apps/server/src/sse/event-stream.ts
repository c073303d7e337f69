import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Takes the response over from Fastify and opens an SSE stream, keeping headers set by hooks (request id, CORS). */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): ServerResponse {
  void reply.hijack();
  const raw = reply.raw;
  const inherited = reply.getHeaders() as Record<string, string | string[] | number>;
  raw.writeHead(200, {
    ...inherited,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Tell nginx-style proxies not to buffer the stream.
    'x-accel-buffering': 'no',
  });
  request.raw.socket.setNoDelay(true);
  request.raw.socket.setKeepAlive(true);
  return raw;
}

/**
 * One open SSE connection. A client whose unsent buffer passes the limit is dropped (it reconnects
 * and resumes) instead of growing this replica's memory without bound.
 */
export class EventStream {
  constructor(
    readonly response: ServerResponse,
    private readonly maxBufferBytes: number,
    /** Told before a slow client is dropped, with the bytes it left unread. */
    private readonly onDrop?: (buffered: number) => void,
  ) {}

  get closed(): boolean {
    return this.response.destroyed;
  }

  /** Writes one frame; false when the stream is gone or was just dropped for falling behind. */
  write(frame: string): boolean {
    const response = this.response;
    if (response.destroyed) return false;
    if (response.writableLength > this.maxBufferBytes) {
      this.onDrop?.(response.writableLength);
      response.destroy();
      return false;
    }
    response.write(frame);
    return true;
  }

  onClose(listener: () => void): void {
    this.response.on('close', listener);
  }

  end(): void {
    this.response.end();
  }
}
