import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuditService, type AuditEvent } from '@switchyard/audit';
import { Scopes, UsersService } from '@switchyard/auth';
import { parseStrictDate } from '../request-fields';
import { AuditQueryDto } from './audit-query.dto';

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
  async list(@Query() query: AuditQueryDto): Promise<{ items: Array<AuditEvent & { actorName: string | null }>; nextCursor: string | null }> {
    const page = await this.audit.list({
      ...query,
      since: query.since ? parseStrictDate(query.since) : undefined,
      until: query.until ? parseStrictDate(query.until) : undefined,
      limit: query.limit ?? 50,
    });
    return { ...page, items: await this.users.withActorNames(page.items) };
  }
}
