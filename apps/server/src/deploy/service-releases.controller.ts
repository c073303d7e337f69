import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, actorOf, type Principal } from '@switchyard/auth';
import { ReleasesService, type Release, type ReleasePage } from '@switchyard/deploy';
import { CreateReleaseDto } from './create-release.dto';
import { ListReleasesQuery } from './list-releases.query';
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
  create(@Param('service', ServiceNamePipe) service: string, @Body() body: CreateReleaseDto, @CurrentPrincipal() principal: Principal): Promise<Release> {
    return this.releases.create(actorOf(principal), { service, ...body });
  }

  @Get()
  @Scopes('deploy:read')
  @ApiOkResponse({ description: 'Newest first; pass nextCursor as cursor for the next page. Stages come without logTail (GET the release for it).' })
  list(@Param('service', ServiceNamePipe) service: string, @Query() query: ListReleasesQuery): Promise<ReleasePage> {
    return this.releases.list({ ...query, service, limit: query.limit ?? 20 });
  }
}
