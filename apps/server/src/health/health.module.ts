import { Module } from '@nestjs/common';
import { DeployModule } from '@switchyard/deploy';
import { HealthController } from './health.controller';

// DeployModule for ClusterAccess: /readyz says why rollouts cannot reach the cluster.
@Module({ imports: [DeployModule], controllers: [HealthController] })
export class HealthModule {}
