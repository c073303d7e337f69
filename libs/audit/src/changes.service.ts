import { Injectable } from '@nestjs/common';
import { Database } from '@switchyard/persistence';
import {
  commentOfChange,
  describeChangeEvent,
  kindFilterSql,
  kindSql,
  linkOfChange,
  NOT_CHANGES_PREFIX,
  reasonOfChange,
  serviceOfEvent,
  type ChangeKind,
} from './change-timeline';
import type { Change, ChangesPage } from './change-timeline.contract';

export interface ChangesQuery {
  environment?: string;
  service?: string;
  kind?: ChangeKind;
  /** Exact, or a prefix with one trailing `*` (`user:*`), as in the audit log. */
  actor?: string;
  since?: Date;
  /** nextCursor of the previous page: the id of the last change it showed. */
  cursor?: string;
  limit: number;
}

export type { Change, ChangesPage } from './change-timeline.contract';

interface ChangeRow {
  id: string;
  at: Date | string;
  actor: string;
  action: string;
  kind: ChangeKind;
  target: string;
  environment: string | null;
  service: string | null;
  before: unknown;
  after: unknown;
  meta: Record<string, unknown> | null;
  summary: string[] | null;
  comment: string | null;
}

const KIND = kindSql('action');

/**
 * "What changed in production in the last 30 minutes", newest first. Ordered by (at, id) so that
 * the (environment | service, at, id) indexes answer a page by reading only its own rows; the
 * cursor is the last id shown, looked up for its time so the next page continues exactly there.
 */
@Injectable()
export class ChangesService {
  constructor(private readonly db: Database) {}

  async list(query: ChangesQuery): Promise<ChangesPage> {
    const where: string[] = [`action NOT LIKE '${NOT_CHANGES_PREFIX}%'`];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    // A flag's definition (variants, archiving) and a segment reach every environment at once: they
    // changed production too, so they answer an environment's question as well as its own events.
    if (query.environment)
      where.push(`(environment = ${param(query.environment)} OR (environment IS NULL AND (action LIKE 'flag.%' OR action LIKE 'segment.%')))`);
    // Written by AuditService.record for every event whose target or meta names a service, and
    // filled in for older rows by the migration, so the column (and its index) is the whole answer.
    if (query.service) where.push(`service = ${param(query.service)}`);
    if (query.actor) {
      if (query.actor.endsWith('*')) {
        const prefix = query.actor.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
        where.push(`actor LIKE ${param(`${prefix}%`)} ESCAPE '\\'`);
      } else where.push(`actor = ${param(query.actor)}`);
    }
    if (query.kind) where.push(kindFilterSql(query.kind));
    if (query.since) where.push(`at >= ${param(query.since.toISOString())}`);
    if (query.cursor) {
      // at::text keeps PostgreSQL's microseconds, which a JS Date would round away.
      const [position] = await this.db.query<{ at: string }>('SELECT at::text AS at FROM audit_events WHERE id = $1', [query.cursor]);
      // An unknown cursor (its event gone) ends the walk rather than restarting it from the top.
      if (!position) return { items: [], nextCursor: null };
      where.push(`(at, id) < (${param(position.at)}::timestamptz, ${param(query.cursor)}::bigint)`);
    }
    const limit = param(query.limit + 1);
    const rows = await this.db.query<ChangeRow>(
      `SELECT id::text AS id, at, actor, action, ${KIND} AS kind, target, environment, service, before, after, meta, summary, comment
       FROM audit_events WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ${limit}`,
      params,
    );
    const page = rows.slice(0, query.limit);
    return { items: page.map(toChange), nextCursor: rows.length > query.limit ? page[page.length - 1].id : null };
  }
}

function toChange(row: ChangeRow): Change {
  const meta = row.meta ?? {};
  const source = {
    action: row.action,
    target: row.target,
    environment: row.environment,
    before: row.before,
    after: row.after,
    meta,
    service: row.service ?? serviceOfEvent({ target: row.target, meta }),
  };
  return {
    id: String(row.id),
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    kind: row.kind,
    action: row.action,
    service: source.service,
    environment: row.environment,
    target: row.target,
    summary: describeChangeEvent({ ...source, summary: row.summary ?? [] }),
    before: row.before,
    after: row.after,
    comment: commentOfChange({ comment: row.comment, meta }),
    reason: reasonOfChange(source),
    link: linkOfChange(source),
  };
}
