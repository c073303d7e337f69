import { useEffect } from 'react';
import type { ChangeRequestView } from '../../../../libs/flags/src/change-request.contract';
import { ErrorBanner } from '../forms/error-banner';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { ChangeRequestCard } from './change-request-card';
import { onChangeRequest } from './pending-change';

/** The queue: every pending change request, oldest first, with approve / reject for approvers. */
export function ChangeRequestsPage() {
  const { api } = useSession();
  const pending = useLoad(
    async () => (await api.get<{ items: ChangeRequestView[] }>('/api/v1/change-requests', { query: { state: 'pending' } })).items.reverse(),
    [api],
  );
  const { reload } = pending;
  useEffect(() => onChangeRequest(() => void reload()), [reload]);

  return (
    <section aria-labelledby="change-requests-title">
      <h1 id="change-requests-title">Change requests</h1>
      <p className="muted">
        Changes to environments that require approval wait here until someone other than their author approves them. Approving applies exactly the change shown,
        or nothing if the flag changed since.
      </p>
      <ErrorBanner error={pending.error} />
      {pending.data && pending.data.length === 0 ? <p className="muted">No pending change requests.</p> : null}
      {(pending.data ?? []).map((request) => (
        <ChangeRequestCard key={request.id} request={request} onDecided={() => void reload()} />
      ))}
    </section>
  );
}
