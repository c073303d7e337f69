import type { Operator } from '@switchyard/core';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { SegmentView } from '../../../../libs/flags/src/flag.contract';
import { domId } from '../forms/dom-id';
import { FieldError, invalid } from '../forms/field-error';
import { allowsCaseInsensitive, changeOperator, OPERATOR_INFO, operatorInfo, valueHint, type ConditionDraft, type ValueKind } from './condition.model';

const GROUPS: Array<{ label: string; kinds: ValueKind[] }> = [
  { label: 'Text', kinds: ['text-list', 'regex-list'] },
  { label: 'Number', kinds: ['number'] },
  { label: 'Date', kinds: ['date'] },
  { label: 'Version', kinds: ['semver'] },
  { label: 'Segment', kinds: ['segments'] },
];

interface Props {
  draft: ConditionDraft;
  /** API path of this condition, e.g. rules[0].conditions[1]. */
  path: string;
  /** Human position for labels: "rule 1, condition 2". */
  name: string;
  segments: readonly SegmentView[];
  details: readonly ErrorDetail[];
  readOnly: boolean;
  onChange(draft: ConditionDraft): void;
  onRemove(): void;
}

export function ConditionRow({ draft, path, name, segments, details, readOnly, onChange, onRemove }: Props) {
  const id = domId(path);
  const info = operatorInfo(draft.operator);
  const valueId = `${id}-values`;
  return (
    <fieldset className="condition" disabled={readOnly}>
      <legend className="visually-hidden">{name}</legend>
      {info.kind !== 'segments' ? (
        <div className="condition-attribute">
          <label htmlFor={`${id}-attribute`}>Attribute</label>
          <input
            id={`${id}-attribute`}
            list="known-attributes"
            value={draft.attribute}
            onChange={(e) => onChange({ ...draft, attribute: e.target.value })}
            placeholder="country"
            aria-invalid={invalid(details, `${path}.attribute`) || undefined}
            aria-describedby={`${id}-attribute-error`}
            aria-label={`Attribute (${name})`}
          />
          <FieldError id={`${id}-attribute-error`} details={details} path={`${path}.attribute`} />
        </div>
      ) : null}
      <div className="condition-operator">
        <label htmlFor={`${id}-operator`}>Operator</label>
        <select
          id={`${id}-operator`}
          value={draft.operator}
          onChange={(e) => onChange(changeOperator(draft, e.target.value as Operator))}
          aria-label={`Operator (${name})`}
          aria-describedby={`${id}-operator-error`}
        >
          {GROUPS.map((group) => (
            <optgroup key={group.label} label={group.label}>
              {OPERATOR_INFO.filter((op) => group.kinds.includes(op.kind)).map((op) => (
                <option key={op.operator} value={op.operator}>
                  {op.label}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
        <FieldError id={`${id}-operator-error`} details={details} path={`${path}.operator`} />
      </div>
      <div className="condition-values">
        <ValueInput draft={draft} kind={info.kind} id={valueId} name={name} path={path} segments={segments} details={details} onChange={onChange} />
        <FieldError id={`${valueId}-error`} details={details} path={`${path}.values`} />
      </div>
      <div className="condition-options">
        {allowsCaseInsensitive(draft.operator) ? (
          <label className="inline">
            <input type="checkbox" checked={draft.caseInsensitive} onChange={(e) => onChange({ ...draft, caseInsensitive: e.target.checked })} /> Ignore case
          </label>
        ) : null}
        <label className="inline">
          <input type="checkbox" checked={draft.negate} onChange={(e) => onChange({ ...draft, negate: e.target.checked })} /> Negate (NOT)
        </label>
        <button type="button" className="icon-button" onClick={onRemove} aria-label={`Remove ${name}`} title="Remove condition">
          ✕
        </button>
      </div>
    </fieldset>
  );
}

function ValueInput(props: {
  draft: ConditionDraft;
  kind: ValueKind;
  id: string;
  name: string;
  path: string;
  segments: readonly SegmentView[];
  details: readonly ErrorDetail[];
  onChange(draft: ConditionDraft): void;
}) {
  const { draft, kind, id, name, path, segments, details, onChange } = props;
  const common = {
    id,
    'aria-label': `Values (${name})`,
    'aria-invalid': invalid(details, `${path}.values`) || undefined,
    'aria-describedby': `${id}-error ${id}-hint`,
    placeholder: valueHint(kind),
  };
  const label = <label htmlFor={id}>{kind === 'text-list' ? 'Values' : kind === 'regex-list' ? 'Patterns' : kind === 'segments' ? 'Segments' : 'Value'}</label>;
  switch (kind) {
    case 'segments':
      return (
        <fieldset className="segment-picker" aria-describedby={`${id}-error`}>
          <legend>Segments</legend>
          {segments.length === 0 ? <span className="muted">No segments yet: create one on the Segments page.</span> : null}
          {segments.map((segment) => (
            <label key={segment.key} className="inline">
              <input
                type="checkbox"
                checked={draft.segments.includes(segment.key)}
                onChange={(e) =>
                  onChange({ ...draft, segments: e.target.checked ? [...draft.segments, segment.key] : draft.segments.filter((s) => s !== segment.key) })
                }
              />{' '}
              {segment.name || segment.key} <code className="muted">{segment.key}</code>
            </label>
          ))}
        </fieldset>
      );
    case 'regex-list':
      return (
        <>
          {label}
          <textarea {...common} rows={2} spellCheck={false} value={draft.text} onChange={(e) => onChange({ ...draft, text: e.target.value })} />
          <span className="hint" id={`${id}-hint`}>
            One pattern per line.
          </span>
        </>
      );
    case 'number':
      return (
        <>
          {label}
          <input {...common} inputMode="decimal" value={draft.text} onChange={(e) => onChange({ ...draft, text: e.target.value })} />
          <span className="hint" id={`${id}-hint`}>
            Compared as a number.
          </span>
        </>
      );
    case 'date':
      return (
        <>
          {label}
          <input {...common} value={draft.text} onChange={(e) => onChange({ ...draft, text: e.target.value })} />
          <span className="hint" id={`${id}-hint`}>
            ISO-8601, UTC unless an offset is given.
          </span>
        </>
      );
    case 'semver':
      return (
        <>
          {label}
          <input {...common} value={draft.text} onChange={(e) => onChange({ ...draft, text: e.target.value })} />
          <span className="hint" id={`${id}-hint`}>
            Semantic version; a leading v is fine.
          </span>
        </>
      );
    case 'text-list':
      return (
        <>
          {label}
          <input {...common} value={draft.text} onChange={(e) => onChange({ ...draft, text: e.target.value })} />
          <span className="hint" id={`${id}-hint`}>
            Comma-separated; matches any.
          </span>
        </>
      );
  }
}
