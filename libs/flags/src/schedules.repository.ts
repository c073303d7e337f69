import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '@switchyard/persistence';
import type { ScheduleState } from './schedule.contract';

export interface ScheduleRow {
  id: string;
  flag_key: string;
  environment: string;
  patch: Record<string, unknown>;
  run_at: Date | string;
  state: ScheduleState;
  author: string;
  author_principal: string;
  comment: string | null;
  approved_by: string | null;
  approved_version: number | null;
  approved_at: Date | string | null;
  claimed_by: string | null;
  claimed_until: Date | string | null;
  fired_at: Date | string | null;
  applied_version: number | null;
  failure: string | null;
  cancelled_by: string | null;
  created_at: Date | string;
  closed_at: Date | string | null;
}

export interface NewScheduleRow {
  id: string;
  flagKey: string;
  environment: string;
  /** The patch, already JSON. */
  patch: string;
  runAt: string;
  state: ScheduleState;
  author: string;
  authorPrincipal: string;
  comment: string | null;
}

/** SQL for flag_schedules. Methods taking a manager run inside the caller's transaction. */
@Injectable()
export class SchedulesRepository {
  constructor(@Inject(Database) private readonly db: Pick<Database, 'manager' | 'query'>) {}

  async insert(m: EntityManager, r: NewScheduleRow): Promise<void> {
    await m.query(
      `INSERT INTO flag_schedules (id, flag_key, environment, patch, run_at, state, author, author_principal, comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.id, r.flagKey, r.environment, r.patch, r.runAt, r.state, r.author, r.authorPrincipal, r.comment],
    );
  }

  async byId(m: Pick<EntityManager, 'query'>, id: string): Promise<ScheduleRow | undefined> {
    const rows: ScheduleRow[] = await m.query('SELECT * FROM flag_schedules WHERE id = $1', [id]);
    return rows[0];
  }

  async list(flag: string | undefined, state: ScheduleState | undefined): Promise<ScheduleRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (flag) where.push(`flag_key = $${params.push(flag)}`);
    if (state) where.push(`state = $${params.push(state)}`);
    return this.db.manager.query(`SELECT * FROM flag_schedules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY run_at, id LIMIT 500`, params);
  }

  /** One conditional UPDATE with SKIP LOCKED, so replicas polling together never claim the same row. */
  async claimDue(owner: string, leaseMs: number, now: Date): Promise<ScheduleRow[]> {
    return this.db.query(
      `WITH claimed AS (
         UPDATE flag_schedules SET state = 'firing', claimed_by = $1, claimed_until = $3::timestamptz + make_interval(secs => $2::double precision / 1000)
         WHERE id IN (
           SELECT id FROM flag_schedules
           WHERE (state = 'pending' AND run_at <= $3::timestamptz) OR (state = 'firing' AND claimed_until < $3::timestamptz)
           ORDER BY run_at LIMIT 20 FOR UPDATE SKIP LOCKED)
         RETURNING *)
       SELECT * FROM claimed ORDER BY run_at, id`,
      [owner, leaseMs, now.toISOString()],
    );
  }

  async nextRunAt(): Promise<Date | string | null | undefined> {
    const rows: Array<{ next: Date | string | null }> = await this.db.query(`SELECT min(run_at) AS next FROM flag_schedules WHERE state = 'pending'`);
    return rows[0]?.next;
  }

  /** Hands a claim back to the poll (still ours and still firing). */
  async release(id: string, owner: string): Promise<void> {
    await this.db.query(`UPDATE flag_schedules SET state = 'pending', claimed_until = NULL WHERE id = $1 AND state = 'firing' AND claimed_by = $2`, [
      id,
      owner,
    ]);
  }

  /** Cancels a schedule that has not fired yet; false when it had already moved on (fired, cancelled, …). */
  async cancel(m: EntityManager, id: string, actor: string): Promise<boolean> {
    return this.closeWhere(m, id, ['pending', 'awaiting-approval'], `state = 'cancelled', cancelled_by = $2, closed_at = now()`, [actor]);
  }

  /** Approves a schedule awaiting approval against the flag version reviewed; false when it no longer awaits it. */
  async approve(m: EntityManager, id: string, approvedBy: string, approvedVersion: number): Promise<boolean> {
    return this.closeWhere(m, id, ['awaiting-approval'], `state = 'pending', approved_by = $2, approved_version = $3, approved_at = now()`, [
      approvedBy,
      approvedVersion,
    ]);
  }

  /** Closes `owner`'s claim as fired; false when the claim is no longer `owner`'s (or no longer firing). */
  async markFired(m: EntityManager, id: string, owner: string, firedAt: Date, appliedVersion: number): Promise<boolean> {
    return this.closeWhere(
      m,
      id,
      ['firing'],
      `state = 'fired', fired_at = $3, applied_version = $4, closed_at = $3`,
      [owner, firedAt.toISOString(), appliedVersion],
      'claimed_by = $2',
    );
  }

  /** Closes `owner`'s claim as failed with the reason; false when the claim is no longer `owner`'s. */
  async markFailed(m: EntityManager, id: string, owner: string, reason: string): Promise<boolean> {
    return this.closeWhere(m, id, ['firing'], `state = 'failed', failure = $3, closed_at = now()`, [owner, reason], 'claimed_by = $2');
  }

  /** A conditional state change (`$1` is the id, `set`'s parameters follow); true when it took. */
  private async closeWhere(m: EntityManager, id: string, from: ScheduleState[], set: string, params: unknown[], extra?: string): Promise<boolean> {
    const states = from.map((state) => `'${state}'`).join(', ');
    const rows: Array<{ id: string }> = await m.query(
      `WITH changed AS (UPDATE flag_schedules SET ${set} WHERE id = $1 AND state IN (${states})${extra ? ` AND ${extra}` : ''} RETURNING id) SELECT id FROM changed`,
      [id, ...params],
    );
    return rows.length > 0;
  }
}
