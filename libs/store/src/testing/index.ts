// Test doubles for the hot store, for this library's specs (`import { … } from './testing'`). Not
// exported from the library's index, so production code cannot reach them.
export { featureStoreContract, HeardMessages, type StoreUnderTest } from './feature-store-contract';
export { FlakyFeatureStore } from './flaky-feature-store';
export { InMemorySnapshotRepository, inMemorySnapshotDatabase, type FlagInput } from './in-memory-snapshot.repository';
export { inMemoryStoreWorld } from './in-memory-store-world';
export { LOG_LEVEL, RecordingMetrics, recordingLogger, type LogLine } from './observability';
