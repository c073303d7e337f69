import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, reportableMirrorRoutes, type Principal } from '@switchyard/auth';
import { reportBatchSchema, type MirrorReport } from '@switchyard/mirror';
import { parseBody } from '../http';
import { MirrorReportsService } from './mirror-reports.service';

@ApiTags('mirror')
@ApiBearerAuth()
@Controller('api/v1/mirror/reports')
export class MirrorReportsController {
  constructor(private readonly reports: MirrorReportsService) {}

  @Post()
  @HttpCode(202)
  @Scopes('mirror:report:*')
  @ApiOperation({ summary: 'A batch of per-route, per-endpoint aggregates from a connected proxy (its token names the routes: mirror:report:<route>)' })
  ingest(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<{ accepted: number }> {
    return this.reports.ingest(parseBody(reportBatchSchema, body), reportableMirrorRoutes(principal.scopes));
  }

  @Get()
  @Scopes('mirror:read')
  @ApiOperation({
    summary: 'Per endpoint: counts, mismatch rates before and after noise, top fields with examples, status matrix, latency, and a verdict to gate on',
  })
  @ApiQuery({ name: 'route', required: false })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601 date-time; stored at hour granularity' })
  report(@Query('route') route?: string, @Query('since') since?: string): Promise<MirrorReport> {
    return this.reports.report(route, since);
  }
}
