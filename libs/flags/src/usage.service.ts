import { Inject, Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { MetricsService } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';
import type { FlagUsage } from './flag.contract';
import { UsageRepository } from './usage.repository';

export interface UsageCount {
  flag: string;
  variant: string | null;
  count: number;
}

export type { FlagUsageView, UsageBucketView } from './flag.contract';

/** The `flag` label of evaluations past the series cap; flag keys cannot start with `_`. */
export const OTHER_FLAGS_LABEL = '_other';

/**
 * Evaluation counts reported by SDKs: totals and hourly buckets per flag, environment and variant.
 * Reports are client input, so only flags (and variants) defined in the environment are kept, and
 * the Prometheus label sets are capped: neither the tables nor /metrics grow with what clients send.
 */
@Injectable()
export class UsageService {
  private readonly evaluations: Counter<'environment' | 'flag' | 'variant'>;
  private readonly ignored: Counter;
  private readonly series = new Set<string>();
  private readonly maxSeries: number;

  constructor(
    private readonly db: Database,
    private readonly usage: UsageRepository,
    metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.evaluations = metrics.counter('switchyard_flag_evaluations_total', 'Flag evaluations reported by SDKs', ['environment', 'flag', 'variant']);
    this.ignored = metrics.counter(
      'switchyard_flag_usage_ignored_total',
      'SDK usage report entries ignored because their flag or variant does not exist in the environment',
    );
    this.maxSeries = config.metrics.maxFlagSeries;
  }

  async record(environment: string, counts: UsageCount[], at: Date): Promise<number> {
    // Merge duplicates first: one upsert per (flag, variant) keeps the transaction short.
    const merged = new Map<string, UsageCount>();
    for (const entry of counts) {
      const key = `${entry.flag}\u0000${entry.variant ?? ''}`;
      const existing = merged.get(key);
      if (existing) existing.count += entry.count;
      else merged.set(key, { ...entry });
    }
    const reported = [...merged.values()].filter((entry) => entry.count > 0);
    if (reported.length === 0) return 0;
    const known = await this.knownVariants(environment, [...new Set(reported.map((entry) => entry.flag))]);
    const rows = reported.filter((entry) => {
      const variants = known.get(entry.flag);
      return variants !== undefined && (entry.variant === null || variants.has(entry.variant));
    });
    if (rows.length < reported.length) this.ignored.inc(reported.length - rows.length);
    if (rows.length === 0) return 0;
    const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000).toISOString();
    await this.db.transaction(async (m) => {
      for (const entry of rows) {
        const variant = entry.variant ?? '';
        await this.usage.add(m, entry.flag, environment, variant, entry.count, at, hour);
      }
    });
    for (const entry of rows) this.evaluations.inc(this.labels(environment, entry.flag, entry.variant ?? ''), entry.count);
    return rows.length;
  }

  /** The variants of each of `flags` that is defined in `environment` (archived flags included). */
  private async knownVariants(environment: string, flags: string[]): Promise<Map<string, Set<string>>> {
    const found = await this.usage.flagsIn(environment, flags);
    return new Map(found.map((row) => [row.key, new Set(Object.keys(row.variants ?? {}))]));
  }

  /** Past `maxSeries` distinct label sets, new flags are counted together under OTHER_FLAGS_LABEL. */
  private labels(environment: string, flag: string, variant: string): { environment: string; flag: string; variant: string } {
    const key = `${environment}\u0000${flag}\u0000${variant}`;
    if (!this.series.has(key)) {
      if (this.series.size >= this.maxSeries) return { environment, flag: OTHER_FLAGS_LABEL, variant: '' };
      this.series.add(key);
    }
    return { environment, flag, variant };
  }

  async forFlag(flag: string, since: Date): Promise<FlagUsage> {
    const totals = await this.usage.totals(flag);
    const hourly = await this.usage.hourly(flag, since);
    return {
      totals: totals.map((row) => ({
        environment: row.environment_key,
        variant: row.variant,
        evaluations: Number(row.evaluations),
        lastEvaluatedAt: new Date(row.last_evaluated_at).toISOString(),
      })),
      hourly: hourly.map((row) => ({
        hour: new Date(row.hour).toISOString(),
        environment: row.environment_key,
        variant: row.variant,
        evaluations: Number(row.evaluations),
      })),
    };
  }
}
