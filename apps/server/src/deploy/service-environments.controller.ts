import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, actorOf, type Principal } from '@switchyard/auth';
import { RolloutsService, type EnvironmentDeployment, type EnvironmentView, type Rollout } from '@switchyard/deploy';
import { ValidationFailedError } from '@switchyard/errors';
import { openApiRef, parseOptional } from '../http';
import { rollbackEnvironmentSchema } from './rollout-requests.dto';
import { ServiceNamePipe } from './service-name.pipe';

const ENVIRONMENT = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What runs where: each environment's current release and history (with digests), and rollback. */
@ApiTags('environments')
@ApiBearerAuth()
@Controller('api/v1/services/:service/environments')
export class ServiceEnvironmentsController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Get()
  @Scopes('deploy:read', 'approve')
  @ApiOkResponse({ description: "The service's environments with what runs in each" })
  async list(
    @Param('service', ServiceNamePipe) service: string,
  ): Promise<{ items: Array<{ environment: string; current: Omit<EnvironmentDeployment, 'workloads'> | null }> }> {
    return { items: await this.rollouts.environments(service) };
  }

  @Get(':environment')
  @Scopes('deploy:read', 'approve')
  @ApiOkResponse({ description: 'Current and previous releases (version, image digest, who, when; rollbacks marked) and the active rollout' })
  get(@Param('service', ServiceNamePipe) service: string, @Param('environment') environment: string): Promise<EnvironmentView> {
    return this.rollouts.environment(service, checkEnvironment(environment));
  }

  /** Restores the previous successful release (no analysis); runs in the background under the environment's lock. */
  @Post(':environment/rollback')
  @HttpCode(202)
  @Scopes('deploy', 'approve')
  @ApiAcceptedResponse({ description: 'The rollback, as a rollout of kind rollback; follow it at /api/v1/rollouts/{id}' })
  @ApiConflictResponse({ description: 'A rollout holds the environment (unless supersede), or there is nothing to roll back to' })
  @ApiBody({ schema: openApiRef(rollbackEnvironmentSchema) })
  rollback(
    @Param('service', ServiceNamePipe) service: string,
    @Param('environment') environment: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Rollout> {
    const request = parseOptional(rollbackEnvironmentSchema, body);
    return this.rollouts.rollback(actorOf(principal), service, checkEnvironment(environment), request);
  }
}

function checkEnvironment(environment: string): string {
  if (!ENVIRONMENT.test(environment)) throw new ValidationFailedError([{ path: 'environment', problem: 'must be an environment name (a DNS label)' }]);
  return environment;
}
