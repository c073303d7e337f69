import { Global, Module } from '@nestjs/common';
import { MIRROR_CONTROL } from '@switchyard/deploy';
import { FlagsModule } from '@switchyard/flags';
import { MirrorReportsRepository, MirrorRoutesRepository } from '@switchyard/mirror';
import { SseModule } from '../sse/sse.module';
import { MirrorControlService } from './mirror-control.service';
import { MirrorReportsController } from './mirror-reports.controller';
import { MirrorReplayService } from './mirror-replay.service';
import { MirrorReportsService } from './mirror-reports.service';
import { MirrorRouteFeed } from './mirror-route-feed.service';
import { MirrorRouteStreams } from './mirror-route-stream.service';
import { MirrorRoutesController } from './mirror-routes.controller';
import { MirrorRoutesService } from './mirror-routes.service';

/**
 * Global so that the rollout's dark-launch stage (libs/deploy, which never imports the server)
 * finds the mirror through its MIRROR_CONTROL port.
 */
@Global()
@Module({
  imports: [FlagsModule, SseModule],
  controllers: [MirrorRoutesController, MirrorReportsController],
  providers: [
    MirrorRoutesRepository,
    MirrorReportsRepository,
    MirrorRoutesService,
    MirrorRouteFeed,
    MirrorRouteStreams,
    MirrorReportsService,
    MirrorReplayService,
    { provide: MIRROR_CONTROL, useClass: MirrorControlService },
  ],
  exports: [MIRROR_CONTROL],
})
export class MirrorApiModule {}
