import { Module } from '@nestjs/common';
import { FlagsModule } from '@switchyard/flags';
import { EnvironmentsController } from './environments.controller';
import { FlagsController } from './flags.controller';
import { SegmentsController } from './segments.controller';

@Module({ imports: [FlagsModule], controllers: [FlagsController, SegmentsController, EnvironmentsController] })
export class FlagsApiModule {}
