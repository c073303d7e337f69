export { FeatureStore, type ChangeMessage, type ChangeListener } from './feature-store';
export { MemoryFeatureStore } from './memory-feature-store';
export { RedisFeatureStore } from './redis-feature-store';
export { SnapshotBuilder } from './snapshot-builder';
export { EnvironmentSnapshots, EnvironmentState, type SnapshotEvent, type SnapshotListener } from './environment-snapshots.service';
export { SnapshotPublisher, type EnvironmentChange } from './snapshot-publisher.service';
export { Reconciler } from './reconciler.service';
export { StoreModule } from './store.module';
export { storeKeys } from './store-keys';
