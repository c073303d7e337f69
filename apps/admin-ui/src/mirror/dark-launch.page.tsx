import { useState } from 'react';
import type { EndpointReport, FieldReport, MirrorReport, NoiseSource, SuggestedIgnore } from '../../../../libs/mirror/src/mirror-report.contract';
import type { MirrorRouteList } from '../../../../libs/mirror/src/mirror-route.contract';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { FirstRouteGuide } from './first-route-guide';
import {
  baselineName,
  endpointOpenByDefault,
  exampleTitle,
  fieldKind,
  formatRate,
  ignoreEvidence,
  ignoreExamples,
  latencyBars,
  noiseSourceText,
  prettyBody,
  showValue,
  skippedByReason,
  sortEndpoints,
  summarizeStatuses,
} from './mirror-report.model';

/**
 * Dark-launch routes, and for the chosen one: endpoints by mismatch rate (with statuses, skips,
 * differing fields and latency), how noise is measured, and the ignore rules the primary suggests.
 */
export function DarkLaunchPage({ routeName }: { routeName?: string }) {
  const { api } = useSession();
  const routes = useLoad(() => api.get<MirrorRouteList>('/api/v1/mirror/routes'), [api]);
  const report = useLoad(
    () => (routeName ? api.get<MirrorReport>('/api/v1/mirror/reports', { query: { route: routeName } }) : Promise.resolve(null)),
    [api, routeName],
  );
  const routeReport = report.data?.routes.find((r) => r.route === routeName);
  const endpoints = routeReport ? sortEndpoints(routeReport.endpoints) : [];
  const openEndpoint = endpointOpenByDefault(endpoints);
  return (
    <section aria-labelledby="dark-launch-title">
      <h1 id="dark-launch-title">Dark launch</h1>
      <ErrorBanner error={routes.error ?? report.error} />
      {routes.data && routes.data.items.length === 0 ? <FirstRouteGuide /> : null}
      {routes.data && routes.data.items.length > 0 ? (
        <table className="mirror-routes">
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Match</th>
              <th scope="col">Primary → candidate</th>
              <th scope="col">Sample</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {routes.data.items.map((r) => (
              <tr key={r.name} aria-current={r.name === routeName ? 'true' : undefined}>
                <td>
                  <Link href={`/dark-launch?route=${encodeURIComponent(r.name)}`}>{r.name}</Link>
                </td>
                <td>
                  <code>
                    {r.route.match?.host ?? '*'}
                    {r.route.match?.pathPrefix ?? '/'}
                  </code>
                </td>
                <td className="small">
                  <code>{r.route.primary}</code> → <code>{r.route.candidate}</code>
                </td>
                <td>{r.route.sample?.percent !== undefined ? `${r.route.sample.percent}%` : '—'}</td>
                <td>
                  <TimeText at={r.updatedAt} /> by {r.updatedBy}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {routeName ? (
        <section className="card" aria-labelledby="route-report-title">
          <h2 id="route-report-title">
            Report for {routeName} {routeReport ? <VerdictBadge verdict={routeReport.verdict} /> : null}
          </h2>
          {report.loading ? <p className="muted">Loading…</p> : null}
          {!report.loading && (!routeReport || routeReport.endpoints.length === 0) ? (
            <p className="muted">No comparisons reported for this route yet.</p>
          ) : null}
          {routeReport && routeReport.endpoints.length > 0 ? (
            <>
              <p className="small">
                Since <TimeText at={routeReport.since} />: {routeReport.totals.compared} compared, mismatch{' '}
                {formatRate(routeReport.totals.mismatchRate.afterNoise)} after noise ({formatRate(routeReport.totals.mismatchRate.raw)} raw); fails above{' '}
                {routeReport.thresholds.maxMismatchPercent}% with at least {routeReport.thresholds.minCompared} compared.
              </p>
              <p className="small noise-source">Noise baseline: {noiseSourceText(routeReport.noiseSource)}</p>
              {endpoints.map((endpoint) => (
                <EndpointCard key={endpoint.endpoint} endpoint={endpoint} open={endpoint.endpoint === openEndpoint} />
              ))}
              {routeReport.suggestedIgnores.length > 0 ? (
                <SuggestedIgnores suggestions={routeReport.suggestedIgnores} noiseSource={routeReport.noiseSource} />
              ) : null}
            </>
          ) : null}
        </section>
      ) : routes.data && routes.data.items.length > 0 ? (
        <p className="muted">Choose a route to see its report.</p>
      ) : null}
    </section>
  );
}

function VerdictBadge({ verdict }: { verdict: string }) {
  return <span className={`badge verdict-${verdict}`}>{verdict}</span>;
}

function EndpointCard({ endpoint, open }: { endpoint: EndpointReport; open: boolean }) {
  const [field, setField] = useState<string>();
  const chosen = endpoint.fields.find((f) => f.field === field);
  const skips = skippedByReason(endpoint.skipped);
  return (
    <details className="endpoint" open={open}>
      <summary>
        <code>{endpoint.endpoint}</code> <VerdictBadge verdict={endpoint.verdict} /> {formatRate(endpoint.mismatchRate.afterNoise)} after noise,{' '}
        {formatRate(endpoint.mismatchRate.raw)} raw — {endpoint.compared} compared
      </summary>
      <div className="endpoint-body">
        <p className="small endpoint-counts">
          Seen {endpoint.seen} · sampled {endpoint.sampled} · compared {endpoint.compared} ({endpoint.noiseCompared} with a noise baseline) ·{' '}
          {skips.length === 0
            ? 'nothing skipped'
            : skips.map((skip, i) => (
                <span key={skip.reason} className="skip-reason" title={skip.hint}>
                  {i === 0 ? 'skipped: ' : ', '}
                  {skip.label} {skip.count}
                </span>
              ))}
        </p>
        <StatusMatrix matrix={endpoint.statusMatrix} />
        <LatencyChart latency={endpoint.latencyMs} />
        {endpoint.fields.length > 0 ? (
          <table className="fields-table">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Differs</th>
                <th scope="col">Noise</th>
                <th scope="col">Kinds</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {endpoint.fields.map((f) => (
                <tr key={f.field}>
                  <td>
                    <code>{f.field}</code> <span className="badge">{fieldKind(f.field)}</span>{' '}
                    {f.significant ? <span className="badge badge-warn">significant</span> : null}
                  </td>
                  <td>{f.raw}</td>
                  <td>{f.noise}</td>
                  <td className="small">
                    {Object.entries(f.kinds)
                      .map(([k, n]) => `${k} ${n}`)
                      .join(', ')}
                  </td>
                  <td>
                    {f.examples.length > 0 ? (
                      <button type="button" onClick={() => setField(field === f.field ? undefined : f.field)}>
                        {field === f.field ? 'Hide examples' : 'Examples'}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No differing fields.</p>
        )}
        {chosen ? <FieldExamples field={chosen} /> : null}
      </div>
    </details>
  );
}

function StatusMatrix({ matrix }: { matrix: EndpointReport['statusMatrix'] }) {
  const summary = summarizeStatuses(matrix);
  if (summary.kind === 'none') return <p className="small">Status: nothing compared yet</p>;
  if (summary.kind === 'uniform') return <p className="small">Status: {summary.text}</p>;
  return (
    <table className="status-matrix">
      <caption className="small">Status: primary (rows) → candidate (columns)</caption>
      <thead>
        <tr>
          <td />
          {summary.candidate.map((status) => (
            <th key={status} scope="col">
              {status}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {summary.primary.map((primary, i) => (
          <tr key={primary}>
            <th scope="row">{primary}</th>
            {summary.candidate.map((candidate, j) => (
              <td key={candidate} className={summary.counts[i][j] === 0 ? 'muted' : primary === candidate ? undefined : 'status-changed'}>
                {summary.counts[i][j]}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SuggestedIgnores({ suggestions, noiseSource }: { suggestions: SuggestedIgnore[]; noiseSource: NoiseSource }) {
  return (
    <section className="suggested-ignores" aria-labelledby="suggested-ignores-title">
      <h3 id="suggested-ignores-title">Suggested ignore rules</h3>
      <p className="small">
        These fields differ between two responses of the primary itself, so they say nothing about the candidate; consider adding them to{' '}
        <code>compare.ignore</code>.
      </p>
      <table className="ignores-table">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Endpoints</th>
            <th scope="col">Evidence</th>
            <th scope="col">Examples: primary ↔ {baselineName(noiseSource)}</th>
          </tr>
        </thead>
        <tbody>
          {suggestions.map((suggestion) => (
            <tr key={suggestion.rule}>
              <td>
                <code>{suggestion.rule}</code>
              </td>
              <td className="small">
                {[...suggestion.endpoints].sort().map((endpoint, i) => (
                  <span key={endpoint}>
                    {i > 0 ? ', ' : null}
                    <code>{endpoint}</code>
                  </span>
                ))}
              </td>
              <td className="small">{ignoreEvidence(suggestion)}</td>
              <td className="small">
                <ul className="value-pairs">
                  {ignoreExamples(suggestion).map((pair, i) => (
                    <li key={i}>
                      <code>{pair.primary}</code> ↔ <code>{pair.other}</code>
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function FieldExamples({ field }: { field: FieldReport }) {
  return (
    <div className="field-examples" aria-label={`Examples of ${field.field}`}>
      {field.examples.map((ex, i) => (
        <div key={i} className="example">
          <p className="small">
            {exampleTitle(ex)} <TimeText at={ex.at} />
          </p>
          <div className="side-by-side">
            <div>
              <h4>Primary ({ex.responses.primary.status})</h4>
              <pre className="diff-value">{showValue(ex.primary)}</pre>
              <pre className="log">{prettyBody(ex.responses.primary.body)}</pre>
            </div>
            <div>
              <h4>Candidate ({ex.responses.candidate.status})</h4>
              <pre className="diff-value">{showValue(ex.candidate)}</pre>
              <pre className="log">{prettyBody(ex.responses.candidate.body)}</pre>
            </div>
          </div>
        </div>
      ))}
    </div>
  );
}

const BAR_WIDTH = 200;
const ROW = 14;

function LatencyChart({ latency }: { latency: EndpointReport['latencyMs'] }) {
  const bars = latencyBars(latency, BAR_WIDTH);
  const height = bars.length * ROW + 4;
  return (
    <figure className="latency-chart">
      <figcaption className="small">Latency (ms): primary vs candidate</figcaption>
      <svg width={BAR_WIDTH + 130} height={height} role="img" aria-label="Latency percentiles, primary against candidate">
        {bars.map((bar, i) => (
          <g key={`${bar.percentile}-${bar.side}`} transform={`translate(0 ${i * ROW + 2})`}>
            <text x="0" y="10" className="chart-label">
              {bar.percentile} {bar.side === 'primary' ? 'P' : 'C'}
            </text>
            <rect x="56" y="1" width={bar.length} height={ROW - 4} className={`bar-${bar.side}`} />
            <text x={60 + bar.length} y="10" className="chart-label">
              {bar.value === null ? '—' : Math.round(bar.value * 10) / 10}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
