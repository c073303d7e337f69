import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentPrincipal, Scopes, type Principal } from '@switchyard/auth';
import { UsageService } from '@switchyard/flags';
import { EnvironmentSnapshots } from '@switchyard/store';
import { openApiSchema, parseBody, type RequestHeaders } from '../http';
import { environmentState, requestedEnvironment } from '../remote-evaluation/sdk-environment';
import { StreamHub } from './stream-hub.service';

const ENVIRONMENT_QUERY = {
  name: 'environment',
  required: false,
  description: 'For tokens that may read several environments (default development); sdk:<env> tokens are pinned',
};
const ENVIRONMENT_HEADER = { name: 'X-Switchyard-Environment', required: false };

export const metricsSchema = z.strictObject({
  start: z.iso.datetime({ offset: true }).optional(),
  end: z.iso.datetime({ offset: true }).optional(),
  counts: z
    .array(
      z.strictObject({
        flag: z.string().min(1).max(128),
        variant: z.string().max(128).nullable(),
        count: z.number().int('must be an integer').min(0).max(1e12),
      }),
    )
    .max(1000, 'must have at most 1000 entries per post'),
});

@ApiTags('sdk')
@ApiBearerAuth()
@Scopes('sdk:*')
@Controller('sdk/v1')
export class SdkController {
  constructor(
    private readonly snapshots: EnvironmentSnapshots,
    private readonly hub: StreamHub,
    private readonly usage: UsageService,
  ) {}

  @Get('snapshot')
  @ApiOperation({ summary: 'The whole environment (flags, segments, version) for local evaluation; ETag/304, gzip' })
  @ApiQuery(ENVIRONMENT_QUERY)
  @ApiHeader(ENVIRONMENT_HEADER)
  async snapshot(
    @CurrentPrincipal() principal: Principal,
    @Query('environment') environment: string | undefined,
    @Headers() headers: RequestHeaders,
    @Res() reply: FastifyReply,
  ) {
    const state = await environmentState(this.snapshots, requestedEnvironment(principal, environment, headers));
    void reply.header('etag', state.etag).header('cache-control', 'no-cache').header('vary', 'Accept-Encoding, Authorization');
    if (headers['if-none-match'] === state.etag) return reply.status(304).send();
    void reply.header('content-type', 'application/json; charset=utf-8');
    if (/\bgzip\b/.test(String(headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(state.gzip);
    return reply.send(state.json);
  }

  @Get('stream')
  @ApiOperation({ summary: 'Server-Sent Events: `snapshot` on connect (unless Last-Event-ID is current), then `change` per version; `: ping` heartbeats' })
  @ApiQuery(ENVIRONMENT_QUERY)
  @ApiHeader(ENVIRONMENT_HEADER)
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Query('environment') environment: string | undefined,
    @Headers() headers: RequestHeaders,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const state = await environmentState(this.snapshots, requestedEnvironment(principal, environment, headers));
    const lastEventId = headers['last-event-id'];
    this.hub.attach(request, reply, state, 'switchyard', Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
  }

  @Post('metrics')
  @HttpCode(202)
  @ApiOperation({ summary: 'Evaluation counts per flag and variant from SDKs' })
  @ApiQuery(ENVIRONMENT_QUERY)
  @ApiBody({ schema: openApiSchema(metricsSchema) })
  async metrics(
    @CurrentPrincipal() principal: Principal,
    @Query('environment') environment: string | undefined,
    @Headers() headers: RequestHeaders,
    @Body() body: unknown,
  ) {
    const input = parseBody(metricsSchema, body);
    const env = requestedEnvironment(principal, environment, headers);
    await environmentState(this.snapshots, env);
    const accepted = await this.usage.record(env, input.counts, input.end ? new Date(input.end) : new Date());
    return { accepted };
  }
}
