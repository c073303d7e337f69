import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Scopes } from '@switchyard/auth';
import { RolloutsService, type Rollout, type RolloutMeasurements } from '@switchyard/deploy';
import { ApiQueryFrom, parseOptional } from '../http';
import { listRolloutsQuery } from './rollout-requests.dto';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class RolloutsController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Get()
  @Scopes('deploy:read', 'approve')
  @ApiOkResponse({ description: 'Rollouts and rollbacks, newest first (?status=running,waiting for the active ones)' })
  @ApiQueryFrom(listRolloutsQuery)
  async list(@Query() query: unknown): Promise<{ items: Rollout[] }> {
    const filter = parseOptional(listRolloutsQuery, query);
    return { items: await this.rollouts.list({ service: filter.service, statuses: filter.status, limit: filter.limit ?? 20 }) };
  }

  @Get(':id')
  @Scopes('deploy:read', 'approve')
  @ApiOkResponse({ description: 'One rollout with its steps' })
  get(@Param('id') id: string): Promise<Rollout> {
    return this.rollouts.get(id);
  }

  @Get(':id/measurements')
  @Scopes('deploy:read', 'approve')
  @ApiOkResponse({ description: 'Every canary measurement, per environment, in order: values, thresholds and outcome (the analysis chart)' })
  measurements(@Param('id') id: string): Promise<RolloutMeasurements> {
    return this.rollouts.measurements(id);
  }
}
