import { changesEveryEnvironment, describeFlagChange, restoredFlag, type ChangeDescription } from '@switchyard/core';
import { useMemo, useState } from 'react';
import { ApiError } from '../api/api-client';
import type { FlagVersionView, FlagView } from '../../../../libs/flags/src/flag.contract';
import { ChangeList } from '../diff/change-list';
import { useConfirm } from '../forms/confirm-dialog';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { reviewNeeds, touchedEnvironments } from './change-review';
import { announceChangeRequest, isPendingChange } from '../change-requests/pending-change';
import type { PendingChange } from '../../../../libs/flags/src/change-request.contract';

/** What restoring `version` (all of it, or one environment's targeting) would change in `flag`. */
interface RestorePlan {
  environment?: string;
  changes: ChangeDescription;
  everywhere: boolean;
  touched: string[];
}

export function FlagHistory({ flag, onRestored }: { flag: FlagView; onRestored(flag: FlagView): void }) {
  const { api, abilities, environments } = useSession();
  const versions = useLoad(
    () => api.get<{ items: FlagVersionView[] }>(`/api/v1/flags/${encodeURIComponent(flag.key)}/versions`).then((r) => r.items),
    [api, flag.key, flag.version],
  );
  const [selected, setSelected] = useState<number>();
  const [error, setError] = useState<unknown>();
  const [dialog, , review] = useConfirm();

  const sorted = useMemo(() => [...(versions.data ?? [])].sort((a, b) => b.version - a.version), [versions.data]);
  const chosen = sorted.find((v) => v.version === selected) ?? sorted[0];
  const previous = chosen ? sorted.find((v) => v.version < chosen.version) : undefined;

  const plan = (version: FlagVersionView, environment?: string): RestorePlan => {
    const target = restoredFlag(flag, version.definition, environment);
    const changes = describeFlagChange(flag, target, environments);
    const everywhere = changesEveryEnvironment(flag, target);
    return { environment, changes, everywhere, touched: touchedEnvironments(changes, everywhere, environments) };
  };
  const whole = chosen && chosen.version !== flag.version ? plan(chosen) : undefined;

  const restore = async (version: FlagVersionView, restoring: RestorePlan) => {
    setError(undefined);
    const needs = reviewNeeds(environments, restoring.touched);
    const names = environments.filter((env) => restoring.touched.includes(env.key)).map((env) => env.name);
    const only = environments.find((env) => env.key === restoring.environment);
    const answer = await review({
      title: only ? `Restore ${only.name} to v${version.version}?` : `Restore v${version.version}?`,
      body: (
        <>
          <p>
            This writes {only ? `${only.name}'s targeting from ` : ''}v{version.version} as v{flag.version + 1}
            {names.length ? `, changing ${names.join(', ')}` : ', changing nothing that users get'}.
            {restoring.everywhere ? ' Variants and archiving reach every environment.' : ''}
            {needs.confirm.length
              ? ` ${environments
                  .filter((env) => needs.confirm.includes(env.key))
                  .map((env) => env.name)
                  .join(', ')} needs confirmation.`
              : ''}
          </p>
          <ChangeList changes={restoring.changes} />
        </>
      ),
      confirmLabel: 'Restore',
      danger: needs.danger,
      comment: needs.comment,
    });
    if (!answer) return;
    try {
      const restored = await api.post<FlagView | PendingChange>(
        `/api/v1/flags/${encodeURIComponent(flag.key)}/versions/${version.version}/restore`,
        undefined,
        {
          ifMatch: flag.version,
          confirm: needs.confirm,
          comment: answer.comment,
          query: { environment: restoring.environment },
        },
      );
      // Where approval is required the restore waits as a change request, shown on the flag's page.
      if (isPendingChange(restored)) announceChangeRequest(restored.changeRequest);
      else onRestored(restored);
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
              v{chosen.version}
              {chosen.version === flag.version ? ' (current)' : ''}
            </h2>
            <p className="muted">
              By {chosen.actor} on {new Date(chosen.createdAt).toLocaleString()}
            </p>
            {chosen.comment ? <blockquote className="change-comment">{chosen.comment}</blockquote> : null}
            <h3>{previous ? `v${previous.version} → v${chosen.version}` : `Created as v${chosen.version}`}</h3>
            <ChangeList changes={describeFlagChange(previous?.definition, chosen.definition, environments)} />
            {whole ? (
              <section aria-labelledby="restore-title" className="restore-preview">
                <h3 id="restore-title">
                  Restoring v{chosen.version} (as v{flag.version + 1}) would change
                </h3>
                <ChangeList changes={whole.changes} empty="Nothing: this version matches the current one." />
                {abilities.writeFlags ? (
                  <div className="actions">
                    <button type="button" className="primary" onClick={() => void restore(chosen, whole)}>
                      Restore v{chosen.version}
                    </button>
                    {/* One environment alone, when more than one would change and the definition stays. */}
                    {!whole.everywhere && whole.changes.environments.length > 1
                      ? whole.changes.environments.map((env) => (
                          <button key={env.environment} type="button" onClick={() => void restore(chosen, plan(chosen, env.environment))}>
                            Restore only {env.name}
                          </button>
                        ))
                      : null}
                  </div>
                ) : null}
              </section>
            ) : null}
          </div>
        ) : (
          <p className="muted">No versions.</p>
        )}
      </div>
    </div>
  );
}
