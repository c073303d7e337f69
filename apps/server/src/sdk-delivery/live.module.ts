import { Module } from '@nestjs/common';
import { FlagsModule } from '@switchyard/flags';
import { LiveController } from './live.controller';
import { SdkDeliveryModule } from './sdk-delivery.module';

/** The admin UI's live events (`/api/v1/live`), carried by the SDK stream hub. */
@Module({ imports: [FlagsModule, SdkDeliveryModule], controllers: [LiveController] })
export class LiveModule {}
