import { Injectable } from '@nestjs/common';
import { commentOfChange, describeChangeEvent, linkOfChange, reasonOfChange, serviceOfEvent } from './change-timeline';
import type { Change, ChangesPage } from './change-timeline.contract';
import { ChangesRepository, type ChangeRow, type ChangesFilter } from './changes.repository';

/** GET /api/v1/changes's question: the filter, a page size and the previous page's cursor. */
export interface ChangesQuery extends Omit<ChangesFilter, 'before' | 'limit'> {
  /** nextCursor of the previous page: the id of the last change it showed. */
  cursor?: string;
  limit: number;
}

export type { Change, ChangesPage } from './change-timeline.contract';

/**
 * "What changed in production in the last 30 minutes", newest first, in (at, id) order; the
 * cursor is the last id shown, looked up for its time so the next page continues exactly there.
 */
@Injectable()
export class ChangesService {
  constructor(private readonly changes: ChangesRepository) {}

  async list(query: ChangesQuery): Promise<ChangesPage> {
    const { cursor, limit, ...filter } = query;
    const before = cursor ? await this.changes.position(cursor) : undefined;
    // An unknown cursor (its event gone) ends the walk rather than restarting it from the top.
    if (cursor && !before) return { items: [], nextCursor: null };
    // One more than the page holds: its presence says there is a next page.
    const rows = await this.changes.page({ ...filter, before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { items: page.map(toChange), nextCursor: rows.length > limit ? page[page.length - 1].id : null };
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
