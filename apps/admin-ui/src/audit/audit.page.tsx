import { Fragment, useEffect, useState, type FormEvent } from 'react';
import type { AuditEvent, AuditPage as AuditPageData } from '../api/api-types';
import { DiffView } from '../diff/diff-view';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useSession } from '../session/session-context';

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

export function AuditPage() {
  const { api, environments, live } = useSession();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [items, setItems] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);

  const fetchPage = async (after: string | null) =>
    api.get<AuditPageData>('/api/v1/audit', {
      query: { ...filters, since: iso(filters.since), until: iso(filters.until), cursor: after ?? undefined, limit: 50 },
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
    setFilters(draft);
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
        {text('target', 'Target', 'flag:checkout')}
        {text('actor', 'Actor', 'user:ada@example.com')}
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
            setFilters(EMPTY);
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
                <td>{event.actor}</td>
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
                    <DiffView caption={`${event.action} on ${event.target}`} before={event.before ?? undefined} after={event.after ?? undefined} />
                    {Object.keys(event.meta ?? {}).length ? <pre className="meta">{JSON.stringify(event.meta, null, 2)}</pre> : null}
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
