import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import { domId } from '../forms/dom-id';
import { FieldError, invalid } from '../forms/field-error';
import { checkRollout, evenRollout, formatPercent, rolloutShares, setPercent, type RolloutRow } from './rollout.model';
import { withMode, type ServeDraft } from './targeting.model';
import { seriesColor } from './usage-chart.model';

interface Props {
  serve: ServeDraft;
  variants: readonly string[];
  /** API path: rules[0].serve or defaultServe. */
  path: string;
  legend: string;
  details: readonly ErrorDetail[];
  readOnly: boolean;
  onChange(serve: ServeDraft): void;
}

/** Every variant gets a row so a rollout can be read at a glance; rows at 0% are simply never served. */
function fullRows(rows: readonly RolloutRow[], variants: readonly string[]): RolloutRow[] {
  const known = new Map(rows.map((row) => [row.variant, row.percent]));
  return [...variants.map((variant) => ({ variant, percent: known.get(variant) ?? '0' })), ...rows.filter((row) => !variants.includes(row.variant))];
}

/** Each variant's share of users as one stacked bar, in the usage chart's colours (on green, off grey). */
export function RolloutBar({ rows, variants }: { rows: readonly RolloutRow[]; variants: readonly string[] }) {
  const shares = rolloutShares(rows);
  const text = shares.map((s) => `${s.variant || 'unassigned'} ${s.label}`).join(', ');
  return (
    <div className="rollout-bar" role="img" aria-label={`Rollout: ${text}`}>
      {shares.map((share) => (
        <span
          key={share.variant || '(unassigned)'}
          className={share.variant ? 'rollout-share' : 'rollout-share share-unassigned'}
          style={{ width: `${share.width}%`, ...(share.variant ? { background: seriesColor(share.variant, variants.indexOf(share.variant)) } : {}) }}
          title={`${share.variant || 'unassigned'}: ${share.label}`}
        >
          {share.width >= 12 ? `${share.variant || 'unassigned'} ${share.label}` : null}
        </span>
      ))}
    </div>
  );
}

export function ServeEditor({ serve, variants, path, legend, details, readOnly, onChange }: Props) {
  const id = domId(path);
  const rows = fullRows(serve.rows, variants);
  const check = checkRollout(rows);
  const sumOk = !check.problem;
  return (
    <fieldset className="serve" disabled={readOnly}>
      <legend>{legend}</legend>
      <div className="serve-mode" role="radiogroup" aria-label={`${legend}: how`}>
        <label className="inline">
          <input type="radio" name={`${id}-mode`} checked={serve.mode === 'variant'} onChange={() => onChange(withMode(serve, 'variant', variants))} /> One
          variant
        </label>
        <label className="inline">
          <input
            type="radio"
            name={`${id}-mode`}
            checked={serve.mode === 'rollout'}
            onChange={() => onChange(withMode({ ...serve, rows }, 'rollout', variants))}
          />{' '}
          Percentage rollout
        </label>
      </div>
      {serve.mode === 'variant' ? (
        <div>
          <label htmlFor={`${id}-variant`}>Variant</label>
          <select
            id={`${id}-variant`}
            value={serve.variant}
            onChange={(e) => onChange({ ...serve, variant: e.target.value })}
            aria-label={`Variant (${legend})`}
            aria-invalid={invalid(details, `${path}.variant`) || undefined}
            aria-describedby={`${id}-variant-error`}
          >
            {variants.includes(serve.variant) ? null : <option value={serve.variant}>{serve.variant || '(pick one)'}</option>}
            {variants.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
          <FieldError id={`${id}-variant-error`} details={details} path={`${path}.variant`} />
        </div>
      ) : (
        <div className="rollout">
          <RolloutBar rows={rows} variants={variants} />
          <table>
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={row.variant}>
                  <th scope="row">
                    <label htmlFor={`${id}-weight-${i}`}>{row.variant}</label>
                  </th>
                  <td>
                    <input
                      id={`${id}-weight-${i}`}
                      className="percent"
                      inputMode="decimal"
                      value={row.percent}
                      aria-label={`Percentage for ${row.variant} (${legend})`}
                      aria-invalid={!!check.rowProblems[i] || invalid(details, `${path}.rollout[${i}]`) || undefined}
                      aria-describedby={`${id}-weight-${i}-error ${id}-sum`}
                      onChange={(e) => onChange({ ...serve, rows: setPercent(rows, i, e.target.value) })}
                    />{' '}
                    %
                    <FieldError
                      id={`${id}-weight-${i}-error`}
                      problems={check.rowProblems[i] ? [check.rowProblems[i]!] : []}
                      details={details}
                      path={`${path}.rollout[${i}]`}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p id={`${id}-sum`} className={sumOk ? 'sum sum-ok' : 'sum sum-bad'} role="status" aria-live="polite">
            Total {formatPercent(check.total)}%{sumOk ? ' ✓' : ` — ${check.problem}`}
          </p>
          <FieldError id={`${id}-rollout-error`} details={details.filter((d) => d.path === `${path}.rollout` || d.path === `${path}.salt`)} path={`${path}`} />
          <div className="rollout-tools">
            <button type="button" onClick={() => onChange({ ...serve, rows: evenRollout(variants) })}>
              Split evenly
            </button>
            <label htmlFor={`${id}-bucket-by`}>Bucket by</label>
            <input
              id={`${id}-bucket-by`}
              value={serve.bucketBy}
              placeholder="targetingKey"
              onChange={(e) => onChange({ ...serve, bucketBy: e.target.value })}
              aria-describedby={`${id}-bucket-by-error`}
            />
            <FieldError id={`${id}-bucket-by-error`} details={details} path={`${path}.bucketBy`} />
          </div>
        </div>
      )}
    </fieldset>
  );
}
