import { Global, Module } from '@nestjs/common';
import { RedisConnections } from '@switchyard/redis';
import { EnvironmentSnapshots } from './environment-snapshots.service';
import { FeatureStore } from './feature-store';
import { MemoryFeatureStore } from './memory-feature-store';
import { Reconciler } from './reconciler.service';
import { RedisFeatureStore } from './redis-feature-store';
import { SnapshotBuilder } from './snapshot-builder';
import { SnapshotPublisher } from './snapshot-publisher.service';
import { SnapshotRepository } from './snapshot.repository';

@Global()
@Module({
  providers: [
    RedisFeatureStore,
    MemoryFeatureStore,
    {
      provide: FeatureStore,
      inject: [RedisConnections, RedisFeatureStore, MemoryFeatureStore],
      useFactory: (redis: RedisConnections, redisStore: RedisFeatureStore, memoryStore: MemoryFeatureStore) => (redis.enabled ? redisStore : memoryStore),
    },
    SnapshotRepository,
    SnapshotBuilder,
    EnvironmentSnapshots,
    SnapshotPublisher,
    Reconciler,
  ],
  exports: [FeatureStore, SnapshotBuilder, EnvironmentSnapshots, SnapshotPublisher, Reconciler],
})
export class StoreModule {}
