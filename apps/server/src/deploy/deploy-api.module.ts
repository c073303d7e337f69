import { Module } from '@nestjs/common';
import { DeployModule } from '@switchyard/deploy';
import { ReleaseAbandonSweeper } from './release-abandon.sweeper';
import { ReleasesController } from './releases.controller';
import { ServiceReleasesController } from './service-releases.controller';

@Module({ imports: [DeployModule], controllers: [ServiceReleasesController, ReleasesController], providers: [ReleaseAbandonSweeper] })
export class DeployApiModule {}
