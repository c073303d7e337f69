import { Module } from '@nestjs/common';
import { ChangeRequestsService } from './change-requests.service';
import { FlagsRepository } from './flags.repository';
import { FlagsService } from './flags.service';
import { SchedulesService } from './schedules.service';
import { UsageService } from './usage.service';

@Module({
  providers: [FlagsRepository, FlagsService, UsageService, ChangeRequestsService, SchedulesService],
  exports: [FlagsService, UsageService, ChangeRequestsService, SchedulesService],
})
export class FlagsModule {}
