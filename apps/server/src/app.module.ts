import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuditModule } from '@switchyard/audit';
import { AuthModule } from '@switchyard/auth';
import { ConfigModule, type AppConfig } from '@switchyard/config';
import { ObservabilityModule } from '@switchyard/observability';
import { PersistenceModule } from '@switchyard/persistence';
import { RedisModule } from '@switchyard/redis';
import { StoreModule } from '@switchyard/store';
import { HealthModule } from './health/health.module';
import { AuditLogModule } from './audit/audit-log.module';
import { ChangeRequestsModule } from './change-requests/change-requests.module';
import { DeployApiModule } from './deploy/deploy-api.module';
import { FlagsApiModule } from './flags/flags-api.module';
import { InstallationModule } from './installation/installation.module';
import { MirrorApiModule } from './mirror/mirror-api.module';
import { OfrepModule } from './ofrep/ofrep.module';
import { LiveModule } from './sdk-delivery/live.module';
import { SdkDeliveryModule } from './sdk-delivery/sdk-delivery.module';
import { SchedulesModule } from './schedules/schedules.module';
import { SessionModule } from './session/session.module';
import { TokensModule } from './tokens/tokens.module';
import { UiModule } from './ui/ui.module';

@Module({})
export class AppModule {
  /** `extra` lets tests mount probe controllers into the real pipeline. */
  static forRoot(config: AppConfig, logger: Logger, extra: NonNullable<ModuleMetadata['imports']> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger),
        PersistenceModule.forRoot([]),
        RedisModule,
        AuditModule,
        StoreModule,
        FlagsApiModule,
        SdkDeliveryModule,
        OfrepModule,
        // After OFREP, so the OpenAPI document keeps its order (the live route used to come after OFREP's).
        LiveModule,
        AuthModule,
        TokensModule,
        SessionModule,
        AuditLogModule,
        HealthModule,
        InstallationModule,
        DeployApiModule,
        MirrorApiModule,
        ChangeRequestsModule,
        SchedulesModule,
        UiModule,
        ...extra,
      ],
    };
  }
}
