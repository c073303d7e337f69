import { Fragment, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { AuditEvent, AuditPage as AuditPageData } from '../api/api-types';
import { SentenceList } from '../diff/change-list';
import { DiffView } from '../diff/diff-view';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useSession } from '../session/session-context';
import { navigate } from '../shell/navigation';
import { pathOf, type AuditFilters } from '../shell/routes';
import { actorLabel, prefixQuery } from './audit-filters';

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
  const url = pathOf({ page: 'audit', filters: fromUrl });
  const filters = useMemo<Filters>(() => ({ ...EMPTY, ...fromUrl }), [url]);
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filters), [filters]);
  const [items, setItems] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);

  const fetchPage = async (after: string | null) =>
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
    });

  useEffect(() => {
    let stale = false;
    setLoading(true);
    fetchPage(null)
      .then((page) => {
        if (stale) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(undefined);
      })
      .catch((err: unknown) => !stale && setError(err))
      .finally(() => !stale && setLoading(false));
    return () => {
      stale = true;
    };
  }, [api, filters, tick]);

  // New events arrive with every change; refresh the first page (a person paging back keeps their place).
  useEffect(() => live.subscribe(() => setTick((t) => t + 1)), [live]);

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await fetchPage(cursor);
      setItems((current) => [...current, ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(pathOf({ page: 'audit', filters: draft }));
  };

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
        <label>
          Environment
          <select value={draft.environment} onChange={(e) => setDraft({ ...draft, environment: e.target.value })}>
            <option value="">Any</option>
            {environments.map((env) => (
              <option key={env.key} value={env.key}>
                {env.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Since
          <input type="datetime-local" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
        </label>
        <label>
          Until
          <input type="datetime-local" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />
        </label>
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(EMPTY);
            navigate('/audit');
          }}
        >
          Clear
        </button>
      </form>
      <ErrorBanner error={error} />
      <table className="audit-table" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Environment</th>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((event) => (
            <Fragment key={event.id}>
              <tr data-action={event.action}>
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
                <td>
                  <button
                    type="button"
                    aria-expanded={open === event.id}
                    aria-controls={`audit-${event.id}`}
                    onClick={() => setOpen(open === event.id ? undefined : event.id)}
                  >
                    {open === event.id ? 'Hide' : 'Changes'}
                  </button>
                </td>
              </tr>
              {open === event.id ? (
                <tr id={`audit-${event.id}`} className="audit-detail">
                  <td colSpan={6}>
                    <AuditChange event={event} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
      {!loading && items.length === 0 ? <p className="muted">No events match.</p> : null}
      {cursor ? (
        <button type="button" onClick={() => void more()}>
          Load older events
        </button>
      ) : null}
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
