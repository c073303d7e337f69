import { useMemo, useState } from 'react';
import { ApiError } from '../api/api-client';
import type { FlagVersionView, FlagView } from '../api/api-types';
import { diffValues, type DiffEntry } from '../diff/diff.model';
import { DiffView } from '../diff/diff-view';
import { useConfirm } from '../forms/confirm-dialog';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { storedPart } from './targeting.model';

const IGNORE = ['updatedAt', 'createdAt', 'version'];

/** What one version changed, compared with the version before it (the first one field by field). */
export function versionDiff(previous: FlagView | undefined, current: FlagView): DiffEntry[] {
  return diffValues(previous ?? {}, current, { ignore: IGNORE });
}

export function FlagHistory({ flag, onRestored }: { flag: FlagView; onRestored(flag: FlagView): void }) {
  const { api, abilities, environments } = useSession();
  const versions = useLoad(
    () => api.get<{ items: FlagVersionView[] }>(`/api/v1/flags/${encodeURIComponent(flag.key)}/versions`).then((r) => r.items),
    [api, flag.key, flag.version],
  );
  const [selected, setSelected] = useState<number>();
  const [error, setError] = useState<unknown>();
  const [dialog, confirm] = useConfirm();

  const sorted = useMemo(() => [...(versions.data ?? [])].sort((a, b) => b.version - a.version), [versions.data]);
  const chosen = sorted.find((v) => v.version === selected) ?? sorted[0];
  const previous = chosen ? sorted.find((v) => v.version < chosen.version) : undefined;

  const restore = async (version: FlagVersionView) => {
    setError(undefined);
    const changed = environments.filter((env) => {
      const target = version.definition.environments[env.key];
      const now = flag.environments[env.key];
      return target && JSON.stringify(storedPart(target)) !== JSON.stringify(now && storedPart(now));
    });
    const guarded = changed.filter((env) => env.requiresConfirmation);
    const ok = await confirm({
      title: `Restore version ${version.version}?`,
      body: `This writes version ${version.version}'s settings as a new version ${flag.version + 1}${changed.length ? `, changing ${changed.map((e) => e.name).join(', ')}` : ''}.${
        guarded.length ? ` ${guarded.map((e) => e.name).join(', ')} needs confirmation.` : ''
      }`,
      confirmLabel: 'Restore',
      danger: guarded.length > 0,
    });
    if (!ok) return;
    try {
      const restored = await api.post<FlagView>(`/api/v1/flags/${encodeURIComponent(flag.key)}/versions/${version.version}/restore`, undefined, {
        ifMatch: flag.version,
        confirm: guarded.map((e) => e.key),
      });
      onRestored(restored);
      setSelected(undefined);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 409
          ? new Error('The flag changed while you looked at its history; the page shows the newest version now, try again.')
          : err,
      );
      if (err instanceof ApiError && err.status === 409) onRestored(await api.get<FlagView>(`/api/v1/flags/${encodeURIComponent(flag.key)}`));
    }
  };

  return (
    <div className="history">
      {dialog}
      <ErrorBanner error={error ?? versions.error} onDismiss={error ? () => setError(undefined) : undefined} />
      <div className="history-layout">
        <ol className="version-list" aria-label="Versions">
          {sorted.map((v) => (
            <li key={v.version}>
              <button
                type="button"
                className={v.version === chosen?.version ? 'selected' : undefined}
                aria-pressed={v.version === chosen?.version}
                onClick={() => setSelected(v.version)}
              >
                <strong>v{v.version}</strong> {v.actor.replace(/^(user|token):/, '')} <TimeText at={v.createdAt} />
              </button>
            </li>
          ))}
        </ol>
        {chosen ? (
          <div className="version-detail">
            <h2>
              Version {chosen.version}
              {chosen.version === flag.version ? ' (current)' : ''}
            </h2>
            <p className="muted">
              By {chosen.actor} on {new Date(chosen.createdAt).toLocaleString()}
            </p>
            <DiffView
              caption={previous ? `What version ${chosen.version} changed (from ${previous.version})` : 'Created with'}
              entries={versionDiff(previous?.definition, chosen.definition)}
            />
            {chosen.version !== flag.version ? (
              <>
                <DiffView
                  caption={`Restoring version ${chosen.version} would change`}
                  entries={diffValues(flag, chosen.definition, { ignore: [...IGNORE, 'archived'] })}
                />
                {abilities.writeFlags ? (
                  <button type="button" className="primary" onClick={() => void restore(chosen)}>
                    Restore version {chosen.version}
                  </button>
                ) : null}
              </>
            ) : null}
          </div>
        ) : (
          <p className="muted">No versions.</p>
        )}
      </div>
    </div>
  );
}
