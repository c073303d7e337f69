import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Scopes, type Principal } from '@switchyard/auth';
import { OfrepService, type OfrepReply } from './ofrep.service';

const REQUEST_SCHEMA = { type: 'object', properties: { context: { type: 'object', additionalProperties: true } } };

/**
 * OpenFeature Remote Evaluation Protocol: any OpenFeature SDK with an OFREP provider evaluates
 * Switchyard flags remotely (see OfrepService). Browsers' `client:<env>` tokens may use the two
 * evaluation routes only.
 */
@ApiTags('ofrep')
@ApiBearerAuth()
@Scopes('sdk:*')
@Controller('ofrep/v1')
export class OfrepController {
  constructor(private readonly ofrep: OfrepService) {}

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
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return send(reply, await this.ofrep.evaluate(principal, environment, request, key, body));
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
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return send(reply, await this.ofrep.bulk(principal, environment, request, body));
  }

  @Get('events')
  @ApiOperation({ summary: 'SSE change notifications for OFREP providers: `{"type":"refetchEvaluation","etag":...}` per change' })
  events(
    @CurrentPrincipal() principal: Principal,
    @Query('environment') environment: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.ofrep.events(principal, environment, request, reply);
  }
}

function send(reply: FastifyReply, answer: OfrepReply): unknown {
  if (answer.etag !== undefined) void reply.header('etag', answer.etag).header('cache-control', 'no-cache');
  if (answer.status === 304) return void reply.status(304).send();
  if (answer.status !== 200) void reply.status(answer.status);
  return answer.body;
}
