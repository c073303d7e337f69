import { Module } from '@nestjs/common';
import { ClusterAccess } from './kubernetes/cluster-access';
import { ReleasePoliciesService } from './policy/release-policies.service';
import { ManifestResolver } from './registry/manifest-resolver';
import { ReleaseMetrics } from './releases/release.metrics';
import { ReleasesRepository } from './releases/releases.repository';
import { ReleasesService } from './releases/releases.service';
import { RolloutEngine } from './rollout/rollout.engine';
import { RolloutPlanner } from './rollout/rollout-planner';
import { RolloutSignals } from './rollout/rollout-signals';
import { RolloutMetrics } from './rollout/rollout.metrics';
import { RolloutsRepository } from './rollout/rollouts.repository';
import { RolloutsService } from './rollout/rollouts.service';
import { WebhookNotifier } from './webhooks/webhook.notifier';

/**
 * The release record and its rollout. Needs the app's Database, AuditService, MetricsService,
 * APP_CONFIG and LOGGER (global modules).
 */
@Module({
  providers: [
    ReleasesRepository,
    ReleasesService,
    ReleaseMetrics,
    ClusterAccess,
    RolloutsRepository,
    RolloutsService,
    RolloutEngine,
    RolloutPlanner,
    RolloutSignals,
    RolloutMetrics,
    WebhookNotifier,
    ReleasePoliciesService,
    ManifestResolver,
  ],
  exports: [ReleasePoliciesService, ReleasesService, RolloutsService, RolloutEngine, RolloutsRepository, RolloutSignals, ClusterAccess, WebhookNotifier],
})
export class DeployModule {}
