import { createHash } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Scopes, type Principal } from '@switchyard/auth';
import { EnvironmentSnapshots } from '@switchyard/store';
import { ClientAccessService } from '../client-access/client-access.service';
import { clientContextOf } from '../client-access/client-context';
import { ClientFlagCatalog } from '../client-access/client-flag-catalog.service';
import { filterKey } from '../client-access/client-flag-filter';
import { openEventStream } from '../sdk-delivery/event-stream';
import { environmentState, requestedEnvironment } from '../sdk-delivery/sdk-environment';
import { StreamHub } from '../sdk-delivery/stream-hub.service';
import { clientEtag, evaluateAllForClient, evaluateForClient } from './client-evaluation';
import { evaluateForOfrep } from './ofrep-response';

type RequestHeaders = Record<string, string | string[] | undefined>;

const REQUEST_SCHEMA = { type: 'object', properties: { context: { type: 'object', additionalProperties: true } } };

/** Reads `{context}`; anything else is OFREP's INVALID_CONTEXT. */
function contextOf(body: unknown, key?: string): { context?: Record<string, unknown>; failure?: { key?: string; errorCode: string; errorDetails: string } } {
  const context = body === undefined || body === null ? {} : (body as { context?: unknown }).context;
  if (context === undefined) return { context: {} };
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    return { failure: { ...(key ? { key } : {}), errorCode: 'INVALID_CONTEXT', errorDetails: 'context must be a JSON object' } };
  }
  return { context: context as Record<string, unknown> };
}

/**
 * OpenFeature Remote Evaluation Protocol: any OpenFeature SDK with an OFREP provider evaluates
 * Switchyard flags remotely. Evaluation uses the replica's in-memory snapshot.
 * Browsers' `client:<env>` tokens may use the two evaluation routes only, and get the filtered,
 * rule-free answers of `client-evaluation.ts`; their live updates are /client/v1/stream.
 */
@ApiTags('ofrep')
@ApiBearerAuth()
@Scopes('sdk:*')
@Controller('ofrep/v1')
export class OfrepController {
  constructor(
    private readonly snapshots: EnvironmentSnapshots,
    private readonly hub: StreamHub,
    private readonly client: ClientAccessService,
    private readonly catalog: ClientFlagCatalog,
  ) {}

  @Post('evaluate/flags/:key')
  @Scopes('sdk:*', 'client:*')
  @HttpCode(200)
  @ApiOperation({ summary: 'Evaluate one flag for a context' })
  @ApiBody({ schema: REQUEST_SCHEMA })
  async evaluate(
    @Param('key') key: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Query('environment') environment: string | undefined,
    @Headers() headers: RequestHeaders,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (principal.client) {
      const grant = this.client.grant(principal, request, environment);
      const state = await environmentState(this.snapshots, grant.environment);
      const parsed = clientContextOf(body, key);
      if (parsed.failure) return void reply.status(400).send(parsed.failure);
      const result = evaluateForClient(state, key, parsed.context, (flag) => this.catalog.visible(grant.filter, flag));
      if ('errorCode' in result) void reply.status(result.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400);
      return result;
    }
    const state = await environmentState(this.snapshots, requestedEnvironment(principal, environment, headers));
    const { context, failure } = contextOf(body, key);
    if (failure) return void reply.status(400).send(failure);
    const result = evaluateForOfrep(state, key, context!);
    if ('errorCode' in result) void reply.status(result.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400);
    return result;
  }

  @Post('evaluate/flags')
  @Scopes('sdk:*', 'client:*')
  @HttpCode(200)
  @ApiOperation({ summary: 'Evaluate every flag for a context; ETag/If-None-Match; eventStreams for change notification' })
  @ApiBody({ schema: REQUEST_SCHEMA })
  async bulk(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Query('environment') environment: string | undefined,
    @Headers() headers: RequestHeaders,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (principal.client) return this.clientBulk(body, principal, environment, headers, request, reply);
    const env = requestedEnvironment(principal, environment, headers);
    const state = await environmentState(this.snapshots, env);
    const { context, failure } = contextOf(body);
    if (failure) return void reply.status(400).send(failure);
    // The answer depends on the snapshot version and the context, so the ETag covers both.
    const etag = `W/"${state.environment}:${state.version}:${createHash('sha1').update(JSON.stringify(context)).digest('base64url').slice(0, 16)}"`;
    void reply.header('etag', etag).header('cache-control', 'no-cache');
    if (headers['if-none-match'] === etag) return void reply.status(304).send();
    const flags = state.compiled.keys().map((key) => evaluateForOfrep(state, key, context!));
    const origin = `${request.protocol}://${request.host}`;
    return {
      flags,
      metadata: { environment: state.environment, version: state.version },
      eventStreams: [{ type: 'sse', url: `${origin}/ofrep/v1/events?environment=${encodeURIComponent(env)}`, inactivityDelaySec: 120 }],
    };
  }

  /** A browser's bulk answer: visible flags only, no rule ids, no eventStreams (its stream is /client/v1/stream). */
  private async clientBulk(
    body: unknown,
    principal: Principal,
    environment: string | undefined,
    headers: RequestHeaders,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    const grant = this.client.grant(principal, request, environment);
    const state = await environmentState(this.snapshots, grant.environment);
    const parsed = clientContextOf(body);
    if (parsed.failure) return void reply.status(400).send(parsed.failure);
    const etag = clientEtag(state, filterKey(grant.filter), this.catalog.generation, parsed.contextJson);
    void reply.header('etag', etag).header('cache-control', 'no-cache');
    if (headers['if-none-match'] === etag) return void reply.status(304).send();
    const flags = evaluateAllForClient(state, parsed.context, (flag) => this.catalog.visible(grant.filter, flag));
    return { flags, metadata: { environment: state.environment, version: state.version } };
  }

  @Get('events')
  @ApiOperation({ summary: 'SSE change notifications for OFREP providers: `{"type":"refetchEvaluation","etag":...}` per change' })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Query('environment') environment: string | undefined,
    @Headers() headers: RequestHeaders,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const state = await environmentState(this.snapshots, requestedEnvironment(principal, environment, headers));
    this.hub.attach(openEventStream(request, reply), state, 'ofrep');
  }
}
