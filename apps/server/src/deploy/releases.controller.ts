import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConflictResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, actorOf, type Principal } from '@switchyard/auth';
import { ReleasesService, STAGE_NAMES, type Release, type ReleasePage, type StageName } from '@switchyard/deploy';
import { NotFoundError } from '@switchyard/errors';
import { ApiQueryFrom, openApiRef, parseOptional } from '../http';
import { listAllReleasesQuery } from './list-releases.query';
import { reportStageSchema } from './report-stage.dto';

@ApiTags('releases')
@ApiBearerAuth()
@Controller('api/v1/releases')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Get()
  @Scopes('deploy:read')
  @ApiOkResponse({ description: 'Releases of every service (or one, with ?service=), newest first. Stages come without logTail (GET the release for it).' })
  @ApiQueryFrom(listAllReleasesQuery)
  list(@Query() query: unknown): Promise<ReleasePage> {
    const filter = parseOptional(listAllReleasesQuery, query);
    return this.releases.list({ ...filter, limit: filter.limit ?? 20 });
  }

  @Get(':id')
  @Scopes('deploy:read')
  @ApiOkResponse({ description: 'The release with every stage: timestamps, outcome, log tail, test summary, image digest' })
  get(@Param('id') id: string): Promise<Release> {
    return this.releases.get(id);
  }

  /** Stage reports from CI. A retried report is accepted once; an impossible transition is a 409. */
  @Patch(':id/stages/:stage')
  @Scopes('deploy')
  @ApiParam({ name: 'stage', enum: STAGE_NAMES })
  @ApiOkResponse({ description: 'The release after the report' })
  @ApiConflictResponse({ description: 'The transition is impossible (stage never started, release already ended, …)' })
  @ApiBody({ schema: openApiRef(reportStageSchema) })
  report(@Param('id') id: string, @Param('stage') stage: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<Release> {
    const report = parseOptional(reportStageSchema, body);
    if (!(STAGE_NAMES as readonly string[]).includes(stage)) throw new NotFoundError('stage', stage);
    return this.releases.report(actorOf(principal), id, stage as StageName, report);
  }
}
