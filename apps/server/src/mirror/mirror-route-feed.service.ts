import { EventEmitter } from 'node:events';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { RedisClient as Redis } from '@switchyard/redis';
import type { Logger } from 'pino';
import { LOGGER } from '@switchyard/observability';
import { RedisConnections } from '@switchyard/redis';

/**
 * Tells every replica that the mirror route set changed, so each can push the new list to the
 * proxies streaming from it. With Redis, replicas hear each other on `<prefix>mirror-routes`;
 * the replica that made the change also hears itself at once (listeners deduplicate by revision),
 * so a Redis outage never hides a change from the proxies connected here.
 */
@Injectable()
export class MirrorRouteFeed implements OnModuleInit, OnApplicationShutdown {
  private readonly events = new EventEmitter();
  private publisher?: Redis;
  private subscriber?: Redis;
  private readonly log: Logger;

  constructor(
    private readonly connections: RedisConnections,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'mirror-route-feed' });
    // One listener per connected proxy.
    this.events.setMaxListeners(0);
  }

  get channel(): string {
    return `${this.connections.prefix}mirror-routes`;
  }

  onModuleInit(): void {
    if (!this.connections.enabled) return;
    this.publisher = this.connections.create('mirror-routes-publisher');
    this.subscriber = this.connections.create('mirror-routes-subscriber', { offlineQueue: true });
    this.subscriber.subscribe(this.channel).catch((error: unknown) => this.log.warn({ err: error }, 'subscribe failed'));
    this.subscriber.on('message', (channel: string) => {
      if (channel === this.channel) this.events.emit('changed');
    });
    // Changes published while this replica was cut off from Redis are not replayed: resend the list.
    this.subscriber.on('ready', () => this.events.emit('changed'));
  }

  /** Call after the change has committed. */
  changed(): void {
    this.events.emit('changed');
    this.publisher
      ?.publish(this.channel, String(Date.now()))
      .catch((error: unknown) => this.log.warn({ err: error }, 'mirror route change not published; other replicas learn of it on their next reconnect'));
  }

  listen(listener: () => void): () => void {
    this.events.on('changed', listener);
    return () => this.events.off('changed', listener);
  }

  onApplicationShutdown(): void {
    this.events.removeAllListeners();
  }
}
