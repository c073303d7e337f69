import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuditService, type AuditEvent } from '@switchyard/audit';
import { Scopes } from '@switchyard/auth';
import { parseStrictDate } from '../request-fields';
import { AuditQueryDto } from './audit-query.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit')
export class AuditLogController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Scopes('flags:read', 'deploy:read')
  list(@Query() query: AuditQueryDto): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    return this.audit.list({
      ...query,
      since: query.since ? parseStrictDate(query.since) : undefined,
      until: query.until ? parseStrictDate(query.until) : undefined,
      limit: query.limit ?? 50,
    });
  }
}
