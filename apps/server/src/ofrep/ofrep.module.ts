import { Module } from '@nestjs/common';
import { ClientAccessModule } from '../client-access/client-access.module';
import { SdkDeliveryModule } from '../sdk-delivery/sdk-delivery.module';
import { OfrepController } from './ofrep.controller';
import { OfrepService } from './ofrep.service';

/** OpenFeature Remote Evaluation Protocol (`/ofrep/v1`): evaluation over the snapshot, change notices over the SDK stream hub. */
@Module({ imports: [SdkDeliveryModule, ClientAccessModule], controllers: [OfrepController], providers: [OfrepService] })
export class OfrepModule {}
