import { Module } from '@nestjs/common';
import { DeployModule } from '@switchyard/deploy';
import { FlagsModule } from '@switchyard/flags';
import { ChangeRequestIdentities } from './change-request-identities';
import { ChangeRequestWebhooks } from './change-request-webhooks';
import { ChangeRequestsController } from './change-requests.controller';

@Module({ imports: [FlagsModule, DeployModule], controllers: [ChangeRequestsController], providers: [ChangeRequestIdentities, ChangeRequestWebhooks] })
export class ChangeRequestsModule {}
