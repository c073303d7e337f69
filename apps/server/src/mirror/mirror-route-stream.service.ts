import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventStreams } from '../sse/event-streams.service';
import { MirrorRouteFeed } from './mirror-route-feed.service';
import { MirrorRoutesService, type Readable } from './mirror-routes.service';

/** Proxies' route streams: the route list on connect and after every change, in order, each revision once. */
@Injectable()
export class MirrorRouteStreams {
  constructor(
    private readonly routes: MirrorRoutesService,
    private readonly feed: MirrorRouteFeed,
    private readonly streams: EventStreams,
  ) {}

  /** `readable`: the routes the proxy's token is bound to (see readableMirrorRoutes), or 'all'. */
  open(request: FastifyRequest, reply: FastifyReply, readable: Readable): void {
    const stream = this.streams.open(request, reply);
    let sent = -1;
    // One read at a time, so two changes close together can never send their lists out of order.
    let queue = Promise.resolve();
    const push = () => {
      queue = queue
        .then(async () => {
          if (stream.closed) return;
          const current = await this.routes.current(readable);
          // Every replica hears a change once from itself and once through Redis.
          if (current.revision <= sent) return;
          sent = current.revision;
          stream.write(`event: routes\nid: ${current.revision}\ndata: ${JSON.stringify(current)}\n\n`);
        })
        .catch(() => {
          stream.response.destroy();
        });
    };
    const stop = this.feed.listen(push);
    stream.onClose(stop);
    push();
  }
}
