export { loadConfig, loadProcessConfig, parseDurationMs, ConfigError } from './config.schema';
export type { AppConfig, RedisConfig } from './config.schema';
export { ConfigModule, APP_CONFIG } from './config.module';
