import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Scopes, TargetsEnvironment, type Principal } from '@switchyard/auth';
import {
  ChangeRequestsService,
  FlagsService,
  UsageService,
  createFlagSchema,
  environmentConfigPatchSchema,
  toggleSchema,
  updateFlagSchema,
  type FlagSummary,
  type FlagVersionView,
  type FlagView,
  type PendingChange,
} from '@switchyard/flags';
import { etagOf, openApiSchema, parseBody, type RequestHeaders } from '../http';
import { answerWrite } from './write-outcome';
import { ParseVersionPipe, writeContext } from './write-context';

const IF_MATCH = { name: 'If-Match', required: false, description: 'The flag’s ETag; a stale value gets 409 with currentVersion' };
const CONFIRM = {
  name: 'X-Switchyard-Confirm',
  required: false,
  description:
    'Comma-separated environments confirmed for this change (required for environments that need confirmation and do not require approval). In an environment that requires approval the write answers 202 with a pending change request instead.',
};
const COMMENT = {
  name: 'X-Switchyard-Comment',
  required: false,
  description:
    'Why this change is made (percent-encoded, at most 1000 characters); required for environments with requiresComment. Kept in the audit log and history.',
};

@ApiTags('flags')
@ApiBearerAuth()
@Controller('api/v1/flags')
export class FlagsController {
  constructor(
    private readonly flags: FlagsService,
    private readonly usageService: UsageService,
    private readonly changeRequests: ChangeRequestsService,
  ) {}

  @Get()
  @Scopes('flags:read')
  @ApiQuery({ name: 'search', required: false })
  @ApiQuery({ name: 'tag', required: false })
  @ApiQuery({ name: 'owner', required: false })
  @ApiQuery({ name: 'stale', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'archived', required: false, enum: ['true', 'false'] })
  async list(
    @Query('search') search?: string,
    @Query('tag') tag?: string,
    @Query('owner') owner?: string,
    @Query('stale') stale?: string,
    @Query('archived') archived?: string,
  ): Promise<{ items: FlagSummary[] }> {
    return { items: await this.flags.listFlags({ search, tag, owner, stale: bool(stale), archived: bool(archived) }) };
  }

  @Post()
  @Scopes('flags:write')
  @ApiBody({ schema: openApiSchema(createFlagSchema) })
  async create(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FlagView> {
    const flag = await this.flags.createFlag(parseBody(createFlagSchema, body), writeContext(principal, headers));
    void reply.header('etag', etagOf(flag.version));
    return flag;
  }

  @Get(':key')
  @Scopes('flags:read')
  async get(@Param('key') key: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<FlagView> {
    return withEtag(reply, await this.flags.getFlag(key));
  }

  @Patch(':key')
  @Scopes('flags:write')
  @ApiHeader(IF_MATCH)
  @ApiHeader(CONFIRM)
  @ApiHeader(COMMENT)
  @ApiBody({ schema: openApiSchema(updateFlagSchema) })
  async update(
    @Param('key') key: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FlagView | PendingChange> {
    return answerWrite(reply, await this.changeRequests.updateFlag(key, parseBody(updateFlagSchema, body), writeContext(principal, headers)));
  }

  @Delete(':key')
  @Scopes('flags:write')
  @ApiOperation({ summary: 'Archive a flag (it leaves every snapshot; history is kept)' })
  @ApiHeader(IF_MATCH)
  @ApiHeader(CONFIRM)
  @ApiHeader(COMMENT)
  async archive(
    @Param('key') key: string,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FlagView | PendingChange> {
    return answerWrite(reply, await this.changeRequests.updateFlag(key, { archived: true }, writeContext(principal, headers)));
  }

  @Patch(':key/environments/:environment')
  @Scopes('flags:write')
  @TargetsEnvironment({ param: 'environment' })
  @ApiOperation({ summary: 'Change a flag’s targeting in one environment: enabled, rules, default, off variant' })
  @ApiHeader(IF_MATCH)
  @ApiHeader(CONFIRM)
  @ApiHeader(COMMENT)
  @ApiBody({ schema: openApiSchema(environmentConfigPatchSchema) })
  async patchEnvironment(
    @Param('key') key: string,
    @Param('environment') environment: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FlagView | PendingChange> {
    return answerWrite(
      reply,
      await this.changeRequests.patchEnvironment(key, environment, parseBody(environmentConfigPatchSchema, body), writeContext(principal, headers)),
    );
  }

  @Post(':key/environments/:environment/toggle')
  @HttpCode(200)
  @Scopes('flags:write')
  @TargetsEnvironment({ param: 'environment' })
  @ApiOperation({ summary: 'Turn a flag on or off in one environment (flips it when "enabled" is omitted)' })
  @ApiHeader(IF_MATCH)
  @ApiHeader(CONFIRM)
  @ApiHeader(COMMENT)
  @ApiBody({ schema: openApiSchema(toggleSchema), required: false })
  async toggle(
    @Param('key') key: string,
    @Param('environment') environment: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FlagView | PendingChange> {
    const { enabled } = parseBody(toggleSchema, body ?? {});
    return answerWrite(reply, await this.changeRequests.toggle(key, environment, enabled, writeContext(principal, headers)));
  }

  @Get(':key/usage')
  @Scopes('flags:read')
  @ApiOperation({ summary: 'Evaluations per environment and variant (totals and hourly) reported by SDKs' })
  @ApiQuery({ name: 'hours', required: false, description: 'How far back the hourly series goes (default 48)' })
  async usage(@Param('key') key: string, @Query('hours') hours?: string) {
    await this.flags.getFlag(key);
    const span = Math.min(Math.max(Number(hours ?? 48) || 48, 1), 24 * 90);
    return this.usageService.forFlag(key, new Date(Date.now() - span * 3_600_000));
  }

  @Get(':key/versions')
  @Scopes('flags:read')
  async versions(@Param('key') key: string): Promise<{ items: FlagVersionView[] }> {
    return { items: await this.flags.versions(key) };
  }

  @Get(':key/versions/:version')
  @Scopes('flags:read')
  version(@Param('key') key: string, @Param('version', ParseVersionPipe) version: number): Promise<FlagVersionView> {
    return this.flags.version(key, version);
  }

  @Post(':key/versions/:version/restore')
  @HttpCode(200)
  @Scopes('flags:write')
  @TargetsEnvironment({ query: 'environment' })
  @ApiOperation({
    summary: 'Write an earlier version as a new version: its definition and its targeting in every environment, or only one environment’s targeting',
  })
  @ApiQuery({ name: 'environment', required: false, description: 'Restore only this environment’s targeting; the flag’s definition is kept' })
  @ApiHeader(IF_MATCH)
  @ApiHeader(CONFIRM)
  @ApiHeader(COMMENT)
  async restore(
    @Param('key') key: string,
    @Param('version', ParseVersionPipe) version: number,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query('environment') environment?: string,
  ): Promise<FlagView | PendingChange> {
    return answerWrite(reply, await this.changeRequests.restore(key, version, writeContext(principal, headers), environment));
  }
}

function withEtag<T extends { version: number }>(reply: FastifyReply, value: T): T {
  void reply.header('etag', etagOf(value.version));
  return value;
}

function bool(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : value === 'true';
}
