import { Module } from '@nestjs/common';
import { ChangeRequestsRepository } from './change-requests.repository';
import { ChangeRequestsService } from './change-requests.service';
import { FlagsRepository } from './flags.repository';
import { FlagsService } from './flags.service';
import { SchedulesRepository } from './schedules.repository';
import { SchedulesService } from './schedules.service';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

@Module({
  providers: [
    FlagsRepository,
    FlagsService,
    UsageRepository,
    UsageService,
    ChangeRequestsRepository,
    ChangeRequestsService,
    SchedulesRepository,
    SchedulesService,
  ],
  exports: [FlagsService, UsageService, ChangeRequestsService, SchedulesService],
})
export class FlagsModule {}
