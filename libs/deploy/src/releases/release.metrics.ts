import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsService } from '@switchyard/observability';

/** The release metrics: stage durations and release outcomes, by service (bounded: services, not releases). */
@Injectable()
export class ReleaseMetrics {
  private readonly stageDuration: Histogram<'service' | 'stage' | 'outcome'>;
  private readonly releases: Counter<'service' | 'outcome'>;

  constructor(metrics: MetricsService) {
    this.stageDuration = metrics.histogram(
      'switchyard_release_stage_duration_seconds',
      'Duration of finished release stages (build, test, publish) by service and outcome',
      ['service', 'stage', 'outcome'],
      [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    );
    this.releases = metrics.counter('switchyard_releases_total', 'Releases that ended, by service and outcome', ['service', 'outcome']);
  }

  stageFinished(service: string, stage: string, outcome: string, seconds: number): void {
    this.stageDuration.observe({ service, stage, outcome }, Math.max(0, seconds));
  }

  releaseFinished(service: string, outcome: string): void {
    this.releases.inc({ service, outcome });
  }
}
