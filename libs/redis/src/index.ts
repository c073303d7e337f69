export { RedisConnections } from './redis-connections.service';
export { RedisModule } from './redis.module';
export { connectRedis, describeRedis, type RedisClient, type RedisConnectionSettings } from './redis-topology';
