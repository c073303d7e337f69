import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ChangesService, type Change } from '@switchyard/audit';
import { Scopes, UsersService } from '@switchyard/auth';
import { ApiQueryFrom, parseOptional } from '../http';
import { changesQuery, parseSince } from './changes-query.dto';

/** The one timeline: every change that touched an environment, newest first (flags, rollouts, verdicts, mirror routes). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/changes')
export class ChangesController {
  constructor(
    private readonly changes: ChangesService,
    private readonly users: UsersService,
  ) {}

  @Get()
  @Scopes('flags:read', 'deploy:read')
  @ApiQueryFrom(changesQuery)
  async list(@Query() raw: unknown): Promise<{ items: Array<Change & { actorName: string | null }>; nextCursor: string | null }> {
    const query = parseOptional(changesQuery, raw);
    const page = await this.changes.list({ ...query, since: query.since ? parseSince(query.since) : undefined, limit: query.limit ?? 50 });
    return { ...page, items: await this.users.withActorNames(page.items) };
  }
}
