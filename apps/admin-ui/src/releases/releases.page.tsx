import { useEffect, useState, type FormEvent } from 'react';
import type { Release, ReleasePage, ReleaseStatus } from '../../../../libs/deploy/src/releases/release.contract';
import { membersOf } from '../api/contract-lists';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { navigate } from '../shell/navigation';
import { FirstReleaseGuide } from './first-release-guide';
import { formatDuration, shortDigest } from './release.model';

const RELEASE_STATUSES = membersOf<ReleaseStatus>({ running: true, succeeded: true, failed: true, abandoned: true });

interface Filters {
  service: string;
  status: string;
  branch: string;
  gitSha: string;
}

/** Every service's releases, newest first; the service filter lives in the URL so a link can share it. */
export function ReleasesPage({ service }: { service?: string }) {
  const { api } = useSession();
  const initial: Filters = { service: service ?? '', status: '', branch: '', gitSha: '' };
  const [draft, setDraft] = useState<Filters>(initial);
  const [filters, setFilters] = useState<Filters>(initial);
  const [items, setItems] = useState<Release[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);

  const fetchPage = (after: string | null) => api.get<ReleasePage>('/api/v1/releases', { query: { ...filters, cursor: after ?? undefined, limit: 25 } });

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
  }, [api, filters]);

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
    const next = { ...draft, service: draft.service.trim(), branch: draft.branch.trim(), gitSha: draft.gitSha.trim() };
    if (next.service !== (service ?? '')) navigate(next.service ? `/releases?service=${encodeURIComponent(next.service)}` : '/releases', { replace: true });
    setFilters(next);
  };

  const text = (name: keyof Filters, label: string, placeholder: string) => (
    <label>
      {label}
      <input value={draft[name]} placeholder={placeholder} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} />
    </label>
  );

  return (
    <section aria-labelledby="releases-title">
      <h1 id="releases-title">Releases</h1>
      {service ? <Link href={`/releases/policy?service=${encodeURIComponent(service)}`}>Release policy of {service}</Link> : null}
      <form className="filters" onSubmit={apply} aria-label="Filter releases">
        {text('service', 'Service', 'market-data')}
        <label>
          Status
          <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            <option value="">Any</option>
            {RELEASE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {text('branch', 'Branch', 'main')}
        {text('gitSha', 'Commit', '4f2a9c1')}
        <button type="submit" className="primary">
          Apply filters
        </button>
      </form>
      <ErrorBanner error={error} />
      {!loading && items.length === 0 && !error ? (
        Object.values(filters).some(Boolean) ? (
          <p className="muted">No releases match.</p>
        ) : (
          <FirstReleaseGuide />
        )
      ) : null}
      {items.length > 0 ? (
        <table className="releases-table">
          <thead>
            <tr>
              <th scope="col">Release</th>
              <th scope="col">Status</th>
              <th scope="col">Stages</th>
              <th scope="col">Commit</th>
              <th scope="col">Image digest</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((release) => (
              <tr key={release.id}>
                <td>
                  <Link href={`/releases/${release.id}`}>
                    {release.service} {release.version}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={release.status} />
                </td>
                <td>
                  <span className="stage-strip">
                    {release.stages.map((stage) => (
                      <span
                        key={stage.name}
                        className={`stage-chip status-${stage.status}`}
                        title={`${stage.name}: ${stage.status}, ${formatDuration(stage.durationMs)}`}
                      >
                        {stage.name}
                      </span>
                    ))}
                  </span>
                </td>
                <td>
                  {release.gitSha ? <code>{release.gitSha.slice(0, 8)}</code> : null} <span className="muted">{release.branch ?? ''}</span>
                </td>
                <td>{release.imageDigest ? <code title={release.imageDigest}>{shortDigest(release.imageDigest)}</code> : <span className="muted">—</span>}</td>
                <td>
                  <TimeText at={release.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => void more()}>
          Load more
        </button>
      ) : null}
    </section>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-badge status-${status}`}>{status}</span>;
}
