import { Module } from '@nestjs/common';
import { FlagsRepository } from './flags.repository';
import { FlagsService } from './flags.service';
import { UsageService } from './usage.service';

@Module({ providers: [FlagsRepository, FlagsService, UsageService], exports: [FlagsService, UsageService] })
export class FlagsModule {}
