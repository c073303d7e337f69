import { useEffect } from 'react';
import type { AuditPage as AuditPageData } from '../../../../libs/audit/src/audit.contract';
import { SentenceList } from '../diff/change-list';
import { DiffView } from '../diff/diff-view';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useSession } from '../session/session-context';
import { pathOf, type AuditFilters } from '../shell/routes';
import { actorLabel, prefixQuery } from './audit-filters';
import { useEventFeed } from './event-feed';
import { EventRow, EventTable, LoadOlder } from './event-table';
import { EnvironmentFilter, FilterActions, useFilterDraft } from './filter-form';

type AuditEvent = AuditPageData['items'][number];

interface Filters {
  target: string;
  actor: string;
  action: string;
  environment: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { target: '', actor: '', action: '', environment: '', since: '', until: '' };

/** `datetime-local` gives local wall time; the API wants ISO-8601. */
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** The filters live in the URL (`/audit?target=flag:checkout`), so reload, back and a shared link keep them. */
export function AuditPage({ filters: fromUrl }: { filters?: AuditFilters }) {
  const { api, environments, live } = useSession();
  const { filters, draft, setDraft, apply, clear } = useFilterDraft<Filters>(fromUrl, EMPTY, (f) => pathOf({ page: 'audit', filters: f }), '/audit');
  const feed = useEventFeed<AuditEvent>(
    (after) =>
      api.get<AuditPageData>('/api/v1/audit', {
        query: {
          ...filters,
          target: prefixQuery(filters.target),
          actor: prefixQuery(filters.actor, 'actor'),
          since: iso(filters.since),
          until: iso(filters.until),
          cursor: after ?? undefined,
          limit: 50,
        },
      }),
    [api, filters],
  );

  // New events arrive with every change; refresh the first page (a person paging back keeps their place).
  useEffect(() => live.subscribe(feed.reload), [live]);

  const text = (name: keyof Filters, label: string, placeholder: string) => (
    <label>
      {label}
      <input value={draft[name]} placeholder={placeholder} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} />
    </label>
  );

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="filters" onSubmit={apply} aria-label="Filter audit events">
        {text('target', 'Target starts with', 'flag:checkout')}
        {text('actor', 'Actor starts with', 'ada@example.com or token:ci')}
        {text('action', 'Action', 'flag.toggled')}
        <EnvironmentFilter environments={environments} value={draft.environment} onChange={(environment) => setDraft({ ...draft, environment })} />
        <label>
          Since
          <input type="datetime-local" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
        </label>
        <label>
          Until
          <input type="datetime-local" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />
        </label>
        <FilterActions onClear={clear} />
      </form>
      <ErrorBanner error={feed.error} />
      <EventTable className="audit-table" loading={feed.loading} columns={['When', 'Actor', 'Action', 'Target', 'Environment']}>
        {feed.items.map((event) => (
          <EventRow
            key={event.id}
            data-action={event.action}
            detailId={`audit-${event.id}`}
            columns={6}
            open={feed.open === event.id}
            onToggle={() => feed.toggle(event.id)}
            toggleLabel="Changes"
            detail={<AuditChange event={event} />}
          >
            <td>
              <TimeText at={event.at} />
            </td>
            <td title={event.actor}>{actorLabel(event)}</td>
            <td>
              <code>{event.action}</code>
            </td>
            <td>
              <code>{event.target}</code>
            </td>
            <td>{event.environment ?? <span className="muted">—</span>}</td>
          </EventRow>
        ))}
      </EventTable>
      {!feed.loading && feed.items.length === 0 ? <p className="muted">No events match.</p> : null}
      <LoadOlder cursor={feed.cursor} onMore={feed.more}>
        Load older events
      </LoadOlder>
    </section>
  );
}

/** "v4 → v5" for a flag write (its meta.version), the numbering history uses. */
function versionStep(event: AuditEvent): string | undefined {
  const version = event.meta?.version;
  if (typeof version !== 'number') return undefined;
  return event.action === 'flag.created' ? `v${version}` : `v${version - 1} → v${version}`;
}

/** The change in plain sentences when the server described it; every field otherwise (and on request). */
function AuditChange({ event }: { event: AuditEvent }) {
  const { version: _version, ...meta } = event.meta ?? {};
  const step = versionStep(event);
  const summary = event.summary ?? [];
  const fields = <DiffView caption={`${event.action} on ${event.target}`} before={event.before ?? undefined} after={event.after ?? undefined} />;
  return (
    <div className="audit-change">
      {step ? <p className="muted">{step}</p> : null}
      {event.comment ? <blockquote className="change-comment">{event.comment}</blockquote> : null}
      {summary.length ? (
        <>
          <SentenceList sentences={summary} label={`What ${event.action} changed`} />
          <details>
            <summary>All fields</summary>
            {fields}
          </details>
        </>
      ) : (
        fields
      )}
      {Object.keys(meta).length ? <pre className="meta">{JSON.stringify(meta, null, 2)}</pre> : null}
    </div>
  );
}
