import { useState, type FormEvent } from 'react';
import type { FlagView } from '../../../../libs/flags/src/flag.contract';
import type { ScheduleView } from '../../../../libs/flags/src/schedule.contract';
import { ApiError } from '../api/api-client';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { describeChange, instantOf, patchOf, type ScheduledAction } from './schedule-change.model';

const UPCOMING = new Set<ScheduleView['state']>(['awaiting-approval', 'pending', 'firing']);

/**
 * On a flag's page: its upcoming scheduled changes (cancel, approve where the environment requires
 * approval and the person is not the author) and a "Schedule" action: turn on, turn off or step a
 * rollout at a given time. Recently failed ones stay listed with their reason.
 */
export function FlagSchedules({ flag }: { flag: FlagView }) {
  const { api, abilities, user } = useSession();
  const schedules = useLoad(
    async () => (await api.get<{ items: ScheduleView[] }>('/api/v1/schedules', { query: { flag: flag.key } })).items,
    [api, flag.key, flag.version],
  );
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const { reload } = schedules;
  const shown = (schedules.data ?? []).filter(
    (s) => UPCOMING.has(s.state) || (s.state === 'failed' && s.closedAt && Date.now() - Date.parse(s.closedAt) < 86_400_000),
  );
  const canSchedule = abilities.writeFlags || Object.keys(flag.environments).some((env) => abilities.writeFlagsIn(env));

  const act = async (schedule: ScheduleView, action: 'cancel' | 'approve') => {
    setError(undefined);
    try {
      if (action === 'cancel') await api.delete(`/api/v1/schedules/${schedule.id}`);
      else await api.post(`/api/v1/schedules/${schedule.id}/approve`, {});
    } catch (err) {
      setError(err);
    }
    void reload();
  };

  if (!shown.length && !canSchedule) return null;
  return (
    <section className="card schedules" aria-label="Scheduled changes">
      <header className="actions">
        <strong>Scheduled changes</strong>
        {canSchedule && !open ? (
          <button type="button" onClick={() => setOpen(true)}>
            Schedule
          </button>
        ) : null}
      </header>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      {open ? (
        <ScheduleForm
          flag={flag}
          onDone={() => {
            setOpen(false);
            void reload();
          }}
        />
      ) : null}
      {shown.length ? (
        <ul className="schedule-list">
          {shown.map((s) => (
            <li key={s.id}>
              <TimeText at={s.runAt} /> <span className="muted">({new Date(s.runAt).toISOString().replace('.000Z', 'Z')})</span> · {s.environment} ·{' '}
              {describeChange(s.change)} · <span className="badge">{s.state}</span>
              <span className="muted">
                {' '}
                by {s.author}
                {s.approvedBy ? `, approved by ${s.approvedBy}` : ''}
              </span>
              {s.failure ? <p className="field-error">{s.failure}</p> : null}
              {UPCOMING.has(s.state) && s.state !== 'firing' ? (
                <span className="actions">
                  {s.state === 'awaiting-approval' && s.author !== `user:${user.email}` && abilities.approveIn(s.environment) ? (
                    <button type="button" className="primary" onClick={() => void act(s, 'approve')}>
                      Approve
                    </button>
                  ) : null}
                  {abilities.writeFlagsIn(s.environment) ? (
                    <button type="button" className="danger" onClick={() => void act(s, 'cancel')}>
                      Cancel
                    </button>
                  ) : null}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Nothing scheduled.</p>
      )}
    </section>
  );
}

function ScheduleForm({ flag, onDone }: { flag: FlagView; onDone(): void }) {
  const { api, environments, abilities } = useSession();
  const writable = environments.filter((env) => flag.environments[env.key] && abilities.writeFlagsIn(env.key));
  const variants = Object.keys(flag.variants);
  const [environment, setEnvironment] = useState(writable[0]?.key ?? '');
  const [runAt, setRunAt] = useState('');
  const [kind, setKind] = useState<ScheduledAction['kind']>('on');
  const [variant, setVariant] = useState(variants[0] ?? '');
  const [rest, setRest] = useState(variants[1] ?? variants[0] ?? '');
  const [percent, setPercent] = useState('25');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const details = error instanceof ApiError ? error.details : [];
  const env = environments.find((e) => e.key === environment);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const action: ScheduledAction = kind === 'rollout' ? { kind, variant, rest, percent: Number(percent) } : { kind };
    try {
      await api.post(
        `/api/v1/flags/${encodeURIComponent(flag.key)}/schedules`,
        // An empty or unreadable time is sent as it is, so the server names the field.
        { environment, runAt: instantOf(runAt) ?? runAt, change: patchOf(action) },
        { confirm: env?.requiresConfirmation && !env.requireApproval ? [environment] : undefined },
      );
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="schedule-form" onSubmit={(e) => void submit(e)} aria-label="Schedule a change">
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      <label htmlFor="schedule-environment">Environment</label>
      <select
        id="schedule-environment"
        value={environment}
        onChange={(e) => setEnvironment(e.target.value)}
        aria-invalid={invalid(details, 'environment') || undefined}
      >
        {writable.map((e) => (
          <option key={e.key} value={e.key}>
            {e.name}
            {e.requireApproval ? ' (needs approval)' : ''}
          </option>
        ))}
      </select>
      <FieldError id="schedule-environment-error" details={details} path="environment" />
      <label htmlFor="schedule-run-at">When (your local time)</label>
      <input
        id="schedule-run-at"
        type="datetime-local"
        value={runAt}
        onChange={(e) => setRunAt(e.target.value)}
        aria-invalid={invalid(details, 'runAt') || undefined}
        aria-describedby="schedule-run-at-error"
        required
      />
      <FieldError id="schedule-run-at-error" details={details} path="runAt" />
      <label htmlFor="schedule-kind">Change</label>
      <select id="schedule-kind" value={kind} onChange={(e) => setKind(e.target.value as ScheduledAction['kind'])}>
        <option value="on">Turn on</option>
        <option value="off">Turn off</option>
        {variants.length > 1 ? <option value="rollout">Step a rollout</option> : null}
      </select>
      {kind === 'rollout' ? (
        <p className="inline">
          <label htmlFor="schedule-percent">Serve</label>{' '}
          <select aria-label="Variant rolled out" value={variant} onChange={(e) => setVariant(e.target.value)}>
            {variants.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>{' '}
          to <input id="schedule-percent" type="number" min={0} max={100} step="any" value={percent} onChange={(e) => setPercent(e.target.value)} /> %, the rest{' '}
          <select aria-label="Variant for the rest" value={rest} onChange={(e) => setRest(e.target.value)}>
            {variants.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </p>
      ) : null}
      <FieldError id="schedule-change-error" details={details} path="change" />
      {env?.requireApproval ? <p className="muted small">{env.name} requires approval: someone else must approve this schedule before it runs.</p> : null}
      <div className="actions">
        <button type="button" onClick={onDone}>
          Close
        </button>
        <button type="submit" className="primary" disabled={busy || !environment}>
          Schedule
        </button>
      </div>
    </form>
  );
}
