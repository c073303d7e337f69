import type { Measurement } from '../../../../libs/deploy/src/analysis/analysis.contract';
import { formatMeasured, polyline, scaleMetricChart, thresholdAt } from './release.model';

/** One metric's canary analysis: canary and stable values per iteration and the threshold line. */
export function CanaryChart({ measurements }: { measurements: Measurement[] }) {
  const chart = scaleMetricChart(measurements);
  const last = measurements[measurements.length - 1];
  return (
    <figure className="canary-chart">
      <figcaption>
        <strong>{chart.metric}</strong> <span className="muted small">threshold {chart.thresholdLabel}</span>
      </figcaption>
      <svg
        width={chart.width}
        height={chart.height}
        viewBox={`0 0 ${chart.width} ${chart.height}`}
        role="img"
        aria-label={`${chart.metric}: canary against stable and threshold`}
      >
        <rect x="0" y="0" width={chart.width} height={chart.height} className="chart-frame" />
        {chart.threshold.length > 1 ? <polyline points={polyline(chart.threshold)} className="chart-threshold" /> : null}
        {chart.threshold.length === 1 ? <line x1="0" x2={chart.width} y1={chart.threshold[0].y} y2={chart.threshold[0].y} className="chart-threshold" /> : null}
        <polyline points={polyline(chart.stable)} className="chart-stable" />
        <polyline points={polyline(chart.canary)} className="chart-canary" />
        {chart.canary.map((p, i) => (
          <circle key={i} cx={p.x} cy={p.y} r="2.5" className={`chart-point outcome-${chart.outcomes[i]?.outcome ?? 'successful'}`}>
            <title>{`canary ${p.value}`}</title>
          </circle>
        ))}
      </svg>
      <p className="small">
        <span className="chart-key chart-key-canary">canary</span> <span className="chart-key chart-key-stable">stable</span>{' '}
        <span className="chart-key chart-key-threshold">threshold</span>
        {last ? (
          <>
            {' '}
            — last: <span className={`outcome-${last.outcome}`}>{last.outcome}</span>, {last.reason}
          </>
        ) : null}
      </p>
      <table className="measurements-table small" aria-label={`${chart.metric} measurements`}>
        <thead>
          <tr>
            <th scope="col">Iteration</th>
            <th scope="col">Canary</th>
            <th scope="col">Stable</th>
            <th scope="col">Threshold</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {measurements.map((m) => (
            <tr key={m.iteration}>
              <td>{m.iteration}</td>
              <td>{formatMeasured(m.canary)}</td>
              <td>{formatMeasured(m.stable)}</td>
              <td>{formatMeasured(thresholdAt(m))}</td>
              <td className={`outcome-${m.outcome}`}>{m.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
