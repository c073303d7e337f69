import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, actorOf, type Principal } from '@switchyard/auth';
import { RolloutsService, type ReleasePlan, type Rollout } from '@switchyard/deploy';
import { openApiRef, parseOptional } from '../http';
import { gateDecisionSchema, planReleaseSchema, startRolloutSchema } from './rollout-requests.dto';

/** A release's way through the environments: start, plan, approve, abort. */
@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/releases/:id')
export class ReleaseRolloutController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Post('rollout')
  @HttpCode(201)
  @Scopes('deploy')
  @ApiCreatedResponse({ description: 'The rollout, running from its first step' })
  @ApiConflictResponse({ description: 'Another rollout holds one of the environments (unless supersede), or the release is not published' })
  @ApiServiceUnavailableResponse({ description: 'No Kubernetes cluster (or, for canaries, no Prometheus) is configured' })
  @ApiBody({ schema: openApiRef(startRolloutSchema) })
  start(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<Rollout> {
    const { supersede } = parseOptional(startRolloutSchema, body);
    return this.rollouts.start(actorOf(principal), id, { supersede });
  }

  @Get('rollout')
  @Scopes('deploy:read', 'approve')
  @ApiOkResponse({ description: 'The latest rollout of the release: steps, the gate it waits at (with its plan), verdict, decisions' })
  rollout(@Param('id') id: string): Promise<Rollout> {
    return this.rollouts.forRelease(id);
  }

  /** A dry run against the cluster: nothing is changed. */
  @Post('plan')
  @HttpCode(200)
  @Scopes('deploy:read', 'approve')
  @ApiOkResponse({ description: 'Per environment: each object to apply with its action and field changes against the cluster, and the canary analysis' })
  @ApiBody({ schema: openApiRef(planReleaseSchema) })
  plan(@Param('id') id: string, @Body() body: unknown): Promise<ReleasePlan> {
    return this.rollouts.plan(id, parseOptional(planReleaseSchema, body).environment);
  }

  @Post('approve')
  @HttpCode(200)
  @Scopes('approve')
  @ApiOkResponse({ description: 'The rollout, moving past its gate (or past an inconclusive analysis: promote)' })
  @ApiConflictResponse({ description: 'The rollout is not waiting for approval' })
  @ApiBody({ schema: openApiRef(gateDecisionSchema) })
  approve(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<Rollout> {
    return this.rollouts.approve(actorOf(principal), id, parseOptional(gateDecisionSchema, body).comment);
  }

  @Post('abort')
  @HttpCode(200)
  @Scopes('approve')
  @ApiOkResponse({
    description: 'The rollout: aborted at once at a gate; otherwise abortRequested, and the driver removes the canary or rolls the environment back',
  })
  @ApiConflictResponse({ description: 'The rollout has already ended' })
  @ApiBody({ schema: openApiRef(gateDecisionSchema) })
  abort(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<Rollout> {
    return this.rollouts.abort(actorOf(principal), id, parseOptional(gateDecisionSchema, body).comment);
  }
}
