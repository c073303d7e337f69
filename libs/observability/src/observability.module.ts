import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { MetricsService } from './metrics.service';

/** Injection token for the process's pino {@link Logger}. */
export const LOGGER = Symbol('LOGGER');

@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [MetricsService, { provide: LOGGER, useValue: logger }],
      exports: [MetricsService, LOGGER],
    };
  }
}
