import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { Segment, Snapshot, SnapshotFlag } from '@switchyard/core';
import { LOGGER, MetricsService } from '@switchyard/observability';
import { EnvironmentSnapshots } from './environment-snapshots.service';
import { FeatureStore, type ChangeMessage } from './feature-store';
import { SnapshotBuilder } from './snapshot-builder';

/** What one committed transaction changed in one environment. */
export interface EnvironmentChange {
  environment: string;
  /** The environment version the transaction committed. */
  version: number;
  flagKeys: string[];
  segmentKeys: string[];
  /** Who made the change (`user:ada@example.com`), shown live in the UI. */
  actor?: string;
}

/**
 * Runs after a commit: rebuilds each touched environment from the record, installs it on this
 * replica and publishes it to the store. A store outage is logged and left to the reconciler —
 * the write has already succeeded.
 */
@Injectable()
export class SnapshotPublisher {
  private readonly log: Logger;
  private readonly latency: Histogram<'store' | 'outcome'>;
  private readonly failures: Counter<'store'>;

  constructor(
    private readonly builder: SnapshotBuilder,
    private readonly store: FeatureStore,
    private readonly snapshots: EnvironmentSnapshots,
    metrics: MetricsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'snapshot-publisher' });
    this.latency = metrics.histogram(
      'switchyard_store_publish_seconds',
      'Time from commit to the store holding the new snapshot',
      ['store', 'outcome'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    );
    this.failures = metrics.counter('switchyard_store_publish_failures_total', 'Snapshot publishes that failed (the reconciler repairs them)', ['store']);
  }

  async publish(changes: EnvironmentChange[]): Promise<void> {
    await Promise.all(changes.map((change) => this.publishOne(change)));
  }

  private async publishOne(change: EnvironmentChange): Promise<void> {
    const started = process.hrtime.bigint();
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await this.builder.build(change.environment);
    } catch (error) {
      // The record may stop answering between the commit and this read. The write has succeeded and
      // must be answered as such (a 503 would tell the caller it did not happen); the reconciler
      // installs and publishes the new version once the record answers again.
      this.failures.inc({ store: this.store.kind });
      this.log.warn(
        { err: error instanceof Error ? error.message : error, environment: change.environment, version: change.version },
        'cannot read the committed change back; the reconciler will publish it',
      );
      return;
    }
    if (!snapshot) return;
    const json = JSON.stringify(snapshot);
    // Another commit may have landed in between: then only "refetch" is truthful.
    const message: ChangeMessage =
      snapshot.version === change.version
        ? {
            environment: change.environment,
            version: snapshot.version,
            previousVersion: change.version - 1,
            flags: pick<SnapshotFlag>(snapshot.flags, change.flagKeys),
            segments: pick<Segment>(snapshot.segments, change.segmentKeys),
            ...(change.actor ? { actor: change.actor } : {}),
          }
        : { environment: change.environment, version: snapshot.version, full: true };
    this.snapshots.installBuilt(snapshot, json, message);
    try {
      await this.store.publish(change.environment, snapshot.version, json, message);
      this.latency.observe({ store: this.store.kind, outcome: 'ok' }, Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      this.failures.inc({ store: this.store.kind });
      this.latency.observe({ store: this.store.kind, outcome: 'failed' }, Number(process.hrtime.bigint() - started) / 1e9);
      this.log.warn(
        { err: error instanceof Error ? error.message : error, environment: change.environment, version: snapshot.version },
        'store publish failed; the reconciler will repair it',
      );
    }
  }
}

function pick<T>(all: Record<string, T>, keys: string[]): Record<string, T | null> {
  const out: Record<string, T | null> = {};
  for (const key of keys) out[key] = all[key] ?? null;
  return out;
}
