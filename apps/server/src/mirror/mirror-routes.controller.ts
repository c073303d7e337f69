import { Body, Controller, Delete, Get, Headers, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Scopes, actorOf, readableMirrorRoutes, type Principal } from '@switchyard/auth';
import { etagOf, ifMatchOf, type RequestHeaders } from '../http';
import { MirrorRouteStreams } from './mirror-route-stream.service';
import { MirrorRoutesService, type MirrorRouteList, type MirrorRouteView } from './mirror-routes.service';

const ROUTE_BODY = {
  schema: { type: 'object', description: 'A mirror route, in the same shape as one entry of a proxy route file (name, match, primary, candidate, sample, …)' },
} as const;
const IF_MATCH = { name: 'If-Match', required: false, description: 'The route’s ETag; a stale value gets 409 with currentVersion' };

@ApiTags('mirror')
@ApiBearerAuth()
@Controller('api/v1/mirror/routes')
export class MirrorRoutesController {
  constructor(
    private readonly routes: MirrorRoutesService,
    private readonly streams: MirrorRouteStreams,
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
    this.streams.open(request, reply, readableMirrorRoutes(principal.scopes));
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
