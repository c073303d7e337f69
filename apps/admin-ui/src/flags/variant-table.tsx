import type { FlagType } from '@switchyard/core';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import { FieldError } from '../forms/field-error';
import { newRow, type RowProblems, type VariantRow } from './variants.model';

interface Props {
  type: FlagType;
  rows: readonly VariantRow[];
  /** Shown only after a save was tried. */
  problems: readonly RowProblems[];
  /** The server's, e.g. `variants.low: must be a number (the flag type is number)`. */
  details: readonly ErrorDetail[];
  readOnly: boolean;
  onChange(rows: VariantRow[]): void;
}

/** Variants as rows: a name, a value typed for the flag (switch, text, number; JSON only for object flags) and what it means. */
export function VariantTable({ type, rows, problems, details, readOnly, onChange }: Props) {
  const set = (index: number, change: Partial<VariantRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <div className="table-scroll">
      <table className="variant-table">
        <caption>Variants</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value ({type === 'object' ? 'JSON object' : type})</th>
            <th scope="col">Description</th>
            <th scope="col">
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const label = row.name || `variant ${i + 1}`;
            const valueProblems = [problems[i]?.value, ...details.filter((d) => d.path === `variants.${row.name}`).map((d) => d.problem)].filter(
              (p): p is string => !!p,
            );
            const descriptionProblems = [
              problems[i]?.description,
              ...details.filter((d) => d.path === `variantDescriptions.${row.name}`).map((d) => d.problem),
            ].filter((p): p is string => !!p);
            const valueProps = {
              id: `variant-${i}-value`,
              'aria-label': `Value of ${label}`,
              disabled: readOnly,
              'aria-invalid': valueProblems.length > 0 || undefined,
              'aria-describedby': `variant-${i}-value-error`,
            };
            return (
              <tr key={row.uid}>
                <td>
                  <input
                    aria-label={`Name of variant ${i + 1}`}
                    value={row.name}
                    disabled={readOnly}
                    spellCheck={false}
                    aria-invalid={!!problems[i]?.name || undefined}
                    aria-describedby={`variant-${i}-name-error`}
                    onChange={(e) => set(i, { name: e.target.value })}
                  />
                  <FieldError id={`variant-${i}-name-error`} problems={problems[i]?.name ? [problems[i].name] : []} />
                </td>
                <td>
                  {type === 'boolean' ? (
                    <select {...valueProps} value={row.value} onChange={(e) => set(i, { value: e.target.value })}>
                      <option value="true">true</option>
                      <option value="false">false</option>
                    </select>
                  ) : type === 'object' ? (
                    <textarea
                      {...valueProps}
                      className="json"
                      rows={Math.min(8, row.value.split('\n').length)}
                      spellCheck={false}
                      value={row.value}
                      onChange={(e) => set(i, { value: e.target.value })}
                    />
                  ) : (
                    <input
                      {...valueProps}
                      inputMode={type === 'number' ? 'decimal' : undefined}
                      value={row.value}
                      onChange={(e) => set(i, { value: e.target.value })}
                    />
                  )}
                  <FieldError id={`variant-${i}-value-error`} problems={valueProblems} />
                </td>
                <td>
                  <input
                    aria-label={`Description of ${label}`}
                    value={row.description}
                    disabled={readOnly}
                    placeholder="What this variant means"
                    aria-invalid={descriptionProblems.length > 0 || undefined}
                    aria-describedby={`variant-${i}-description-error`}
                    onChange={(e) => set(i, { description: e.target.value })}
                  />
                  <FieldError id={`variant-${i}-description-error`} problems={descriptionProblems} />
                </td>
                <td>
                  <button
                    type="button"
                    className="icon-button danger"
                    disabled={readOnly || rows.length === 1}
                    aria-label={`Remove variant ${label}`}
                    onClick={() => onChange(rows.filter((_, j) => j !== i))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {readOnly ? null : (
        <button type="button" onClick={() => onChange([...rows, newRow(type, rows)])}>
          Add variant
        </button>
      )}
    </div>
  );
}
