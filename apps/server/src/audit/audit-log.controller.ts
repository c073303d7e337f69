import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuditService, type AuditEvent } from '@switchyard/audit';
import { Scopes, UsersService } from '@switchyard/auth';
import { ApiQueryFrom, parseOptional } from '../http';
import { parseStrictDate } from '../request-fields';
import { auditQuery } from './audit-query.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit')
export class AuditLogController {
  constructor(
    private readonly audit: AuditService,
    private readonly users: UsersService,
  ) {}

  @Get()
  @Scopes('flags:read', 'deploy:read')
  @ApiQueryFrom(auditQuery)
  async list(@Query() raw: unknown): Promise<{ items: Array<AuditEvent & { actorName: string | null }>; nextCursor: string | null }> {
    const query = parseOptional(auditQuery, raw);
    const page = await this.audit.list({
      ...query,
      since: query.since ? parseStrictDate(query.since) : undefined,
      until: query.until ? parseStrictDate(query.until) : undefined,
      limit: query.limit ?? 50,
    });
    return { ...page, items: await this.users.withActorNames(page.items) };
  }
}
