import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Scopes } from '@switchyard/auth';
import { FlagsService } from '@switchyard/flags';
import { EnvironmentSnapshots, type EnvironmentState } from '@switchyard/store';
import { StreamHub } from './stream-hub.service';

/**
 * The admin UI's one stream per browser: change notices of every environment on one connection
 * (a browser allows about six per host, so one per environment and tab starved the UI).
 */
@ApiTags('live')
@ApiBearerAuth()
@Controller('api/v1/live')
export class LiveController {
  constructor(
    private readonly flags: FlagsService,
    private readonly snapshots: EnvironmentSnapshots,
    private readonly hub: StreamHub,
  ) {}

  @Get()
  @Scopes('flags:read')
  @ApiOperation({
    summary:
      'Server-Sent Events for the admin UI: `change` for every environment (the SDK stream’s data; `full: true` when a whole environment was reloaded), `ready` once connected; `: ping` heartbeats',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume: environments that moved since are sent as `full: true` changes' })
  @ApiQuery({ name: 'since', required: false, description: 'Last-Event-ID for a client that cannot set the header (a new EventSource)' })
  async live(
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('since') since: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Loaded before attaching, so later changes arrive as increments with the flags they touch.
    const environments = await this.flags.environments();
    const states = await Promise.all(environments.map((environment) => this.snapshots.ensure(environment.key)));
    this.hub.attachLive(
      request,
      reply,
      states.filter((state): state is EnvironmentState => state !== undefined),
      lastEventId ?? since,
    );
  }
}
