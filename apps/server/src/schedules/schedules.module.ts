import { Module } from '@nestjs/common';
import { FlagsModule } from '@switchyard/flags';
import { ChangeRequestIdentities } from '../change-requests/change-request-identities';
import { ScheduleRunner } from './schedule-runner';
import { SchedulesController } from './schedules.controller';

@Module({ imports: [FlagsModule], controllers: [SchedulesController], providers: [ChangeRequestIdentities, ScheduleRunner] })
export class SchedulesModule {}
