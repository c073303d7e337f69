import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, TargetsEnvironment, actorOf, requireScopeIn, type Principal } from '@switchyard/auth';
import { SchedulesService, type ScheduleView } from '@switchyard/flags';
import { ApiQueryFrom, openApiSchema, parseBody, parseOptional, type RequestHeaders } from '../http';
import { ChangeRequestIdentities } from '../change-requests/change-request-identities';
import { writeContext } from '../flags/write-context';
import { createScheduleSchema, scheduleDecisionSchema, scheduleQuery } from './schedule.dto';

/**
 * Scheduled flag changes ("turn on at 09:00 UTC Monday", rollout steps at set times). Writing one
 * needs the same access as writing the flag in its environment; in an environment that requires
 * approval it waits for another person's approval before it can fire.
 */
@ApiTags('schedules')
@ApiBearerAuth()
@Controller('api/v1')
export class SchedulesController {
  constructor(
    private readonly schedules: SchedulesService,
    private readonly identities: ChangeRequestIdentities,
  ) {}

  @Post('flags/:key/schedules')
  @Scopes('flags:write')
  @TargetsEnvironment('handler')
  @ApiOperation({ summary: 'Schedule a change of one environment (the same patch as PATCH …/environments/:env) at runAt' })
  @ApiHeader({ name: 'X-Switchyard-Confirm', required: false, description: 'The environment, when it requires confirmation (checked now, as for a write)' })
  @ApiBody({ schema: openApiSchema(createScheduleSchema) })
  async create(
    @Param('key') key: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
  ): Promise<ScheduleView> {
    const input = parseBody(createScheduleSchema, body);
    requireScopeIn(principal, ['flags:write'], input.environment);
    const ctx = writeContext(principal, headers);
    return this.schedules.create(key, input, { ...ctx, comment: input.comment || ctx.comment });
  }

  @Get('schedules')
  @Scopes('flags:read')
  @ApiQueryFrom(scheduleQuery)
  async list(@Query() raw: unknown): Promise<{ items: ScheduleView[] }> {
    return { items: await this.schedules.list(parseOptional(scheduleQuery, raw)) };
  }

  @Get('schedules/:id')
  @Scopes('flags:read')
  get(@Param('id') id: string): Promise<ScheduleView> {
    return this.schedules.get(id);
  }

  @Delete('schedules/:id')
  @Scopes('flags:write')
  @TargetsEnvironment('handler')
  @ApiOperation({ summary: 'Cancel a schedule that has not fired (409 SCHEDULE_CLOSED once it fired, failed or was cancelled)' })
  async cancel(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Headers() headers: RequestHeaders): Promise<ScheduleView> {
    const schedule = await this.schedules.get(id);
    requireScopeIn(principal, ['flags:write'], schedule.environment);
    return this.schedules.cancel(id, actorOf(principal), writeContext(principal, headers).comment);
  }

  @Post('schedules/:id/approve')
  @HttpCode(200)
  @Scopes('approve')
  @TargetsEnvironment('handler')
  @ApiOperation({
    summary: 'Approve a schedule in an environment that requires approval (never its author); it fires only if the flag is still at the approved version',
  })
  @ApiBody({ schema: openApiSchema(scheduleDecisionSchema), required: false })
  async approve(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<ScheduleView> {
    const { comment } = parseBody(scheduleDecisionSchema, body ?? {});
    const schedule = await this.schedules.get(id);
    requireScopeIn(principal, ['approve'], schedule.environment);
    return this.schedules.approve(id, await this.identities.reviewer(principal), comment, this.identities.of);
  }
}
