import { Fragment, useEffect } from 'react';
import type { ChangesPageView } from '../../../../libs/audit/src/change-timeline.contract';
import { actorLabel } from '../audit/audit-filters';
import { useEventFeed } from '../audit/event-feed';
import { EventRow, EventTable, LoadOlder } from '../audit/event-table';
import { EnvironmentFilter, FilterActions, useFilterDraft } from '../audit/filter-form';
import { DiffView } from '../diff/diff-view';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { pathOf, type TimelineFilters } from '../shell/routes';
import { CHANGE_KINDS, changesQuery, dayLabel, DEFAULT_SINCE, isAlarming, kindLabel, SINCE_CHOICES, whereLabel } from './timeline.model';

type Change = ChangesPageView['items'][number];

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
  const { filters, draft, setDraft, apply, clear } = useFilterDraft<Draft>(fromUrl, EMPTY, (f) => pathOf({ page: 'timeline', filters: f }), '/timeline');
  const feed = useEventFeed<Change>((after) => api.get<ChangesPageView>('/api/v1/changes', { query: changesQuery(filters, after) }), [api, filters]);

  // Newer changes join the top; rows a person paged down to stay where they are.
  useEffect(() => {
    const timer = setInterval(feed.mergeNewest, REFRESH_MS);
    const unsubscribe = live.subscribe(feed.mergeNewest);
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, [api, live, filters]);

  const now = new Date();
  const span = SINCE_CHOICES.find(([value]) => value === (filters.since || DEFAULT_SINCE))?.[1].toLowerCase() ?? `since ${filters.since}`;
  const { items } = feed;
  return (
    <section aria-labelledby="timeline-title">
      <h1 id="timeline-title">Timeline</h1>
      <p className="muted">
        Everything that changed {filters.environment ? `in ${filters.environment}` : 'in any environment'}
        {filters.service ? ` for ${filters.service}` : ''}, {span}, newest first: flag edits, rollout steps, approvals, verdicts, guardrail trips, rollbacks and
        mirror routes.
      </p>
      <form className="filters" onSubmit={apply} aria-label="Filter the timeline">
        <EnvironmentFilter environments={environments} value={draft.environment} onChange={(environment) => setDraft({ ...draft, environment })} />
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
        <FilterActions onClear={clear} />
      </form>
      <ErrorBanner error={feed.error} />
      <EventTable className="audit-table timeline-table" loading={feed.loading} label="Changes" columns={['When', 'What', 'Kind', 'Where', 'Who']}>
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
              <EventRow
                data-kind={change.kind}
                data-action={change.action}
                className={isAlarming(change) ? 'timeline-alarm' : undefined}
                detailId={`change-${change.id}`}
                columns={6}
                open={feed.open === change.id}
                onToggle={() => feed.toggle(change.id)}
                toggleLabel="Details"
                detail={
                  <>
                    <p className="small">
                      <code>{change.action}</code> on <code>{change.target}</code>
                      {change.reason ? <> — {change.reason}</> : null}
                    </p>
                    <DiffView caption={`${change.action} on ${change.target}`} before={change.before ?? undefined} after={change.after ?? undefined} />
                  </>
                }
              >
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
              </EventRow>
            </Fragment>
          );
        })}
      </EventTable>
      {!feed.loading && items.length === 0 ? <p className="muted">Nothing changed {span} with these filters.</p> : null}
      <LoadOlder cursor={feed.cursor} onMore={feed.more}>
        Load older changes
      </LoadOlder>
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
