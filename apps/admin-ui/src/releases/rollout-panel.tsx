import { useEffect, useState } from 'react';
import { ApiError } from '../api/api-client';
import type { Release } from '../../../../libs/deploy/src/releases/release.contract';
import type { Rollout, RolloutMeasurements, RolloutStep, ServiceEnvironment } from '../../../../libs/deploy/src/rollout/rollout.contract';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { CanaryChart } from './canary-chart';
import { formatDuration, groupByMetric, rollbackMessage, shortDigest, summarizePlan } from './release.model';
import { darkLaunchView, flagReleaseView, gateTitle } from './rollout-stages.model';
import { StatusBadge } from './releases.page';
import { StartRollout } from './start-rollout';

/** A release with no rollout yet answers 404; that is a state to show, not an error. */
async function orNull<T>(load: Promise<T>): Promise<T | null> {
  try {
    return await load;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** How often the panel re-reads a rollout (or rollback) that the server is still driving. */
const FOLLOW_MS = 1000;

/** The release's rollout: its steps per environment, the gate with its plan, the canary analysis, and rollback. */
export function RolloutPanel({ release }: { release: Release }) {
  const { api, user } = useSession();
  // Approving, aborting and rolling back need the approve (or deploy) scope; the server decides, this only hides dead buttons.
  const canDecide = user.role === 'admin' || user.role === 'approver';
  const rollout = useLoad(() => orNull(api.get<Rollout>(`/api/v1/releases/${release.id}/rollout`)), [api, release.id]);
  // A rollback started from this page is a rollout of its own (of the release it restores); follow it here.
  const [rollback, setRollback] = useState<Rollout>();
  // Re-read on every refresh of the rollout, so the canary chart grows while the analysis runs.
  const measurements = useLoad(
    () => (rollout.data ? api.get<RolloutMeasurements>(`/api/v1/rollouts/${rollout.data.id}/measurements`) : Promise.resolve(null)),
    [api, rollout.data],
  );
  const environments = useLoad(
    () => api.get<{ items: ServiceEnvironment[] }>(`/api/v1/services/${encodeURIComponent(release.service)}/environments`).then((r) => r.items),
    [api, release.service, rollout.data?.currentStep, rollout.data?.status, rollback?.status],
  );
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  // The server moves a running rollout on its own; a waiting or finished one changes only when someone acts.
  const following = rollout.data?.status === 'running' || rollback?.status === 'running';
  useEffect(() => {
    if (!following) return;
    const timer = setTimeout(() => {
      void rollout.reload();
      if (rollback?.status === 'running') {
        api.get<Rollout>(`/api/v1/rollouts/${rollback.id}`).then(setRollback, setError);
      }
    }, FOLLOW_MS);
    return () => clearTimeout(timer);
  }, [following, rollout.data, rollback]);

  const decide = async (action: 'approve' | 'abort') => {
    setBusy(true);
    try {
      const next = await api.post<Rollout>(`/api/v1/releases/${release.id}/${action}`, { comment });
      rollout.set(next);
      setComment('');
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const data = rollout.data;
  return (
    <section className="card rollout-panel" aria-labelledby="rollout-title">
      <div className="page-head">
        <h2 id="rollout-title">Rollout</h2>
        <button type="button" onClick={() => void rollout.reload()}>
          Refresh rollout
        </button>
      </div>
      <ErrorBanner error={rollout.error ?? error} onDismiss={error ? () => setError(undefined) : undefined} />
      {data === null ? <p className="muted">This release has not been rolled out.</p> : null}
      {data === null ? <StartRollout release={release} onStarted={rollout.set} /> : null}
      {data ? (
        <>
          <p>
            <StatusBadge status={data.status} /> {data.kind === 'rollback' ? 'Rollback' : 'Rollout'} of <code>{data.image}</code>
            {data.imageDigest ? (
              <>
                {' '}
                @ <code title={data.imageDigest}>{shortDigest(data.imageDigest)}</code>
              </>
            ) : null}{' '}
            started <TimeText at={data.createdAt} /> by {data.createdBy}
          </p>
          {data.error ? <p className="field-error">{data.error}</p> : null}
          <table className="steps-table">
            <thead>
              <tr>
                <th scope="col">Environment</th>
                <th scope="col">Step</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {data.steps.map((step, i) => (
                <tr key={i} aria-current={i === data.currentStep && (data.status === 'running' || data.status === 'waiting') ? 'step' : undefined}>
                  <td>{step.environment}</td>
                  <td>{step.kind}</td>
                  <td>
                    <StatusBadge status={step.status} />
                  </td>
                  <td>{formatDuration(step.durationMs)}</td>
                  <td className="small">{step.message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.gate ? (
            <div className="gate" role="region" aria-label="Approval gate">
              <h3>{gateTitle(data.gate)}</h3>
              <p className="small">
                Waiting since <TimeText at={data.gate.since} />
              </p>
              {data.gate.kind === 'approval' ? <GatePlanView plan={data.gate.plan} planError={data.steps[data.currentStep]?.detail?.planError} /> : null}
              {canDecide ? (
                <div className="actions">
                  <label>
                    Comment
                    <input value={comment} onChange={(e) => setComment(e.target.value)} placeholder="why" />
                  </label>
                  <button type="button" className="primary" disabled={busy || !comment.trim()} onClick={() => void decide('approve')}>
                    Approve
                  </button>
                  <button type="button" className="danger" disabled={busy || !comment.trim()} onClick={() => void decide('abort')}>
                    Abort
                  </button>
                </div>
              ) : null}
            </div>
          ) : canDecide && (data.status === 'running' || data.status === 'waiting') ? (
            <div className="actions">
              <label>
                Comment
                <input value={comment} onChange={(e) => setComment(e.target.value)} placeholder="why" />
              </label>
              <button type="button" className="danger" disabled={busy || !comment.trim()} onClick={() => void decide('abort')}>
                Abort
              </button>
            </div>
          ) : null}
          {data.verdict ? (
            <p className={`verdict verdict-${data.verdict.verdict.toLowerCase()}`}>
              <strong>Canary verdict: {data.verdict.verdict}</strong> — {data.verdict.reason} ({data.verdict.iterations} iterations, {data.verdict.failures}{' '}
              failed, {data.verdict.inconclusive} inconclusive)
            </p>
          ) : null}
          {measurements.data?.environments
            .filter((e) => e.measurements.length > 0)
            .map((e) => (
              <div key={e.environment} className="analysis">
                <h3>Canary analysis in {e.environment}</h3>
                <div className="chart-row">
                  {[...groupByMetric(e.measurements)].map(([metric, list]) => (
                    <CanaryChart key={metric} measurements={list} />
                  ))}
                </div>
              </div>
            ))}
          {data.steps.map((step, i) =>
            step.kind === 'dark-launch' ? (
              <DarkLaunchStage key={i} step={step} />
            ) : step.kind === 'flag-release' ? (
              <FlagReleaseStage key={i} step={step} />
            ) : null,
          )}
          {data.decisions.length > 0 ? (
            <>
              <h3>Decisions</h3>
              <ul>
                {data.decisions.map((d, i) => (
                  <li key={i}>
                    <strong>{d.action}</strong> {d.environment} by {d.actor} <TimeText at={d.at} />: {d.comment}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
      <EnvironmentsTable
        service={release.service}
        environments={environments.data ?? []}
        canRollback={canDecide}
        rollback={rollback}
        onRolledBack={setRollback}
      />
      <ErrorBanner error={environments.error} />
    </section>
  );
}

/** The dark launch of one environment: where it mirrors, how far it got, and the verdict with the endpoints and fields that decided it. */
function DarkLaunchStage({ step }: { step: RolloutStep }) {
  const view = darkLaunchView(step);
  if (!view) return null;
  const verdict = view.verdict;
  return (
    <div className="stage dark-launch-stage" role="region" aria-label={`Dark launch in ${step.environment}`}>
      <h3>Dark launch in {step.environment}</h3>
      <p className="small">
        Route <code>{view.route}</code>, {view.sample}
        {view.shadow ? (
          <>
            {' '}
            mirrored to <code>{view.shadow}</code> (no user traffic)
          </>
        ) : null}
        ; needs {view.limits}
        {view.deadline ? (
          <>
            , until <TimeText at={view.deadline} />
          </>
        ) : null}
        .
      </p>
      {view.progress && !verdict ? <p data-testid="dark-launch-progress">{view.progress}</p> : null}
      {verdict ? (
        <>
          <p className={`verdict verdict-${verdict.outcome}`}>
            <strong>Dark-launch verdict: {verdict.label}</strong> — {verdict.reason}
          </p>
          {verdict.endpoints.length ? (
            <table className="small" aria-label={`Dark-launch endpoints in ${step.environment}`}>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Compared</th>
                  <th scope="col">Mismatched</th>
                  <th scope="col">Fields that differ</th>
                </tr>
              </thead>
              <tbody>
                {verdict.endpoints.map((e) => (
                  <tr key={e.endpoint}>
                    <td>
                      <code>{e.endpoint}</code>
                    </td>
                    <td>{e.compared.toLocaleString('en-US')}</td>
                    <td>{e.mismatch}</td>
                    <td>
                      {e.fields.length
                        ? e.fields.map((f, n) => (
                            <span key={f.path}>
                              {n ? ', ' : ''}
                              <code>{f.path}</code> {f.percent}
                            </span>
                          ))
                        : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {verdict.reportUrl ? (
            <p>
              <Link href={verdict.reportUrl}>Open the dark-launch report</Link>
            </p>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

/** The flag release of one environment: its steps with the one held now, the guardrails as charts, and a banner when one tripped. */
function FlagReleaseStage({ step }: { step: RolloutStep }) {
  const view = flagReleaseView(step);
  if (!view) return null;
  return (
    <div className="stage flag-release-stage" role="region" aria-label={`Flag release in ${step.environment}`}>
      <h3>Flag release in {step.environment}</h3>
      {view.tripped ? (
        <div className="banner banner-error" role="alert">
          <span>
            {view.tripped.text}
            {view.tripped.at ? (
              <>
                {' '}
                (<TimeText at={view.tripped.at} />)
              </>
            ) : null}
          </span>
        </div>
      ) : null}
      <p className="small">
        {view.flags.map((flag, n) => (
          <span key={flag}>
            {n ? ', ' : ''}
            <Link href={`/flags/${encodeURIComponent(flag)}?environment=${encodeURIComponent(step.environment)}`}>{flag}</Link>
          </span>
        ))}{' '}
        stepped up every {view.interval} while the guardrails hold.
      </p>
      <ol className="release-steps" aria-label={`Flag release steps in ${step.environment}`}>
        {view.steps.map((s) => (
          <li key={s.percent} data-state={s.state} aria-current={s.state === 'current' ? 'step' : undefined}>
            {s.label}
            {s.state === 'current' && view.stepStartedAt ? (
              <span className="small muted">
                {' '}
                since <TimeText at={view.stepStartedAt} />
              </span>
            ) : null}
          </li>
        ))}
      </ol>
      {view.verdict ? (
        <p className={`verdict verdict-${view.verdict.verdict.toLowerCase()}`}>
          <strong>Guardrail verdict: {view.verdict.verdict}</strong> — {view.verdict.reason}
        </p>
      ) : null}
      {view.measurements.length ? (
        <div className="chart-row">
          {[...groupByMetric(view.measurements)].map(([metric, list]) => (
            <CanaryChart key={metric} measurements={list} />
          ))}
        </div>
      ) : null}
    </div>
  );
}

/** What approving will do, readable at a glance; the dry run's full JSON stays one click away. */
function GatePlanView({ plan, planError }: { plan: unknown; planError: unknown }) {
  const summary = summarizePlan(plan);
  return (
    <>
      {summary ? (
        <>
          <p className="small">
            Plan for namespace <code>{summary.namespace}</code>:
          </p>
          <ul aria-label="Planned changes">
            {summary.objects.map((object) => (
              <li key={object.title}>
                <strong>{object.title}</strong>
                {object.error ? <span className="field-error"> {object.error}</span> : null}
                {object.changes.length > 0 ? (
                  <ul className="small">
                    {object.changes.map((change) => (
                      <li key={change}>
                        <code>{change}</code>
                      </li>
                    ))}
                    {object.more > 0 ? <li className="muted">and {object.more} more (see the JSON)</li> : null}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
          {summary.canary ? <p data-testid="plan-canary">{summary.canary}</p> : null}
        </>
      ) : (
        <p className="field-error">No plan: the dry run against the cluster failed{typeof planError === 'string' ? `: ${planError}` : '.'}</p>
      )}
      <details>
        <summary>Plan as JSON</summary>
        <pre className="log">{JSON.stringify(plan, null, 2)}</pre>
      </details>
    </>
  );
}

function EnvironmentsTable({
  service,
  environments,
  canRollback,
  rollback: followed,
  onRolledBack,
}: {
  service: string;
  environments: ServiceEnvironment[];
  canRollback: boolean;
  rollback: Rollout | undefined;
  onRolledBack(rollback: Rollout): void;
}) {
  const { api } = useSession();
  const [open, setOpen] = useState<string>();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  if (environments.length === 0) return <p className="muted">Nothing of {service} has been deployed yet.</p>;

  const rollback = async (environment: string) => {
    try {
      const started = await api.post<Rollout>(`/api/v1/services/${encodeURIComponent(service)}/environments/${encodeURIComponent(environment)}/rollback`, {
        reason,
      });
      setOpen(undefined);
      setReason('');
      setError(undefined);
      onRolledBack(started);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <h3>Environments of {service}</h3>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      {followed ? <p role="status">{rollbackMessage(followed)}</p> : null}
      <table className="environments-table">
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">Running</th>
            <th scope="col">Deployed</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {environments.map((env) => (
            <tr key={env.environment}>
              <td>{env.environment}</td>
              <td>
                {env.current ? (
                  <>
                    {env.current.version} {env.current.imageDigest ? <code title={env.current.imageDigest}>{shortDigest(env.current.imageDigest)}</code> : null}
                    {env.current.kind === 'rollback' ? <span className="badge badge-warn">rollback</span> : null}
                  </>
                ) : (
                  <span className="muted">nothing</span>
                )}
              </td>
              <td>{env.current ? <TimeText at={env.current.deployedAt} /> : null}</td>
              <td>
                {canRollback && env.current ? (
                  open === env.environment ? (
                    <span className="actions">
                      <label>
                        Reason
                        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="p99 latency doubled" />
                      </label>
                      <button type="button" className="danger" disabled={!reason.trim()} onClick={() => void rollback(env.environment)}>
                        Roll back {env.environment}
                      </button>
                      <button type="button" onClick={() => setOpen(undefined)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" onClick={() => setOpen(env.environment)}>
                      Rollback…
                    </button>
                  )
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
