import { Module } from '@nestjs/common';
import { DeployModule } from '@switchyard/deploy';
import { ServiceEnvironmentsController } from './service-environments.controller';
import { ReleaseRolloutController } from './release-rollout.controller';
import { ReleasePolicyController } from './release-policy.controller';
import { ReleasesController } from './releases.controller';
import { RolloutsController } from './rollouts.controller';
import { ServiceReleasesController } from './service-releases.controller';

/** The deploy API; the rollout driver and the abandon sweeper run inside DeployModule. */
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
})
export class DeployApiModule {}
