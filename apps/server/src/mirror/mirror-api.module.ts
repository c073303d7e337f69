import { Module } from '@nestjs/common';
import { MirrorReportsController } from './mirror-reports.controller';
import { MirrorReportsService } from './mirror-reports.service';
import { MirrorRouteFeed } from './mirror-route-feed.service';
import { MirrorRoutesController } from './mirror-routes.controller';
import { MirrorRoutesService } from './mirror-routes.service';

@Module({
  controllers: [MirrorRoutesController, MirrorReportsController],
  providers: [MirrorRoutesService, MirrorRouteFeed, MirrorReportsService],
})
export class MirrorApiModule {}
