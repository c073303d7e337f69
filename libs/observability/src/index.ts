export { createLogger, defaultLogFormat, prettyLine, writeThroughLog, NestPinoLogger, type Logger, type LogFormat } from './logger';
export { MetricsService } from './metrics.service';
export { ObservabilityModule, LOGGER } from './observability.module';
export { RoundLoop } from './round-loop';
