import { useCallback, useEffect, useState } from 'react';
import type { FlagView, SegmentView } from '../../../../libs/flags/src/flag.contract';
import { useConfirm } from '../forms/confirm-dialog';
import { ErrorBanner } from '../forms/error-banner';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { useLeaveGuard } from '../shell/leave-guard';
import { Link } from '../shell/link';
import { pathOf, type FlagTab } from '../shell/routes';
import { FlagHistory } from './flag-history';
import { FlagSettings } from './flag-settings';
import { FlagUsagePanel } from './flag-usage';
import { TargetingEditor } from './targeting-editor';
import { PendingRequestsBanner } from '../change-requests/pending-requests-banner';
import { FlagSchedules } from '../schedules/flag-schedules';

const TABS: Array<{ tab: FlagTab; label: string }> = [
  { tab: 'targeting', label: 'Targeting' },
  { tab: 'history', label: 'History' },
  { tab: 'usage', label: 'Usage' },
  { tab: 'settings', label: 'Settings' },
];

export function FlagDetailPage({ flagKey, tab, environment }: { flagKey: string; tab: FlagTab; environment?: string }) {
  const { api, environments, live, user } = useSession();
  const flag = useLoad(() => api.get<FlagView>(`/api/v1/flags/${encodeURIComponent(flagKey)}`), [api, flagKey]);
  const segments = useLoad(() => api.get<{ items: SegmentView[] }>('/api/v1/segments').then((r) => r.items), [api]);
  const [dirty, setDirty] = useState(false);
  const [remoteChange, setRemoteChange] = useState<string>();
  const [dialog, confirm] = useConfirm();
  const { reload: reloadFlag, set: setFlag } = flag;
  const { reload: reloadSegments } = segments;

  useEffect(
    () =>
      live.subscribe((change) => {
        if (change.segments.length) void reloadSegments();
        if (!change.flags.includes(flagKey)) return;
        // One's own save or toggle (in any tab) is no news; the flag is still reloaded.
        if (change.actor !== `user:${user.email}`)
          setRemoteChange(`${change.actor ? change.actor.replace(/^(user|token):/, '') : 'Someone'} changed this flag in ${change.environment}.`);
        void reloadFlag();
      }),
    [live, flagKey, reloadFlag, reloadSegments, user.email],
  );

  const onFlag = useCallback((next: FlagView) => setFlag(next), [setFlag]);
  const env = environments.find((e) => e.key === environment) ?? environments[0];

  // Tabs, environments and every other in-app link ask before unsaved targeting edits are thrown away.
  const askToLeave = useCallback(
    () =>
      confirm({
        title: 'Discard unsaved edits?',
        body: `Your targeting edits${env ? ` in ${env.name}` : ''} are not saved. Leave and lose them?`,
        confirmLabel: 'Discard edits',
        danger: true,
      }),
    [confirm, env],
  );
  useLeaveGuard(dirty, askToLeave);

  if (flag.error && !flag.data) {
    return (
      <section>
        <h1>{flagKey}</h1>
        <ErrorBanner error={flag.error} />
        <Link href="/flags">Back to flags</Link>
      </section>
    );
  }
  const data = flag.data;
  return (
    <section aria-labelledby="flag-title" aria-busy={!data}>
      {dialog}
      <p className="breadcrumb">
        <Link href="/flags">Flags</Link> /
      </p>
      <div className="page-head">
        <h1 id="flag-title">
          <code>{flagKey}</code>
          {data && data.name !== data.key ? <span className="subtitle"> {data.name}</span> : null}
        </h1>
        {data ? (
          <p className="muted">
            {data.type} · v{data.version}
            {data.owner ? ` · owner ${data.owner}` : ''}
            {data.archived ? ' · archived' : ''}
            {data.tags.map((t) => (
              <span key={t} className="badge">
                {t}
              </span>
            ))}
          </p>
        ) : null}
      </div>
      {data?.description ? <p>{data.description}</p> : null}
      {data ? <PendingRequestsBanner flagKey={flagKey} version={data.version} onDecided={() => void reloadFlag()} /> : null}
      {data ? <FlagSchedules flag={data} /> : null}
      <nav aria-label="Flag sections" className="tabs">
        {TABS.map((t) => (
          <Link
            key={t.tab}
            href={pathOf({ page: 'flag', key: flagKey, tab: t.tab, ...(t.tab === 'targeting' && environment ? { environment } : {}) })}
            aria-current={t.tab === tab ? 'page' : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      {remoteChange && dirty ? (
        <p className="banner" role="status">
          {remoteChange} Your unsaved edits are kept; saving will show what changed.
        </p>
      ) : null}
      {!data || !segments.data ? (
        <p aria-busy="true">Loading…</p>
      ) : tab === 'targeting' ? (
        env ? (
          <>
            <nav aria-label="Environments" className="tabs env-tabs">
              {environments.map((e) => (
                <Link
                  key={e.key}
                  href={pathOf({ page: 'flag', key: flagKey, tab: 'targeting', environment: e.key })}
                  aria-current={e.key === env.key ? 'page' : undefined}
                >
                  {e.name}{' '}
                  <span className={data.environments[e.key]?.enabled ? 'dot dot-on' : 'dot'} aria-label={data.environments[e.key]?.enabled ? 'on' : 'off'} />
                </Link>
              ))}
            </nav>
            {data.environments[env.key] ? (
              <TargetingEditor key={env.key} flag={data} environment={env} segments={segments.data} onFlag={onFlag} onDirty={setDirty} />
            ) : (
              <p className="muted">This flag has no configuration in {env.name}.</p>
            )}
          </>
        ) : null
      ) : tab === 'history' ? (
        <FlagHistory flag={data} onRestored={onFlag} />
      ) : tab === 'usage' ? (
        <FlagUsagePanel flag={data} />
      ) : (
        <FlagSettings flag={data} onSaved={onFlag} />
      )}
    </section>
  );
}
