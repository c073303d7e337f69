import { useMemo, useState } from 'react';
import type { FlagUsage, FlagView } from '../../../../libs/flags/src/flag.contract';
import { ErrorBanner } from '../forms/error-banner';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { seriesColor, usageChart } from './usage-chart.model';
import { UsageGuide } from './usage-guide';

const SPANS = [24, 48, 168];

export function FlagUsagePanel({ flag }: { flag: FlagView }) {
  const { api, environments } = useSession();
  const [hours, setHours] = useState(48);
  const [environment, setEnvironment] = useState(environments.find((e) => e.requiresConfirmation)?.key ?? environments[0]?.key ?? '');
  const usage = useLoad(() => api.get<FlagUsage>(`/api/v1/flags/${encodeURIComponent(flag.key)}/usage`, { query: { hours } }), [api, flag.key, hours]);
  const chart = useMemo(
    () => usageChart(usage.data?.hourly ?? [], environment, { now: Date.now(), hours, width: 720, height: 220 }),
    [usage.data, environment, hours],
  );

  const lastPerEnv = useMemo(() => {
    const map = new Map<string, { last: string; total: number }>();
    for (const row of usage.data?.totals ?? []) {
      const entry = map.get(row.environment) ?? { last: row.lastEvaluatedAt, total: 0 };
      entry.total += row.evaluations;
      if (row.lastEvaluatedAt > entry.last) entry.last = row.lastEvaluatedAt;
      map.set(row.environment, entry);
    }
    return map;
  }, [usage.data]);

  const pad = { left: 48, bottom: 24, top: 8, right: 8 };
  return (
    <div className="usage">
      <ErrorBanner error={usage.error} />
      {usage.data && usage.data.totals.length === 0 ? <UsageGuide flagKey={flag.key} /> : null}
      <section aria-labelledby="last-evaluated-title">
        <h2 id="last-evaluated-title">Last evaluated</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Environment</th>
              <th scope="col">Last evaluated</th>
              <th scope="col">Evaluations (all time)</th>
            </tr>
          </thead>
          <tbody>
            {environments.map((env) => (
              <tr key={env.key}>
                <th scope="row">{env.name}</th>
                <td>
                  <TimeText at={lastPerEnv.get(env.key)?.last} />
                </td>
                <td>{(lastPerEnv.get(env.key)?.total ?? 0).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="usage-chart-title">
        <h2 id="usage-chart-title">Evaluations per variant</h2>
        <div className="filters">
          <label>
            Environment
            <select value={environment} onChange={(e) => setEnvironment(e.target.value)}>
              {environments.map((env) => (
                <option key={env.key} value={env.key}>
                  {env.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Period
            <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              {SPANS.map((h) => (
                <option key={h} value={h}>
                  last {h < 48 ? `${h} hours` : `${h / 24} days`}
                </option>
              ))}
            </select>
          </label>
        </div>
        <svg
          className="chart"
          viewBox={`0 0 ${chart.width + pad.left + pad.right} ${chart.height + pad.top + pad.bottom}`}
          role="img"
          aria-labelledby="usage-chart-title usage-chart-desc"
        >
          <desc id="usage-chart-desc">
            {chart.series.length === 0
              ? 'No evaluations reported in this period.'
              : chart.series.map((s) => `${s.variant}: ${s.total.toLocaleString()} evaluations`).join('; ')}
          </desc>
          <g transform={`translate(${pad.left},${pad.top})`}>
            {chart.ticks.map((tick) => (
              <g key={tick.value}>
                <line x1={0} x2={chart.width} y1={tick.y} y2={tick.y} className="grid-line" />
                <text x={-6} y={tick.y + 4} textAnchor="end" className="axis-text">
                  {tick.value.toLocaleString()}
                </text>
              </g>
            ))}
            {[0, Math.floor((chart.hours.length - 1) / 2), chart.hours.length - 1].map((i, n) => (
              <text
                key={i}
                x={chart.hours.length <= 1 ? 0 : (i / (chart.hours.length - 1)) * chart.width}
                y={chart.height + 18}
                textAnchor={n === 0 ? 'start' : n === 2 ? 'end' : 'middle'}
                className="axis-text"
              >
                {new Date(chart.hours[i]).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit' })}
              </text>
            ))}
            {chart.series.map((s, i) => (
              <polyline key={s.variant} points={s.points} fill="none" stroke={seriesColor(s.variant, i)} strokeWidth={2} />
            ))}
          </g>
        </svg>
        <ul className="legend">
          {chart.series.map((s, i) => (
            <li key={s.variant}>
              <span className="swatch" style={{ background: seriesColor(s.variant, i) }} aria-hidden="true" /> {s.variant}: {s.total.toLocaleString()}
            </li>
          ))}
        </ul>
        {chart.series.length === 0 ? <p className="muted">No SDK has reported evaluations of this flag in {environment} in this period.</p> : null}
      </section>
    </div>
  );
}
