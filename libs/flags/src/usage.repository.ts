import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '@switchyard/persistence';

/** SQL for flag_usage and flag_usage_hourly. Writes take the caller's manager so they join its transaction. */
@Injectable()
export class UsageRepository {
  constructor(private readonly db: Database) {}

  async add(m: EntityManager, flag: string, environment: string, variant: string, count: number, at: Date, hour: string): Promise<void> {
    await m.query(
      `INSERT INTO flag_usage (flag_key, environment_key, variant, evaluations, last_evaluated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (flag_key, environment_key, variant) DO UPDATE SET evaluations = flag_usage.evaluations + EXCLUDED.evaluations,
           last_evaluated_at = GREATEST(flag_usage.last_evaluated_at, EXCLUDED.last_evaluated_at)`,
      [flag, environment, variant, count, at.toISOString()],
    );
    await m.query(
      `INSERT INTO flag_usage_hourly (flag_key, environment_key, variant, hour, evaluations) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (flag_key, environment_key, variant, hour) DO UPDATE SET evaluations = flag_usage_hourly.evaluations + EXCLUDED.evaluations`,
      [flag, environment, variant, hour, count],
    );
  }

  /** Each of `flags` defined in `environment` (archived flags included), with its variants. */
  async flagsIn(environment: string, flags: string[]): Promise<Array<{ key: string; variants: Record<string, unknown> | null }>> {
    return this.db.query<{ key: string; variants: Record<string, unknown> | null }>(
      `SELECT f.key, f.variants FROM flags f JOIN flag_environments fe ON fe.flag_key = f.key
       WHERE fe.environment_key = $1 AND f.key = ANY($2::text[])`,
      [environment, flags],
    );
  }

  async totals(flag: string): Promise<Array<{ environment_key: string; variant: string; evaluations: string; last_evaluated_at: Date }>> {
    return this.db.query<{ environment_key: string; variant: string; evaluations: string; last_evaluated_at: Date }>(
      'SELECT environment_key, variant, evaluations, last_evaluated_at FROM flag_usage WHERE flag_key = $1 ORDER BY environment_key, variant',
      [flag],
    );
  }

  async hourly(flag: string, since: Date): Promise<Array<{ hour: Date; environment_key: string; variant: string; evaluations: string }>> {
    return this.db.query<{ hour: Date; environment_key: string; variant: string; evaluations: string }>(
      'SELECT hour, environment_key, variant, evaluations FROM flag_usage_hourly WHERE flag_key = $1 AND hour >= $2 ORDER BY hour',
      [flag, since.toISOString()],
    );
  }
}
