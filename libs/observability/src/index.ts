export { createLogger, NestPinoLogger, type Logger } from './logger';
export { MetricsService } from './metrics.service';
export { ObservabilityModule, LOGGER } from './observability.module';
