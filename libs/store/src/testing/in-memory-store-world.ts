import type { AppConfig } from '@switchyard/config';
import type { MetricsService } from '@switchyard/observability';
import type { Database } from '@switchyard/persistence';
import { EnvironmentSnapshots } from '../environment-snapshots.service';
import { Reconciler } from '../reconciler.service';
import { SnapshotBuilder } from '../snapshot-builder';
import { SnapshotPublisher } from '../snapshot-publisher.service';
import type { SnapshotRepository } from '../snapshot.repository';
import { FlakyFeatureStore } from './flaky-feature-store';
import { InMemorySnapshotRepository, inMemorySnapshotDatabase } from './in-memory-snapshot.repository';
import { RecordingMetrics, recordingLogger } from './observability';

/**
 * The hot-store services of one replica, wired as StoreModule wires them, over the in-memory record
 * and a FlakyFeatureStore (pass another replica's `store` to share it). Nothing is started: call
 * `reconciler.onApplicationBootstrap()` to begin its loop.
 */
export function inMemoryStoreWorld(options: { records?: InMemorySnapshotRepository; store?: FlakyFeatureStore; reconcileIntervalMs?: number } = {}) {
  const records = options.records ?? new InMemorySnapshotRepository();
  const store = options.store ?? new FlakyFeatureStore();
  const db = inMemorySnapshotDatabase(records);
  const metrics = new RecordingMetrics();
  const { logger, lines } = recordingLogger();
  const config = { reconcileIntervalMs: options.reconcileIntervalMs ?? 30_000 } as AppConfig;
  // The services take the concrete classes; each stand-in implements the part they call (checked where it is declared).
  const builder = new SnapshotBuilder(db as Database, records as unknown as SnapshotRepository);
  const asMetrics = metrics as unknown as MetricsService;
  const snapshots = new EnvironmentSnapshots(store, builder, asMetrics, logger);
  const publisher = new SnapshotPublisher(builder, store, snapshots, asMetrics, logger);
  const reconciler = new Reconciler(builder, store, snapshots, config, asMetrics, logger);
  return { records, store, db, metrics, logs: lines, builder, snapshots, publisher, reconciler };
}
