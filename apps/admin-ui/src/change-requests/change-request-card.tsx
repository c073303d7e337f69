import { useState } from 'react';
import type { ChangeRequestView } from '../../../../libs/flags/src/change-request.contract';
import { SentenceList } from '../diff/change-list';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { Link } from '../shell/link';
import { useSession } from '../session/session-context';
import { announceChangeRequest } from './pending-change';

type Decision = 'approve' | 'reject' | 'withdraw';

/**
 * One change request: what it changes in plain sentences, who asked and why, and the decisions the
 * signed-in person may take. The server decides who may (never the author approving their own).
 */
export function ChangeRequestCard({ request, currentVersion, onDecided }: { request: ChangeRequestView; currentVersion?: number; onDecided(): void }) {
  const { api, user, abilities } = useSession();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const mine = request.author === `user:${user.email}`;
  // Approving needs the approve role in every environment the request changes (per-environment roles).
  const canApprove = !mine && request.environments.every((environment) => abilities.approveIn(environment));
  const canWithdraw = mine;
  const stale = currentVersion !== undefined && currentVersion !== request.baseVersion;
  const target = request.target.kind === 'flag' ? `/flags/${encodeURIComponent(request.target.key)}` : '/segments';

  const decide = async (decision: Decision) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(`/api/v1/change-requests/${request.id}/${decision}`, comment.trim() ? { comment: comment.trim() } : {});
      announceChangeRequest(request);
      onDecided();
    } catch (err) {
      setError(err);
      // A stale or already decided request: the list shows what it is now.
      onDecided();
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className="card change-request" aria-label={`Change request for ${request.target.kind} ${request.target.key}`}>
      <header>
        <strong>
          <Link href={target}>
            {request.target.kind} {request.target.key}
          </Link>{' '}
          in {request.environments.join(', ')}
        </strong>{' '}
        <span className="muted">
          by {request.author}, <TimeText at={request.createdAt} /> · against v{request.baseVersion} · {request.state}
        </span>
      </header>
      <SentenceList sentences={request.summary.length ? request.summary : ['No visible change']} label="What it changes" />
      {request.comment ? <p>“{request.comment}”</p> : null}
      {stale ? (
        <p className="banner banner-conflict">
          The {request.target.kind} is at v{currentVersion} now: approving will fail; its author makes a new request.
        </p>
      ) : null}
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      {request.state === 'pending' && (canApprove || canWithdraw) ? (
        <div className="actions">
          <label className="visually-hidden" htmlFor={`cr-comment-${request.id}`}>
            Comment
          </label>
          <input
            id={`cr-comment-${request.id}`}
            placeholder={canApprove ? 'Comment (required to reject)' : 'Comment (optional)'}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            maxLength={1000}
          />
          {canApprove ? (
            <>
              <button type="button" className="primary" disabled={busy} onClick={() => void decide('approve')}>
                Approve and apply
              </button>
              <button type="button" className="danger" disabled={busy || !comment.trim()} onClick={() => void decide('reject')}>
                Reject
              </button>
            </>
          ) : null}
          {canWithdraw ? (
            <button type="button" disabled={busy} onClick={() => void decide('withdraw')}>
              Withdraw
            </button>
          ) : null}
          {mine ? <span className="muted">You made this request: someone else approves it.</span> : null}
        </div>
      ) : null}
    </article>
  );
}
