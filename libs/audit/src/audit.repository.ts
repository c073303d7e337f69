import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database } from '@switchyard/persistence';
import type { AuditEvent } from './audit.contract';

/** A stored row: the event as the API shows it, with `at` as the driver returns it. */
export type AuditRow = Omit<AuditEvent, 'at'> & { at: Date };

/** The column values of one audit event, already serialised for the INSERT. */
export interface AuditEventValues {
  actor: string;
  action: string;
  target: string;
  environment: string | null;
  service: string | null;
  before: string | null;
  after: string | null;
  meta: string;
  summary: string;
  comment: string | null;
}

/** Which events a page of the audit log holds. */
export interface AuditFilter {
  /** Exact, or a prefix with one trailing `*` (`flag:checkout*`). */
  target?: string;
  /** Exact, or a prefix with one trailing `*` (`user:*`). */
  actor?: string;
  action?: string;
  environment?: string;
  since?: Date;
  until?: Date;
  /** Only events older than this id: the last one the previous page showed. */
  beforeId?: string;
  /** How many events to read at most. */
  limit: number;
}

/** SQL for audit_events. Writes take the caller's manager so the event commits with the change. */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: Database) {}

  async insert(manager: EntityManager, e: AuditEventValues): Promise<void> {
    await manager.query(
      `INSERT INTO audit_events (actor, action, target, environment, service, before, after, meta, summary, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [e.actor, e.action, e.target, e.environment, e.service, e.before, e.after, e.meta, e.summary, e.comment],
    );
  }

  /** Newest first (by id), at most `filter.limit` events. */
  async page(filter: AuditFilter): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.target) add(...textMatch('target', filter.target));
    if (filter.actor) add(...textMatch('actor', filter.actor));
    if (filter.action) add('action = ?', filter.action);
    if (filter.environment) add('environment = ?', filter.environment);
    if (filter.since) add('at >= ?', filter.since.toISOString());
    if (filter.until) add('at < ?', filter.until.toISOString());
    if (filter.beforeId) add('id < ?', filter.beforeId);
    params.push(filter.limit);
    return this.db.query<AuditRow>(
      `SELECT id::text AS id, at, actor, action, target, environment, service, before, after, meta, summary, comment FROM audit_events
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_events.id DESC LIMIT $${params.length}`,
      params,
    );
  }
}

/**
 * `flag:checkout*` (one trailing `*`) matches every value that starts with `flag:checkout`;
 * anything else matches exactly. LIKE's own wildcards in the prefix are escaped, so `%` and `_` are literal.
 */
function textMatch(column: 'target' | 'actor', value: string): [string, string] {
  if (!value.endsWith('*')) return [`${column} = ?`, value];
  const prefix = value.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
  return [`${column} LIKE ? ESCAPE '\\'`, `${prefix}%`];
}
