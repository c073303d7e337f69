import { useEffect, useMemo, useState } from 'react';
import type { FlagSummary } from '../api/api-types';
import { ErrorBanner } from '../forms/error-banner';
import { useConfirm } from '../forms/confirm-dialog';
import { SwitchButton } from '../forms/switch-button';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { CreateFlagForm } from './create-flag.form';
import { toggleFlag } from './flag-toggle';

export function FlagsPage() {
  const { api, environments, abilities, user, live } = useSession();
  const [search, setSearch] = useState('');
  const [debounced, setDebounced] = useState('');
  const [tag, setTag] = useState('');
  const [owner, setOwner] = useState('');
  const [staleOnly, setStaleOnly] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [dialog, confirm] = useConfirm();

  useEffect(() => {
    const timer = setTimeout(() => setDebounced(search.trim()), 200);
    return () => clearTimeout(timer);
  }, [search]);

  const flags = useLoad(
    () =>
      api
        .get<{ items: FlagSummary[] }>('/api/v1/flags', { query: { search: debounced, tag, owner, stale: staleOnly ? 'true' : undefined } })
        .then((r) => r.items),
    [api, debounced, tag, owner, staleOnly],
  );
  // Filter choices come from every flag, not just the ones the current filter shows.
  const all = useLoad(() => api.get<{ items: FlagSummary[] }>('/api/v1/flags').then((r) => r.items), [api]);
  const { reload: reloadFlags } = flags;
  const { reload: reloadAll } = all;

  useEffect(
    () =>
      live.subscribe((change) => {
        if (change.flags.length > 0) {
          void reloadFlags();
          void reloadAll();
        }
      }),
    [live, reloadFlags, reloadAll],
  );

  const tags = useMemo(() => [...new Set((all.data ?? []).flatMap((f) => f.tags))].sort(), [all.data]);
  const owners = useMemo(() => [...new Set((all.data ?? []).map((f) => f.owner).filter((o): o is string => !!o))].sort(), [all.data]);

  const toggle = async (flag: FlagSummary, envKey: string, enabled: boolean) => {
    const environment = environments.find((env) => env.key === envKey);
    if (!environment) return;
    setBusy(`${flag.key}/${envKey}`);
    setError(undefined);
    setNotice(undefined);
    try {
      const outcome = await toggleFlag(api, flag, environment, enabled, confirm);
      if (outcome.kind === 'done') {
        flags.set((flags.data ?? []).map((f) => (f.key === flag.key ? { ...f, ...outcome.flag } : f)));
        setNotice(`${flag.key} is now ${enabled ? 'on' : 'off'} in ${environment.name}.`);
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
        {abilities.writeFlags ? <CreateFlagForm /> : null}
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
      </form>
      <ErrorBanner error={error ?? flags.error} onDismiss={error ? () => setError(undefined) : undefined} />
      {notice ? (
        <p className="banner" role="status">
          {notice}
        </p>
      ) : null}
      {!abilities.writeFlags ? <p className="muted">You are signed in as a {user.role}: you can look, not change.</p> : null}
      <table className="flags-table" aria-busy={flags.loading}>
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
            <th scope="col">Updated</th>
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
                        disabled={!abilities.writeFlags}
                        busy={busy === `${flag.key}/${env.key}`}
                        title={
                          abilities.writeFlags
                            ? `Turn ${flag.key} ${config.enabled ? 'off' : 'on'} in ${env.name}`
                            : `Your role (${user.role}) cannot change flags`
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
      {flags.data && flags.data.length === 0 ? <p className="muted">No flags match.</p> : null}
    </section>
  );
}
