import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, actorOf, type Principal } from '@switchyard/auth';
import { ReleasesService, type Release, type ReleasePage } from '@switchyard/deploy';
import { ApiQueryFrom, openApiRef, parseOptional } from '../http';
import { createReleaseSchema } from './create-release.dto';
import { listReleasesQuery } from './list-releases.query';
import { ServiceNamePipe } from './service-name.pipe';

@ApiTags('releases')
@ApiBearerAuth()
@Controller('api/v1/services/:service/releases')
export class ServiceReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  /** CI opens a release before its first stage; stages build, test and publish start pending. */
  @Post()
  @HttpCode(201)
  @Scopes('deploy')
  @ApiCreatedResponse({ description: 'The release, running, with its stages pending' })
  @ApiBody({ schema: openApiRef(createReleaseSchema) })
  create(@Param('service', ServiceNamePipe) service: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<Release> {
    return this.releases.create(actorOf(principal), { service, ...parseOptional(createReleaseSchema, body) });
  }

  @Get()
  @Scopes('deploy:read')
  @ApiOkResponse({ description: 'Newest first; pass nextCursor as cursor for the next page. Stages come without logTail (GET the release for it).' })
  @ApiQueryFrom(listReleasesQuery)
  list(@Param('service', ServiceNamePipe) service: string, @Query() query: unknown): Promise<ReleasePage> {
    const filter = parseOptional(listReleasesQuery, query);
    return this.releases.list({ ...filter, service, limit: filter.limit ?? 20 });
  }
}
