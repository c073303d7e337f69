import { Module } from '@nestjs/common';
import { FlagsModule } from '@switchyard/flags';
import { ClientAccessModule } from '../client-access/client-access.module';
import { OfrepController } from '../ofrep/ofrep.controller';
import { LiveController } from './live.controller';
import { SdkController } from './sdk.controller';
import { StreamHub } from './stream-hub.service';

@Module({ imports: [FlagsModule, ClientAccessModule], controllers: [SdkController, OfrepController, LiveController], providers: [StreamHub], exports: [StreamHub] })
export class SdkDeliveryModule {}
