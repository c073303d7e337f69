import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';

export interface UsageCount {
  flag: string;
  variant: string | null;
  count: number;
}

export interface FlagUsageView {
  environment: string;
  variant: string;
  evaluations: number;
  lastEvaluatedAt: string;
}

export interface UsageBucketView {
  hour: string;
  environment: string;
  variant: string;
  evaluations: number;
}

/** Evaluation counts reported by SDKs: totals and hourly buckets per flag, environment and variant. */
@Injectable()
export class UsageService {
  private readonly evaluations: Counter<'environment' | 'flag' | 'variant'>;

  constructor(
    private readonly db: Database,
    metrics: MetricsService,
  ) {
    this.evaluations = metrics.counter('switchyard_flag_evaluations_total', 'Flag evaluations reported by SDKs', ['environment', 'flag', 'variant']);
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
    const rows = [...merged.values()].filter((entry) => entry.count > 0);
    if (rows.length === 0) return 0;
    const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000).toISOString();
    await this.db.transaction(async (m) => {
      for (const entry of rows) {
        const variant = entry.variant ?? '';
        await m.query(
          `INSERT INTO flag_usage (flag_key, environment_key, variant, evaluations, last_evaluated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (flag_key, environment_key, variant) DO UPDATE SET evaluations = flag_usage.evaluations + EXCLUDED.evaluations,
           last_evaluated_at = GREATEST(flag_usage.last_evaluated_at, EXCLUDED.last_evaluated_at)`,
          [entry.flag, environment, variant, entry.count, at.toISOString()],
        );
        await m.query(
          `INSERT INTO flag_usage_hourly (flag_key, environment_key, variant, hour, evaluations) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (flag_key, environment_key, variant, hour) DO UPDATE SET evaluations = flag_usage_hourly.evaluations + EXCLUDED.evaluations`,
          [entry.flag, environment, variant, hour, entry.count],
        );
      }
    });
    for (const entry of rows) this.evaluations.inc({ environment, flag: entry.flag, variant: entry.variant ?? '' }, entry.count);
    return rows.length;
  }

  async forFlag(flag: string, since: Date): Promise<{ totals: FlagUsageView[]; hourly: UsageBucketView[] }> {
    const totals = await this.db.query<{ environment_key: string; variant: string; evaluations: string; last_evaluated_at: Date }>(
      'SELECT environment_key, variant, evaluations, last_evaluated_at FROM flag_usage WHERE flag_key = $1 ORDER BY environment_key, variant',
      [flag],
    );
    const hourly = await this.db.query<{ hour: Date; environment_key: string; variant: string; evaluations: string }>(
      'SELECT hour, environment_key, variant, evaluations FROM flag_usage_hourly WHERE flag_key = $1 AND hour >= $2 ORDER BY hour',
      [flag, since.toISOString()],
    );
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
