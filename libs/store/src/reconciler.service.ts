import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { LOGGER, MetricsService } from '@switchyard/observability';
import { EnvironmentSnapshots } from './environment-snapshots.service';
import { FeatureStore } from './feature-store';
import { SnapshotBuilder } from './snapshot-builder';

/**
 * Keeps the projection honest: at start, every RECONCILE_INTERVAL and whenever the store comes
 * back, any environment whose stored version is behind the record (or missing: a flushed Redis)
 * is rebuilt and republished, and this replica's own copy is brought up to date.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private readonly repairs: Counter<'environment'>;
  private readonly log: Logger;

  constructor(
    private readonly builder: SnapshotBuilder,
    private readonly store: FeatureStore,
    private readonly snapshots: EnvironmentSnapshots,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'reconciler' });
    this.repairs = metrics.counter('switchyard_reconciler_repairs_total', 'Environments republished because the store was behind the record', ['environment']);
    store.onReconnect(() => void this.reconcile());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.config.reconcileIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns how many environments were repaired in the store. Runs one pass at a time. */
  async reconcile(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    let repaired = 0;
    let environments: Array<{ key: string; version: number }>;
    try {
      environments = await this.builder.environments();
    } catch (error) {
      this.log.warn({ err: error }, 'cannot read environments from the record');
      return 0;
    }
    for (const { key, version } of environments) {
      try {
        const stored = await this.store.readVersion(key);
        if (stored === undefined || stored < version) {
          const snapshot = await this.builder.build(key);
          if (
            snapshot &&
            (await this.store.publish(key, snapshot.version, JSON.stringify(snapshot), { environment: key, version: snapshot.version, full: true }))
          ) {
            repaired += 1;
            this.repairs.inc({ environment: key });
            this.log.info({ environment: key, from: stored ?? null, to: snapshot.version }, 'republished environment');
          }
        }
      } catch (error) {
        this.log.debug({ err: error instanceof Error ? error.message : error, environment: key }, 'store unavailable during reconcile');
      }
      const local = this.snapshots.get(key);
      if (!local || local.version < version) await this.snapshots.refresh(key, version).catch(() => undefined);
    }
    return repaired;
  }
}
