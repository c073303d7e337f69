import { Module } from '@nestjs/common';
import { ReleaseMetrics } from './releases/release.metrics';
import { ReleasesRepository } from './releases/releases.repository';
import { ReleasesService } from './releases/releases.service';

/** The release record. Needs the app's Database, AuditService and MetricsService (global modules). */
@Module({ providers: [ReleasesRepository, ReleasesService, ReleaseMetrics], exports: [ReleasesService] })
export class DeployModule {}
