export { RedisConnections } from './redis-connections.service';
export { RedisModule } from './redis.module';
