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

  /** `where` holds conditions with `$n` placeholders numbered against `params`; the LIMIT is the last param. */
  async page(where: string[], params: unknown[]): Promise<AuditRow[]> {
    return this.db.query<AuditRow>(
      `SELECT id::text AS id, at, actor, action, target, environment, service, before, after, meta, summary, comment FROM audit_events
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_events.id DESC LIMIT $${params.length}`,
      params,
    );
  }
}
