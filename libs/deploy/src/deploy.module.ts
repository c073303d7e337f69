import { Module } from '@nestjs/common';
import { FlagsModule } from '@switchyard/flags';
import { ClusterAccess } from './kubernetes/cluster-access';
import { SecretSealer } from './kubernetes/secret-sealer';
import { ReleasePoliciesService } from './releases/release-policies.service';
import { ReleasePoliciesRepository } from './releases/release-policies.repository';
import { ApprovalPartiesRepository } from './policy/approval-parties.repository';
import { ManifestResolver } from './registry/manifest-resolver';
import { ReleaseMetrics } from './releases/release.metrics';
import { ReleasesRepository } from './releases/releases.repository';
import { ReleasesService } from './releases/releases.service';
import { ReleaseAbandonSweeper } from './rollout/release-abandon.sweeper';
import { RolloutCluster } from './rollout/rollout-cluster';
import { RolloutDriver } from './rollout/rollout.driver';
import { RolloutEngine } from './rollout/rollout.engine';
import { RolloutInterrupts } from './rollout/rollout-interrupts';
import { RolloutRecorder } from './rollout/rollout-recorder';
import { RolloutPlanner } from './rollout/rollout-planner';
import { RolloutSignals } from './rollout/rollout-signals';
import { RolloutMetrics } from './metrics/rollout.metrics';
import { RolloutsRepository } from './rollout/rollouts.repository';
import { RolloutsService } from './rollout/rollouts.service';
import { AnalysisStep } from './rollout/steps/analysis.step';
import { CanaryStep } from './rollout/steps/canary.step';
import { DeployStep } from './rollout/steps/deploy.step';
import { FlagReleaseStep } from './rollout/steps/flag-release.step';
import { DarkLaunchStep } from './rollout/steps/dark-launch.step';
import { GateStep } from './rollout/steps/gate.step';
import { PromoteStep } from './rollout/steps/promote.step';
import { RollbackStep } from './rollout/steps/rollback.step';
import { STEP_HANDLERS, StepHandlerRegistry, type StepHandler } from './rollout/step-handler';
import { WebhookNotifier } from './webhooks/webhook.notifier';

/** Every rollout step handler, one per StepKind: a new stage is one more entry here. */
const STEP_HANDLER_TYPES = [GateStep, DeployStep, PromoteStep, CanaryStep, AnalysisStep, RollbackStep, DarkLaunchStep, FlagReleaseStep];

/**
 * The release record and its rollout, with the replica's rollout driver (lease loop) and abandon
 * sweeper. Needs the app's Database, AuditService, MetricsService,
 * APP_CONFIG and LOGGER (global modules).
 */
@Module({
  // FlagsService: the flag-release step changes flags the way people do (versioned, audited, published).
  imports: [FlagsModule],
  providers: [
    ReleasesRepository,
    ReleasesService,
    ReleaseMetrics,
    ClusterAccess,
    SecretSealer,
    RolloutsRepository,
    RolloutsService,
    RolloutEngine,
    RolloutRecorder,
    RolloutCluster,
    RolloutInterrupts,
    ...STEP_HANDLER_TYPES,
    { provide: STEP_HANDLERS, useFactory: (...handlers: StepHandler[]) => handlers, inject: STEP_HANDLER_TYPES },
    StepHandlerRegistry,
    RolloutDriver,
    ReleaseAbandonSweeper,
    RolloutPlanner,
    RolloutSignals,
    RolloutMetrics,
    WebhookNotifier,
    ReleasePoliciesService,
    ReleasePoliciesRepository,
    ApprovalPartiesRepository,
    ManifestResolver,
  ],
  exports: [
    RolloutDriver,
    ReleaseAbandonSweeper,
    ReleasePoliciesService,
    ReleasesService,
    RolloutsService,
    RolloutEngine,
    RolloutsRepository,
    RolloutSignals,
    ClusterAccess,
    WebhookNotifier,
  ],
})
export class DeployModule {}
