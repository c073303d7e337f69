import { useState } from 'react';
import type { Release } from '../../../../libs/deploy/src/releases/release.contract';
import type { Rollout } from '../../../../libs/deploy/src/rollout/rollout.contract';
import type { ReleasePolicy, StoredPolicy } from '../../../../libs/deploy/src/policy/release-policy.contract';
import { ErrorBanner } from '../forms/error-banner';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { pathOf } from '../shell/routes';
import { PolicyView } from './release-policy.page';
import { proposedPolicyOf } from './release-policy.model';

/**
 * Starts the rollout of a published release (admins: the deploy scope). The first release of a
 * service is refused with 409 POLICY_REQUIRED and the policy its pipeline proposes; an admin
 * accepts it here, then starts again.
 */
export function StartRollout({ release, onStarted }: { release: Release; onStarted(rollout: Rollout): void }) {
  const { api, abilities } = useSession();
  const [proposal, setProposal] = useState<ReleasePolicy | null>();
  const [accepted, setAccepted] = useState<StoredPolicy>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (!abilities.admin || !release.imageDigest) return null;

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
      setError(undefined);
    } catch (err) {
      const proposed = proposedPolicyOf(err);
      if (proposed === undefined) setError(err);
      else setProposal(proposed);
    } finally {
      setBusy(false);
    }
  };
  const start = () => run(async () => onStarted(await api.post<Rollout>(`/api/v1/releases/${release.id}/rollout`)));
  const accept = () =>
    run(async () => {
      setAccepted(await api.post<StoredPolicy>(`/api/v1/services/${encodeURIComponent(release.service)}/policy/accept`, { releaseId: release.id }));
      setProposal(undefined);
    });

  return (
    <div className="start-rollout">
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      {proposal !== undefined ? (
        <div className="gate" role="region" aria-label="Proposed release policy">
          <h3>{release.service} has no release policy yet</h3>
          {proposal ? (
            <>
              <p>
                Its pipeline file proposes this one. Accepting makes it the server&apos;s policy for every later release of {release.service}; you can{' '}
                <Link href={pathOf({ page: 'release-policy', service: release.service })}>register another one instead</Link>.
              </p>
              <PolicyView policy={proposal} nested />
              <button type="button" className="primary" disabled={busy} onClick={() => void accept()}>
                Accept policy
              </button>
            </>
          ) : (
            <p>
              Its pipeline file has no deploy section to propose one;{' '}
              <Link href={pathOf({ page: 'release-policy', service: release.service })}>register a policy</Link>.
            </p>
          )}
        </div>
      ) : null}
      {accepted ? (
        <p role="status">
          Policy accepted (version {accepted.version}). <Link href={pathOf({ page: 'release-policy', service: release.service })}>View it</Link>
        </p>
      ) : null}
      {proposal ? null : (
        <button type="button" className="primary" disabled={busy} onClick={() => void start()}>
          Start rollout
        </button>
      )}
    </div>
  );
}
