import { useEffect, useMemo, useState } from 'react';
import type { FlagSummary } from '../../../../libs/flags/src/flag.contract';
import { ErrorBanner } from '../forms/error-banner';
import { useConfirm } from '../forms/confirm-dialog';
import { SwitchButton } from '../forms/switch-button';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { navigate } from '../shell/navigation';
import { pathOf, type FlagFilters } from '../shell/routes';
import { reviewNeeds } from './change-review';
import { CreateFlagForm } from './create-flag.form';
import { FirstFlagGuide } from './first-flag-guide';
import { pendingNotice } from '../change-requests/pending-change';
import { toggleFlag } from './flag-toggle';

export function FlagsPage({ filters = {} }: { filters?: FlagFilters }) {
  const { api, environments, abilities, user, live } = useSession();
  const [search, setSearch] = useState(filters.search ?? '');
  const [debounced, setDebounced] = useState(search.trim());
  const [tag, setTag] = useState(filters.tag ?? '');
  const [owner, setOwner] = useState(filters.owner ?? '');
  const [staleOnly, setStaleOnly] = useState(filters.stale === 'true');
  const [archived, setArchived] = useState(filters.archived === 'true');
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [dialog, , review] = useConfirm();

  useEffect(() => {
    const timer = setTimeout(() => setDebounced(search.trim()), 200);
    return () => clearTimeout(timer);
  }, [search]);

  const shown: FlagFilters = { search: debounced, tag, owner, stale: staleOnly ? 'true' : '', archived: archived ? 'true' : '' };
  const filtered = Object.values(shown).some(Boolean);
  // The filters live in the URL (replacing the entry: typing is not history), so reload and back keep them.
  useEffect(() => navigate(pathOf({ page: 'flags', filters: shown }), { replace: true }), [debounced, tag, owner, staleOnly, archived]);
  // A link or back/forward to other filters (the "Flags" link: none) resets the form to them.
  const incoming = pathOf({ page: 'flags', filters });
  useEffect(() => {
    if (incoming === pathOf({ page: 'flags', filters: shown })) return;
    setSearch(filters.search ?? '');
    setDebounced(filters.search?.trim() ?? '');
    setTag(filters.tag ?? '');
    setOwner(filters.owner ?? '');
    setStaleOnly(filters.stale === 'true');
    setArchived(filters.archived === 'true');
  }, [incoming]);

  const flags = useLoad(
    () => api.get<{ items: FlagSummary[] }>('/api/v1/flags', { query: shown }).then((r) => r.items),
    [api, debounced, tag, owner, staleOnly, archived],
  );
  // Filter choices come from every flag, not just the ones the current filter shows.
  const all = useLoad(() => api.get<{ items: FlagSummary[] }>('/api/v1/flags').then((r) => r.items), [api]);
  const { reload: reloadFlags, set: setFlags } = flags;
  const { reload: reloadAll, set: setAll } = all;

  useEffect(
    () =>
      live.subscribe((change) => {
        if (change.flags.length > 0) {
          // The notice says outright which switches moved: show that at once (with many tabs the
          // refetch that follows can take a while), then let the refetch bring the rest.
          const told = Object.entries(change.enabled).filter((entry): entry is [string, boolean] => typeof entry[1] === 'boolean');
          if (told.length > 0) {
            const apply = (items: FlagSummary[] | undefined) => items && items.map((flag) => withEnabled(flag, change.environment, told));
            setFlags(apply);
            setAll(apply);
          }
          void reloadFlags();
          void reloadAll();
        }
      }),
    [live, reloadFlags, reloadAll, setFlags, setAll],
  );

  // Archived flags' tags and owners are choices too while they are shown.
  const known = useMemo(() => [...(all.data ?? []), ...(flags.data ?? [])], [all.data, flags.data]);
  const tags = useMemo(() => [...new Set(known.flatMap((f) => f.tags))].sort(), [known]);
  const owners = useMemo(() => [...new Set(known.map((f) => f.owner).filter((o): o is string => !!o))].sort(), [known]);
  // A fresh install: nothing to filter yet, so the page shows how to start instead of an empty table.
  const noFlagsYet = all.data?.length === 0 && !filtered;

  const restore = async (flag: FlagSummary) => {
    setError(undefined);
    setNotice(undefined);
    // Restoring puts the flag back into every environment's snapshot, so it is reviewed like archiving.
    const needs = reviewNeeds(
      environments,
      environments.map((env) => env.key),
    );
    let comment: string | undefined;
    if (needs.ask) {
      const answer = await review({
        title: `Restore ${flag.key}?`,
        body: <p>It comes back in every environment, {environments.map((env) => env.name).join(', ')}, as it was when archived.</p>,
        confirmLabel: 'Restore',
        danger: needs.danger,
        comment: needs.comment,
      });
      if (!answer) return;
      comment = answer.comment;
    }
    setBusy(`${flag.key}/restore`);
    try {
      await api.patch(`/api/v1/flags/${encodeURIComponent(flag.key)}`, { archived: false }, { ifMatch: flag.version, confirm: needs.confirm, comment });
      setNotice(`${flag.key} is restored.`);
      await Promise.all([flags.reload(), all.reload()]);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  const clearFilters = () => {
    setSearch('');
    setDebounced('');
    setTag('');
    setOwner('');
    setStaleOnly(false);
    setArchived(false);
  };

  const toggle = async (flag: FlagSummary, envKey: string, enabled: boolean) => {
    const environment = environments.find((env) => env.key === envKey);
    if (!environment) return;
    setBusy(`${flag.key}/${envKey}`);
    setError(undefined);
    setNotice(undefined);
    try {
      const outcome = await toggleFlag(api, flag, environment, enabled, review);
      if (outcome.kind === 'done') {
        flags.set((flags.data ?? []).map((f) => (f.key === flag.key ? { ...f, ...outcome.flag } : f)));
        setNotice(`${flag.key} is now ${enabled ? 'on' : 'off'} in ${environment.name}.`);
      } else if (outcome.kind === 'pending') {
        setNotice(`${flag.key}: ${pendingNotice(outcome.request)}`);
      } else if (outcome.kind === 'conflict') {
        setNotice(`${flag.key} was changed by someone else in the meantime; the list is reloaded, check it and try again.`);
        await flags.reload();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section aria-labelledby="flags-title">
      {dialog}
      <div className="page-head">
        <h1 id="flags-title">Flags</h1>
        {abilities.writeFlags ? <CreateFlagForm open={creating} onOpenChange={setCreating} /> : null}
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="key, name or description" />
        </label>
        <label>
          Tag
          <select value={tag} onChange={(e) => setTag(e.target.value)}>
            <option value="">Any tag</option>
            {tags.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Owner
          <select value={owner} onChange={(e) => setOwner(e.target.value)}>
            <option value="">Any owner</option>
            {owners.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={staleOnly} onChange={(e) => setStaleOnly(e.target.checked)} /> Stale only
        </label>
        <label className="inline">
          <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} /> Show archived
        </label>
      </form>
      <ErrorBanner error={error ?? flags.error} onDismiss={error ? () => setError(undefined) : undefined} />
      {/* Always one line tall, so a notice after a toggle does not push the rows (and the switch under the pointer) down. */}
      <p className="list-status" role="status" title={notice}>
        {notice}
      </p>
      {!abilities.writeFlags ? (
        <p className="muted">
          You are signed in as a {user.role}: you can look, not change
          {environments.some((env) => abilities.writeFlagsIn(env.key))
            ? ` (except toggles and targeting in ${environments
                .filter((env) => abilities.writeFlagsIn(env.key))
                .map((env) => env.name)
                .join(', ')})`
            : ''}
          .
        </p>
      ) : null}
      {noFlagsYet ? <FirstFlagGuide creating={creating} onCreate={() => setCreating(true)} /> : null}
      <table className="flags-table" aria-busy={flags.loading} hidden={noFlagsYet}>
        <thead>
          <tr>
            <th scope="col">Flag</th>
            <th scope="col">Tags</th>
            <th scope="col">Owner</th>
            {environments.map((env) => (
              <th scope="col" key={env.key} className="env-col">
                {env.name}
                {env.requiresConfirmation ? (
                  <span className="confirm-mark" title="Changes here ask for confirmation">
                    {' '}
                    ⚠
                  </span>
                ) : null}
              </th>
            ))}
            <th scope="col" className="updated-col">
              Updated
            </th>
          </tr>
        </thead>
        <tbody>
          {(flags.data ?? []).map((flag) => (
            <tr key={flag.key} data-flag={flag.key}>
              <th scope="row">
                <Link href={`/flags/${encodeURIComponent(flag.key)}`} className="flag-key">
                  {flag.key}
                </Link>
                {flag.name !== flag.key ? <div className="muted small">{flag.name}</div> : null}
                {flag.archived ? (
                  <div>
                    <span className="badge">archived</span>{' '}
                    {abilities.writeFlags ? (
                      <button type="button" onClick={() => void restore(flag)} disabled={busy === `${flag.key}/restore`} aria-label={`Restore ${flag.key}`}>
                        Restore
                      </button>
                    ) : null}
                  </div>
                ) : null}
                {flag.stale ? (
                  <span className="badge badge-stale" title={`Stale since ${new Date(flag.stale.since).toLocaleDateString()}`}>
                    stale: {flag.stale.reason === 'not-evaluated' ? 'not evaluated' : 'fully rolled out'}
                  </span>
                ) : null}
              </th>
              <td>
                {flag.tags.map((t) => (
                  <span key={t} className="badge">
                    {t}
                  </span>
                ))}
              </td>
              <td>{flag.owner ?? <span className="muted">—</span>}</td>
              {environments.map((env) => {
                const config = flag.environments[env.key];
                return (
                  <td key={env.key} className="env-col">
                    {config ? (
                      <SwitchButton
                        checked={config.enabled}
                        label={`${flag.key} in ${env.name}`}
                        disabled={!abilities.writeFlagsIn(env.key) || flag.archived}
                        busy={busy === `${flag.key}/${env.key}`}
                        title={
                          abilities.writeFlagsIn(env.key)
                            ? `Turn ${flag.key} ${config.enabled ? 'off' : 'on'} in ${env.name}`
                            : `Your role in ${env.name} (${abilities.roleIn(env.key) ?? user.role}) cannot change flags`
                        }
                        onChange={(next) => void toggle(flag, env.key, next)}
                      />
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                );
              })}
              <td>
                <TimeText at={flag.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {flags.data && flags.data.length === 0 && !noFlagsYet ? (
        <p className="muted">
          {archived ? 'No archived flags match.' : 'No flags match.'}{' '}
          {filtered ? (
            <button type="button" className="link-button" onClick={clearFilters}>
              Clear filters
            </button>
          ) : null}
        </p>
      ) : null}
    </section>
  );
}

/** The flag with the switch states a live notice gives for one environment (the same object when none applies). */
function withEnabled(flag: FlagSummary, environment: string, told: ReadonlyArray<[string, boolean]>): FlagSummary {
  const state = told.find(([key]) => key === flag.key)?.[1];
  const current = flag.environments[environment];
  if (state === undefined || !current || current.enabled === state) return flag;
  return { ...flag, environments: { ...flag.environments, [environment]: { ...current, enabled: state } } };
}
