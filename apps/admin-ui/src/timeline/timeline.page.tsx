import { Fragment, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { actorLabel } from '../audit/audit-filters';
import { DiffView } from '../diff/diff-view';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { navigate } from '../shell/navigation';
import { pathOf, type TimelineFilters } from '../shell/routes';
import {
  CHANGE_KINDS,
  changesQuery,
  dayLabel,
  DEFAULT_SINCE,
  isAlarming,
  kindLabel,
  mergeNewest,
  SINCE_CHOICES,
  whereLabel,
  type Change,
  type ChangesPage,
} from './timeline.model';

interface Draft {
  environment: string;
  service: string;
  kind: string;
  actor: string;
  since: string;
}

const EMPTY: Draft = { environment: '', service: '', kind: '', actor: '', since: '' };

/**
 * Rollout steps and verdicts are not on the flag stream, so the page also re-reads its first page
 * on a timer; one indexed query every few seconds is cheap (bench/README.md, changes query).
 */
const REFRESH_MS = 5000;

/** Every change that touched an environment, newest first; the filters live in the URL (`/timeline?environment=production&since=30m`). */
export function TimelinePage({ filters: fromUrl }: { filters?: TimelineFilters }) {
  const { api, environments, live } = useSession();
  const url = pathOf({ page: 'timeline', filters: fromUrl });
  const filters = useMemo<TimelineFilters>(() => ({ ...fromUrl }), [url]);
  const [draft, setDraft] = useState<Draft>({ ...EMPTY, ...filters });
  useEffect(() => setDraft({ ...EMPTY, ...filters }), [filters]);
  const [items, setItems] = useState<Change[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);

  const fetchPage = (after: string | null) => api.get<ChangesPage>('/api/v1/changes', { query: changesQuery(filters, after) });

  useEffect(() => {
    const mine = (generation.current += 1);
    setLoading(true);
    fetchPage(null)
      .then((page) => {
        if (mine !== generation.current) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(undefined);
      })
      .catch((err: unknown) => mine === generation.current && setError(err))
      .finally(() => mine === generation.current && setLoading(false));
  }, [api, filters]);

  // Newer changes join the top; rows a person paged down to stay where they are.
  useEffect(() => {
    const refresh = () => {
      const mine = generation.current;
      fetchPage(null).then(
        (page) => mine === generation.current && setItems((shown) => mergeNewest(shown, page.items)),
        () => undefined,
      );
    };
    const timer = setInterval(refresh, REFRESH_MS);
    const unsubscribe = live.subscribe(refresh);
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, [api, live, filters]);

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await fetchPage(cursor);
      setItems((current) => [...current, ...page.items.filter((c) => !current.some((shown) => shown.id === c.id))]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(pathOf({ page: 'timeline', filters: draft }));
  };

  const now = new Date();
  const span = SINCE_CHOICES.find(([value]) => value === (filters.since || DEFAULT_SINCE))?.[1].toLowerCase() ?? `since ${filters.since}`;
  return (
    <section aria-labelledby="timeline-title">
      <h1 id="timeline-title">Timeline</h1>
      <p className="muted">
        Everything that changed {filters.environment ? `in ${filters.environment}` : 'in any environment'}
        {filters.service ? ` for ${filters.service}` : ''}, {span}, newest first: flag edits, rollout steps, approvals, verdicts, guardrail trips, rollbacks and
        mirror routes.
      </p>
      <form className="filters" onSubmit={apply} aria-label="Filter the timeline">
        <label>
          Environment
          <select aria-label="Environment" value={draft.environment} onChange={(e) => setDraft({ ...draft, environment: e.target.value })}>
            <option value="">Any</option>
            {environments.map((env) => (
              <option key={env.key} value={env.key}>
                {env.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Service
          <input value={draft.service} placeholder="quotes" onChange={(e) => setDraft({ ...draft, service: e.target.value })} />
        </label>
        <label>
          Kind
          <select aria-label="Kind" value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value })}>
            <option value="">Any</option>
            {CHANGE_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kindLabel(kind)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Actor starts with
          <input value={draft.actor} placeholder="ada@example.com or system:rollout" onChange={(e) => setDraft({ ...draft, actor: e.target.value })} />
        </label>
        <label>
          Since
          <select aria-label="Since" value={draft.since || DEFAULT_SINCE} onChange={(e) => setDraft({ ...draft, since: e.target.value })}>
            {SINCE_CHOICES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
            {draft.since && !SINCE_CHOICES.some(([value]) => value === draft.since) ? <option value={draft.since}>Since {draft.since}</option> : null}
          </select>
        </label>
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(EMPTY);
            navigate('/timeline');
          }}
        >
          Clear
        </button>
      </form>
      <ErrorBanner error={error} />
      <table className="audit-table timeline-table" aria-busy={loading} aria-label="Changes">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Kind</th>
            <th scope="col">Where</th>
            <th scope="col">Who</th>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((change, i) => {
            const day = dayLabel(change.at, now);
            const heading = i === 0 || dayLabel(items[i - 1].at, now) !== day;
            return (
              <Fragment key={change.id}>
                {heading ? (
                  <tr className="timeline-day">
                    <th scope="rowgroup" colSpan={6}>
                      {day}
                    </th>
                  </tr>
                ) : null}
                <tr data-kind={change.kind} data-action={change.action} className={isAlarming(change) ? 'timeline-alarm' : undefined}>
                  <td>
                    <TimeText at={change.at} />
                  </td>
                  <td>
                    {change.summary.map((sentence, n) => (
                      <div key={n}>{sentence}</div>
                    ))}
                    {change.comment ? <blockquote className="change-comment">{change.comment}</blockquote> : null}
                    {change.link ? (
                      <Link href={change.link} className="small">
                        {linkText(change)}
                      </Link>
                    ) : null}
                  </td>
                  <td>
                    <span className={`badge kind-${change.kind}`}>{kindLabel(change.kind)}</span>
                  </td>
                  <td>{whereLabel(change)}</td>
                  <td title={change.actor}>{actorLabel(change)}</td>
                  <td>
                    <button
                      type="button"
                      aria-expanded={open === change.id}
                      aria-controls={`change-${change.id}`}
                      onClick={() => setOpen(open === change.id ? undefined : change.id)}
                    >
                      {open === change.id ? 'Hide' : 'Details'}
                    </button>
                  </td>
                </tr>
                {open === change.id ? (
                  <tr id={`change-${change.id}`} className="audit-detail">
                    <td colSpan={6}>
                      <p className="small">
                        <code>{change.action}</code> on <code>{change.target}</code>
                        {change.reason ? <> — {change.reason}</> : null}
                      </p>
                      <DiffView caption={`${change.action} on ${change.target}`} before={change.before ?? undefined} after={change.after ?? undefined} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {!loading && items.length === 0 ? <p className="muted">Nothing changed {span} with these filters.</p> : null}
      {cursor ? (
        <button type="button" onClick={() => void more()}>
          Load older changes
        </button>
      ) : null}
    </section>
  );
}

/** What the link opens, said in words, naming the flag, route or release so the row says what changed. */
function linkText(change: Change): string {
  const name = change.target.slice(change.target.indexOf(':') + 1);
  if (change.link?.startsWith('/dark-launch'))
    return `Dark-launch report${change.link.includes('route=') ? ` of ${new URLSearchParams(change.link.split('?')[1]).get('route')}` : ''}`;
  if (change.link?.startsWith('/flags/')) return `Flag ${name}`;
  if (change.link?.startsWith('/releases/policy')) return `Release policy of ${name}`;
  if (change.link?.startsWith('/releases/') && change.target.startsWith('release:')) return `Release ${name}`;
  if (change.link?.startsWith('/releases')) return 'Releases';
  return 'Open';
}
