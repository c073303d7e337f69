import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditEvent } from './audit.contract';
import { AuditRepository, type AuditFilter } from './audit.repository';
import { serviceOfEvent } from './change-timeline';

export interface AuditEventInput {
  actor: string;
  action: string;
  target: string;
  environment?: string;
  /** The deployed service the change belongs to (rollouts, mirror routes), for the timeline's service filter. */
  service?: string;
  before?: unknown;
  after?: unknown;
  meta?: Record<string, unknown>;
  /** The change in plain sentences ("Production: turns OFF"), as the UI shows it. */
  summary?: string[];
  /** Why, in the writer's words (X-Switchyard-Comment). */
  comment?: string;
}

export type { AuditEvent } from './audit.contract';

/** GET /api/v1/audit's question: the filter, a page size and the previous page's cursor. */
export interface AuditQuery extends Omit<AuditFilter, 'beforeId' | 'limit'> {
  /** Opaque cursor from a previous page: the last event id seen. */
  cursor?: string;
  limit: number;
}

@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  /**
   * Writes inside the caller's transaction, so the change and its audit event commit together.
   * A writer that does not name the service still gets one when its target or meta says it
   * (`release:<service>/<id>`, meta.service), so the timeline's service filter misses nothing.
   */
  async record(manager: EntityManager, event: AuditEventInput): Promise<void> {
    await this.audit.insert(manager, {
      actor: event.actor,
      action: event.action,
      target: event.target,
      environment: event.environment ?? null,
      service: event.service ?? serviceOfEvent(event),
      before: event.before === undefined ? null : JSON.stringify(event.before),
      after: event.after === undefined ? null : JSON.stringify(event.after),
      meta: JSON.stringify(event.meta ?? {}),
      summary: JSON.stringify(event.summary ?? []),
      comment: event.comment ?? null,
    });
  }

  /** Newest first, paginated by id cursor so pages stay stable while events keep arriving. */
  async list(query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const { cursor, limit, ...filter } = query;
    // One more than the page holds: its presence says there is a next page.
    const rows = await this.audit.page({ ...filter, beforeId: cursor, limit: limit + 1 });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row) => ({ ...row, id: String(row.id), at: new Date(row.at).toISOString() })),
      nextCursor: rows.length > query.limit ? String(page[page.length - 1].id) : null,
    };
  }
}
