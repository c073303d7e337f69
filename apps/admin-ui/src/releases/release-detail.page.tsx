import type { Release, ReleaseStage } from '../../../../libs/deploy/src/releases/release.contract';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { formatDuration, shortDigest, stageDigest, stageDuration, testSummaryText } from './release.model';
import { StatusBadge } from './releases.page';
import { RolloutPanel } from './rollout-panel';

/** One release like a CI run: its stages left to right, then what each reported, then the rollout. */
export function ReleaseDetailPage({ id }: { id: string }) {
  const { api } = useSession();
  const release = useLoad(() => api.get<Release>(`/api/v1/releases/${encodeURIComponent(id)}`), [api, id]);
  const data = release.data;
  return (
    <section aria-labelledby="release-title">
      <p className="breadcrumb">
        <Link href={data ? `/releases?service=${encodeURIComponent(data.service)}` : '/releases'}>Releases</Link>
      </p>
      <ErrorBanner error={release.error} />
      {data ? (
        <>
          <div className="page-head">
            <h1 id="release-title">
              {data.service} {data.version} <StatusBadge status={data.status} />
            </h1>
            <button type="button" onClick={() => void release.reload()}>
              Refresh
            </button>
          </div>
          <dl className="facts">
            <dt>Commit</dt>
            <dd>{data.gitSha ? <code>{data.gitSha}</code> : '—'}</dd>
            <dt>Branch</dt>
            <dd>{data.branch ?? '—'}</dd>
            <dt>Build</dt>
            <dd>{data.buildNumber ?? '—'}</dd>
            <dt>Image</dt>
            <dd>{data.imageReference ? <code>{data.imageReference}</code> : '—'}</dd>
            <dt>Digest</dt>
            <dd>{data.imageDigest ? <code data-testid="release-digest">{data.imageDigest}</code> : '—'}</dd>
            <dt>Policy</dt>
            <dd>
              <Link href={`/releases/policy?service=${encodeURIComponent(data.service)}`}>Release policy of {data.service}</Link>
            </dd>
            <dt>Timeline</dt>
            <dd>
              <Link href={`/timeline?service=${encodeURIComponent(data.service)}&since=7d`}>Everything that changed for {data.service}</Link>
            </dd>
            <dt>Created</dt>
            <dd>
              <TimeText at={data.createdAt} /> by {data.createdBy}
            </dd>
          </dl>
          <ol className="stage-pipeline" aria-label="Stages">
            {data.stages.map((stage) => (
              <li key={stage.name} className={`stage-box status-${stage.status}`}>
                <a href={`#stage-${stage.name}`}>
                  <strong>{stage.name}</strong>
                  <span>{stage.status}</span>
                  <span className="small">{formatDuration(stageDuration(stage, Date.now()))}</span>
                </a>
              </li>
            ))}
          </ol>
          {data.stages.map((stage) => (
            <StageDetail key={stage.name} stage={stage} />
          ))}
          <RolloutPanel release={data} />
        </>
      ) : release.loading ? (
        <p className="muted">Loading…</p>
      ) : null}
    </section>
  );
}

function StageDetail({ stage }: { stage: ReleaseStage }) {
  const digest = stageDigest(stage);
  return (
    <section className="card stage-detail" id={`stage-${stage.name}`} aria-labelledby={`stage-${stage.name}-title`}>
      <h2 id={`stage-${stage.name}-title`}>
        Stage {stage.name} <StatusBadge status={stage.status} />
      </h2>
      <p className="small">
        Started <TimeText at={stage.startedAt} empty="not yet" />, finished <TimeText at={stage.finishedAt} empty="not yet" />, took{' '}
        {formatDuration(stageDuration(stage, Date.now()))}
      </p>
      {stage.error ? <p className="field-error">{stage.error}</p> : null}
      {digest ? (
        <p>
          Image digest: <code title={digest}>{shortDigest(digest, 64)}</code>
          {stage.artifacts?.imageReference ? (
            <>
              {' '}
              (<code>{stage.artifacts.imageReference}</code>)
            </>
          ) : null}
        </p>
      ) : null}
      {stage.testSummary ? (
        <div className="test-summary">
          <p>
            <strong>Tests:</strong> <span data-testid={`tests-${stage.name}`}>{testSummaryText(stage.testSummary)}</span>
          </p>
          {stage.testSummary.failedCases.length > 0 ? (
            <ul aria-label={`Failing tests in ${stage.name}`}>
              {stage.testSummary.failedCases.map((c, i) => (
                <li key={i}>
                  <span className="badge">{c.kind}</span> <code>{[c.suite, c.classname, c.name].filter(Boolean).join(' › ')}</code>
                  {c.message ? <div className="small">{c.message}</div> : null}
                  {c.detail ? (
                    <details>
                      <summary>Details</summary>
                      <pre className="log">{c.detail}</pre>
                    </details>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {stage.logTail ? (
        <details open={stage.status === 'failed'}>
          <summary>Log tail</summary>
          <pre className="log">{stage.logTail}</pre>
        </details>
      ) : null}
    </section>
  );
}
