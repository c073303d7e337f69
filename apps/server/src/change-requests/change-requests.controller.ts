import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, TargetsEnvironment, requireScopeIn, type Principal } from '@switchyard/auth';
import { ChangeRequestsService, type ChangeRequestView } from '@switchyard/flags';
import { ApiQueryFrom, openApiSchema, parseBody, parseOptional } from '../http';
import { changeRequestQuery, decisionSchema } from './change-request.dto';
import { ChangeRequestIdentities } from './change-request-identities';

/**
 * Four-eyes change requests: writes to environments that require approval wait here until someone
 * other than their author (and other than a token the author created) approves or rejects them.
 */
@ApiTags('change-requests')
@ApiBearerAuth()
@Controller('api/v1/change-requests')
export class ChangeRequestsController {
  constructor(
    private readonly changeRequests: ChangeRequestsService,
    private readonly identities: ChangeRequestIdentities,
  ) {}

  @Get()
  @Scopes('flags:read')
  @ApiQueryFrom(changeRequestQuery)
  async list(@Query() raw: unknown): Promise<{ items: ChangeRequestView[] }> {
    return { items: await this.changeRequests.list(parseOptional(changeRequestQuery, raw)) };
  }

  @Get(':id')
  @Scopes('flags:read')
  get(@Param('id') id: string): Promise<ChangeRequestView> {
    return this.changeRequests.get(id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Scopes('approve')
  @TargetsEnvironment('handler')
  @ApiOperation({ summary: 'Approve and apply exactly the reviewed change (409 CHANGE_REQUEST_STALE when the flag moved since)' })
  @ApiBody({ schema: openApiSchema(decisionSchema), required: false })
  async approve(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<ChangeRequestView> {
    const { comment } = parseBody(decisionSchema, body ?? {});
    await this.requireApproveIn(id, principal);
    return this.changeRequests.approve(id, await this.identities.reviewer(principal), comment, this.identities.of);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Scopes('approve')
  @TargetsEnvironment('handler')
  @ApiOperation({ summary: 'Reject with a comment (required); nothing is applied' })
  @ApiBody({ schema: openApiSchema(decisionSchema) })
  async reject(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<ChangeRequestView> {
    const { comment } = parseBody(decisionSchema, body ?? {});
    await this.requireApproveIn(id, principal);
    return this.changeRequests.reject(id, await this.identities.reviewer(principal), comment, this.identities.of);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Scopes('flags:write')
  @ApiOperation({ summary: 'The author takes the request back' })
  @ApiBody({ schema: openApiSchema(decisionSchema), required: false })
  async withdraw(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<ChangeRequestView> {
    const { comment } = parseBody(decisionSchema, body ?? {});
    return this.changeRequests.withdraw(id, await this.identities.reviewer(principal), comment, this.identities.of);
  }

  /** A reviewer needs `approve` in every environment the request changes (a per-environment role may grant it in some only). */
  private async requireApproveIn(id: string, principal: Principal): Promise<void> {
    for (const environment of (await this.changeRequests.get(id)).environments) requireScopeIn(principal, ['approve'], environment);
  }
}
