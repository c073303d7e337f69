import { Module } from '@nestjs/common';
import { DeployModule } from '@switchyard/deploy';
import { ServiceEnvironmentsController } from './service-environments.controller';
import { ReleaseAbandonSweeper } from './release-abandon.sweeper';
import { ReleaseRolloutController } from './release-rollout.controller';
import { ReleasePolicyController } from './release-policy.controller';
import { ReleasesController } from './releases.controller';
import { RolloutDriver } from './rollout.driver';
import { RolloutsController } from './rollouts.controller';
import { ServiceReleasesController } from './service-releases.controller';

@Module({
  imports: [DeployModule],
  controllers: [
    ServiceReleasesController,
    ReleasesController,
    ReleaseRolloutController,
    RolloutsController,
    ServiceEnvironmentsController,
    ReleasePolicyController,
  ],
  providers: [ReleaseAbandonSweeper, RolloutDriver],
})
export class DeployApiModule {}
