import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Scopes, type Principal } from '@switchyard/auth';
import { ChangeRequestsService, FlagsService, createSegmentSchema, updateSegmentSchema, type SegmentView } from '@switchyard/flags';
import { answerWrite } from './write-outcome';
import { etagOf, openApiSchema, parseBody, type RequestHeaders } from '../http';
import { writeContext } from './write-context';

@ApiTags('segments')
@ApiBearerAuth()
@Controller('api/v1/segments')
export class SegmentsController {
  constructor(
    private readonly flags: FlagsService,
    private readonly changeRequests: ChangeRequestsService,
  ) {}

  @Get()
  @Scopes('flags:read')
  async list(): Promise<{ items: SegmentView[] }> {
    return { items: await this.flags.segments() };
  }

  @Post()
  @Scopes('flags:write')
  @ApiBody({ schema: openApiSchema(createSegmentSchema) })
  async create(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const segment = await this.flags.createSegment(parseBody(createSegmentSchema, body), writeContext(principal, headers));
    void reply.header('etag', etagOf(segment.version));
    return segment;
  }

  @Get(':key')
  @Scopes('flags:read')
  async get(@Param('key') key: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<SegmentView> {
    const segment = await this.flags.getSegment(key);
    void reply.header('etag', etagOf(segment.version));
    return segment;
  }

  @Patch(':key')
  @Scopes('flags:write')
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiHeader({ name: 'X-Switchyard-Confirm', required: false, description: 'Changing conditions changes every environment: confirm those that need it' })
  @ApiHeader({
    name: 'X-Switchyard-Comment',
    required: false,
    description: 'Why (percent-encoded); required when conditions change and an environment requires comments',
  })
  @ApiBody({ schema: openApiSchema(updateSegmentSchema) })
  async update(
    @Param('key') key: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answerWrite(reply, await this.changeRequests.updateSegment(key, parseBody(updateSegmentSchema, body), writeContext(principal, headers)));
  }

  @Delete(':key')
  @HttpCode(204)
  @Scopes('flags:write')
  @ApiHeader({ name: 'If-Match', required: false })
  async remove(@Param('key') key: string, @CurrentPrincipal() principal: Principal, @Headers() headers: RequestHeaders): Promise<void> {
    await this.flags.deleteSegment(key, writeContext(principal, headers));
  }
}
