import { useEffect } from 'react';
import type { ChangeRequestView } from '../../../../libs/flags/src/change-request.contract';
import { useLoad } from '../forms/use-load';
import { Link } from '../shell/link';
import { useSession } from '../session/session-context';
import { ChangeRequestCard } from './change-request-card';
import { onChangeRequest } from './pending-change';

/** On a flag's page: the changes waiting for approval, in plain words, with their decisions. */
export function PendingRequestsBanner({ flagKey, version, onDecided }: { flagKey: string; version: number; onDecided(): void }) {
  const { api } = useSession();
  const pending = useLoad(
    async () => (await api.get<{ items: ChangeRequestView[] }>('/api/v1/change-requests', { query: { state: 'pending', flag: flagKey } })).items,
    [api, flagKey],
  );
  const { reload } = pending;
  useEffect(() => onChangeRequest(() => void reload()), [reload]);
  if (!pending.data?.length) return null;
  return (
    <section className="banner banner-conflict pending-requests" aria-label="Pending change requests">
      <p>
        <strong>
          {pending.data.length} change{pending.data.length === 1 ? '' : 's'} waiting for approval
        </strong>{' '}
        (<Link href="/change-requests">all change requests</Link>)
      </p>
      {pending.data.map((request) => (
        <ChangeRequestCard
          key={request.id}
          request={request}
          currentVersion={version}
          onDecided={() => {
            void reload();
            onDecided();
          }}
        />
      ))}
    </section>
  );
}
