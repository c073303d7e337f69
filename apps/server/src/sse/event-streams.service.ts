import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { EventStream, openEventStream } from './event-stream';

export interface EventStreamOptions {
  /** Told before a slow client is dropped, with the bytes it left unread (for a metric or a log line). */
  onDrop?: (buffered: number) => void;
}

/**
 * Every SSE connection of this replica, whatever it carries (SDK snapshots, OFREP notices, browser
 * values, the admin UI's live events, proxies' route lists): one heartbeat every `SSE_HEARTBEAT`
 * keeps idle connections from being cut by proxies and load balancers and lets clients notice a
 * dead server; every stream ends before the HTTP server closes, which open streams would otherwise
 * keep from ever closing.
 */
@Injectable()
export class EventStreams implements OnModuleInit, BeforeApplicationShutdown {
  private readonly streams = new Set<EventStream>();
  private heartbeat?: NodeJS.Timeout;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    this.heartbeat = setInterval(() => this.beat(), this.config.sseHeartbeatMs);
    this.heartbeat.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  get size(): number {
    return this.streams.size;
  }

  /** Takes the response over from Fastify; the stream gets heartbeats until it closes. */
  open(request: FastifyRequest, reply: FastifyReply, options: EventStreamOptions = {}): EventStream {
    const stream = new EventStream(openEventStream(request, reply), this.config.sseMaxBufferBytes, options.onDrop);
    this.streams.add(stream);
    stream.onClose(() => this.streams.delete(stream));
    return stream;
  }

  private beat(): void {
    for (const stream of this.streams) stream.write(': ping\n\n');
  }
}
