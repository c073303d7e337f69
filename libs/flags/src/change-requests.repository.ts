import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '@switchyard/persistence';
import type { ChangeOperation, ChangeRequestState } from './change-request.contract';

export interface ChangeRequestRow {
  id: string;
  target_kind: 'flag' | 'segment';
  target_key: string;
  environments: string[];
  operation: ChangeOperation;
  base_version: number;
  before: unknown;
  after: unknown;
  summary: string[];
  state: ChangeRequestState;
  author: string;
  author_principal: string;
  comment: string | null;
  reviewer: string | null;
  review_comment: string | null;
  applied_version: number | null;
  created_at: Date | string;
  decided_at: Date | string | null;
}

export interface NewChangeRequestRow {
  id: string;
  targetKind: 'flag' | 'segment';
  targetKey: string;
  environments: string[];
  /** operation, before, after and summary already JSON. */
  operation: string;
  baseVersion: number;
  before: string;
  after: string;
  summary: string;
  author: string;
  authorPrincipal: string;
  comment: string | null;
}

/** SQL for change_requests. Methods taking a manager run inside the caller's transaction. */
@Injectable()
export class ChangeRequestsRepository {
  constructor(@Inject(Database) private readonly db: Pick<Database, 'manager'>) {}

  async list(filter: { state?: ChangeRequestState; flag?: string; segment?: string }): Promise<ChangeRequestRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state) where.push(`state = $${params.push(filter.state)}`);
    if (filter.flag) where.push(`target_kind = 'flag' AND target_key = $${params.push(filter.flag)}`);
    if (filter.segment) where.push(`target_kind = 'segment' AND target_key = $${params.push(filter.segment)}`);
    return this.db.manager.query(
      `SELECT * FROM change_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT 500`,
      params,
    );
  }

  async byId(m: Pick<EntityManager, 'query'>, id: string): Promise<ChangeRequestRow | undefined> {
    const rows: ChangeRequestRow[] = await m.query('SELECT * FROM change_requests WHERE id = $1', [id]);
    return rows[0];
  }

  async insert(m: EntityManager, r: NewChangeRequestRow): Promise<void> {
    await m.query(
      `INSERT INTO change_requests (id, target_kind, target_key, environments, operation, base_version, before, after, summary, author, author_principal, comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [r.id, r.targetKind, r.targetKey, r.environments, r.operation, r.baseVersion, r.before, r.after, r.summary, r.author, r.authorPrincipal, r.comment],
    );
  }

  /** Closes a pending request as applied; false when someone else decided it meanwhile. */
  async markApplied(m: EntityManager, id: string, reviewer: string, comment: string | null, version: number): Promise<boolean> {
    const closed: Array<{ id: string }> = await m.query(
      `WITH closed AS (UPDATE change_requests SET state = 'applied', reviewer = $2, review_comment = $3, applied_version = $4, decided_at = now()
         WHERE id = $1 AND state = 'pending' RETURNING id) SELECT id FROM closed`,
      [id, reviewer, comment, version],
    );
    return closed.length > 0;
  }

  /** Closes a pending request without applying it; false when someone else decided it meanwhile. */
  async close(m: EntityManager, id: string, state: 'rejected' | 'withdrawn' | 'stale', actor: string, comment: string | null): Promise<boolean> {
    const closed: Array<{ id: string }> = await m.query(
      `WITH closed AS (UPDATE change_requests SET state = $2, reviewer = $3, review_comment = $4, decided_at = now()
         WHERE id = $1 AND state = 'pending' RETURNING id) SELECT id FROM closed`,
      [id, state, actor, comment],
    );
    return closed.length > 0;
  }
}
