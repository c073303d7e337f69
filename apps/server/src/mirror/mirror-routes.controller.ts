import { Body, Controller, Delete, Get, Headers, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Scopes, actorOf, readableMirrorRoutes, type Principal } from '@switchyard/auth';
import { openEventStream } from '../sdk-delivery/event-stream';
import { etagOf, ifMatchOf } from '../flags/write-context';
import { MirrorRouteFeed } from './mirror-route-feed.service';
import { MirrorRoutesService, type MirrorRouteList, type MirrorRouteView } from './mirror-routes.service';

type RequestHeaders = Record<string, string | string[] | undefined>;

const ROUTE_BODY = {
  schema: { type: 'object', description: 'A mirror route, in the same shape as one entry of a proxy route file (name, match, primary, candidate, sample, …)' },
} as const;
const IF_MATCH = { name: 'If-Match', required: false, description: 'The route’s ETag; a stale value gets 409 with currentVersion' };
const HEARTBEAT_MS = 15_000;

@ApiTags('mirror')
@ApiBearerAuth()
@Controller('api/v1/mirror/routes')
export class MirrorRoutesController {
  constructor(
    private readonly routes: MirrorRoutesService,
    private readonly feed: MirrorRouteFeed,
  ) {}

  // A proxy token (mirror:report:<route>) sees only its own routes.
  @Get()
  @Scopes('mirror:read', 'mirror:report:*')
  list(@CurrentPrincipal() principal: Principal): Promise<MirrorRouteList> {
    return this.routes.list(readableMirrorRoutes(principal.scopes));
  }

  @Get('stream')
  @Scopes('mirror:read', 'mirror:report:*')
  @ApiOperation({
    summary:
      'Server-Sent Events for proxies: the route list (`routes` event; a proxy token gets its own routes) on connect and after every change; `: ping` heartbeats',
  })
  stream(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): void {
    const readable = readableMirrorRoutes(principal.scopes);
    const out = openEventStream(request, reply);
    let sent = -1;
    let queue = Promise.resolve();
    const push = () => {
      queue = queue
        .then(async () => {
          if (out.destroyed) return;
          const current = await this.routes.current(readable);
          // Every replica hears a change once from itself and once through Redis.
          if (current.revision <= sent) return;
          sent = current.revision;
          out.write(`event: routes\nid: ${current.revision}\ndata: ${JSON.stringify(current)}\n\n`);
        })
        .catch(() => {
          out.destroy();
        });
    };
    const stop = this.feed.listen(push);
    const stopOnShutdown = this.feed.onShutdown(() => out.end());
    const heartbeat = setInterval(() => out.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    out.on('close', () => {
      stop();
      stopOnShutdown();
      clearInterval(heartbeat);
    });
    push();
  }

  @Get(':name')
  @Scopes('mirror:read', 'mirror:report:*')
  async get(@Param('name') name: string, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<MirrorRouteView> {
    return withEtag(reply, await this.routes.get(name, readableMirrorRoutes(principal.scopes)));
  }

  @Post()
  @Scopes('mirror:write')
  @ApiBody(ROUTE_BODY)
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<MirrorRouteView> {
    return withEtag(reply, await this.routes.create(body, actorOf(principal)));
  }

  @Put(':name')
  @Scopes('mirror:write')
  @ApiBody(ROUTE_BODY)
  @ApiHeader(IF_MATCH)
  async replace(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MirrorRouteView> {
    return withEtag(reply, await this.routes.replace(name, body, actorOf(principal), ifMatchOf(headers)));
  }

  @Delete(':name')
  @Scopes('mirror:write')
  @ApiHeader(IF_MATCH)
  remove(@Param('name') name: string, @CurrentPrincipal() principal: Principal, @Headers() headers: RequestHeaders): Promise<MirrorRouteView> {
    return this.routes.remove(name, actorOf(principal), ifMatchOf(headers));
  }
}

function withEtag(reply: FastifyReply, view: MirrorRouteView): MirrorRouteView {
  void reply.header('etag', etagOf(view.version));
  return view;
}
