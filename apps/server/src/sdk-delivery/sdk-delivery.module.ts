import { Module } from '@nestjs/common';
import { FlagsModule } from '@switchyard/flags';
import { SseModule } from '../sse/sse.module';
import { SdkController } from './sdk.controller';
import { StreamHub } from './stream-hub.service';

/** SDK delivery (`/sdk/v1`): snapshot, SSE stream and usage; its StreamHub also carries OFREP's and the admin UI's live events. */
@Module({ imports: [FlagsModule, SseModule], controllers: [SdkController], providers: [StreamHub], exports: [StreamHub] })
export class SdkDeliveryModule {}
