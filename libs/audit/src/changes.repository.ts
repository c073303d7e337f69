import { Injectable } from '@nestjs/common';
import { Database } from '@switchyard/persistence';
import { KIND_RULES, NOT_CHANGES_PREFIX, type ChangeKind, type KindRule } from './change-timeline';

/** One audit event as the timeline reads it, with its kind worked out by the query. */
export interface ChangeRow {
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

/** Which changes a page of the timeline holds. */
export interface ChangesFilter {
  environment?: string;
  service?: string;
  kind?: ChangeKind;
  /** Exact, or a prefix with one trailing `*` (`user:*`), as in the audit log. */
  actor?: string;
  since?: Date;
  /** Only changes older than this one (the last of the previous page), in (at, id) order. */
  before?: ChangePosition;
  /** How many changes to read at most. */
  limit: number;
}

/** Where a change sits in the timeline's (at, id) order; `at` as PostgreSQL's text, microseconds kept. */
export interface ChangePosition {
  at: string;
  id: string;
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const likePrefix = (prefix: string) => literal(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);

function ruleSql(rule: KindRule, column: string): string {
  const tests = [
    ...(rule.actions?.length ? [`${column} IN (${rule.actions.map(literal).join(', ')})`] : []),
    ...(rule.prefixes ?? []).map((prefix) => `${column} LIKE ${likePrefix(prefix)} ESCAPE '\\'`),
  ];
  return tests.length > 1 ? `(${tests.join(' OR ')})` : tests[0];
}

/** kindOfAction as SQL over the `action` column, built from the same rules so the two cannot drift. */
export function kindSql(column = 'action'): string {
  const whens = KIND_RULES.map((rule) => `WHEN ${ruleSql(rule, column)} THEN ${literal(rule.kind)}`);
  return `(CASE ${whens.join(' ')} ELSE 'other' END)`;
}

/**
 * `kindSql(column) = kind` said so that a row is rejected after one or two comparisons: the kind's
 * own rule first, then "no earlier rule took it" (first match wins). Evaluating the whole CASE on
 * every row of a week made the kind filter the slowest one (bench/README.md, changes query).
 */
export function kindFilterSql(kind: ChangeKind, column = 'action'): string {
  const all = KIND_RULES.map((rule) => ruleSql(rule, column));
  const own = KIND_RULES.flatMap((rule, index) => (rule.kind === kind ? [index] : []));
  if (own.length === 0) return `NOT (${all.join(' OR ')})`;
  // A kind may have several rules (approval: gate events and change requests): any of them, each
  // only where no earlier rule of another kind took the row.
  const alternatives = own.map((index) => {
    const earlier = KIND_RULES.slice(0, index).flatMap((rule, i) => (rule.kind === kind ? [] : [all[i]]));
    return `(${all[index]}${earlier.length ? ` AND NOT (${earlier.join(' OR ')})` : ''})`;
  });
  return alternatives.length === 1 ? alternatives[0] : `(${alternatives.join(' OR ')})`;
}

const KIND = kindSql('action');

/**
 * The timeline's reads of audit_events, newest first. Ordered by (at, id) so that the
 * (environment | service, at, id) indexes answer a page by reading only its own rows.
 */
@Injectable()
export class ChangesRepository {
  constructor(private readonly db: Database) {}

  /** Where the change with this id sits, or undefined when there is no such event (any more). */
  async position(id: string): Promise<ChangePosition | undefined> {
    // at::text keeps PostgreSQL's microseconds, which a JS Date would round away.
    const [row] = await this.db.query<{ at: string }>('SELECT at::text AS at FROM audit_events WHERE id = $1', [id]);
    return row ? { at: row.at, id } : undefined;
  }

  async page(filter: ChangesFilter): Promise<ChangeRow[]> {
    const where: string[] = [`action NOT LIKE '${NOT_CHANGES_PREFIX}%'`];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    // A flag's definition (variants, archiving) and a segment reach every environment at once: they
    // changed production too, so they answer an environment's question as well as its own events.
    if (filter.environment)
      where.push(`(environment = ${param(filter.environment)} OR (environment IS NULL AND (action LIKE 'flag.%' OR action LIKE 'segment.%')))`);
    // Written by AuditService.record for every event whose target or meta names a service, and
    // filled in for older rows by the migration, so the column (and its index) is the whole answer.
    if (filter.service) where.push(`service = ${param(filter.service)}`);
    if (filter.actor) {
      if (filter.actor.endsWith('*')) {
        const prefix = filter.actor.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
        where.push(`actor LIKE ${param(`${prefix}%`)} ESCAPE '\\'`);
      } else where.push(`actor = ${param(filter.actor)}`);
    }
    if (filter.kind) where.push(kindFilterSql(filter.kind));
    if (filter.since) where.push(`at >= ${param(filter.since.toISOString())}`);
    if (filter.before) where.push(`(at, id) < (${param(filter.before.at)}::timestamptz, ${param(filter.before.id)}::bigint)`);
    const limit = param(filter.limit);
    return this.db.query<ChangeRow>(
      `SELECT id::text AS id, at, actor, action, ${KIND} AS kind, target, environment, service, before, after, meta, summary, comment
       FROM audit_events WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ${limit}`,
      params,
    );
  }
}
