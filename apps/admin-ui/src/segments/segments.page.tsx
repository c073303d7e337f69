import { describeSegmentChange } from '@switchyard/core';
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { Condition } from '@switchyard/core';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { SegmentView } from '../../../../libs/flags/src/flag.contract';
import { SentenceList } from '../diff/change-list';
import { useConfirm } from '../forms/confirm-dialog';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { emptyDraft, describeCondition, fromCondition, toCondition, type ConditionDraft } from '../flags/condition.model';
import { reviewNeeds } from '../flags/change-review';
import { ConditionRow } from '../flags/condition-row';
import { useSession } from '../session/session-context';

interface Editing {
  /** undefined while creating */
  segment?: SegmentView;
  key: string;
  name: string;
  description: string;
  conditions: ConditionDraft[];
}

export function SegmentsPage() {
  const { api, abilities, environments, live } = useSession();
  const segments = useLoad(() => api.get<{ items: SegmentView[] }>('/api/v1/segments').then((r) => r.items), [api]);
  const [editing, setEditing] = useState<Editing>();
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [dialog, confirm, review] = useConfirm();
  const { reload } = segments;

  useEffect(() => live.subscribe((change) => void (change.segments.length ? reload() : undefined)), [live, reload]);

  const start = (segment?: SegmentView) => {
    setDetails([]);
    setError(undefined);
    setEditing(
      segment
        ? { segment, key: segment.key, name: segment.name, description: segment.description, conditions: segment.conditions.map(fromCondition) }
        : { key: '', name: '', description: '', conditions: [emptyDraft()] },
    );
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    const problems: ErrorDetail[] = [];
    const conditions: Condition[] = [];
    editing.conditions.forEach((draft, i) => {
      const result = toCondition(draft);
      if (result.problems) problems.push(...result.problems.map((p) => ({ path: `conditions[${i}].${p.field}`, problem: p.problem })));
      else conditions.push(result.condition);
    });
    setDetails(problems);
    if (problems.length) return;
    try {
      if (editing.segment) {
        const conditionsChanged = JSON.stringify(conditions) !== JSON.stringify(editing.segment.conditions);
        const needs = reviewNeeds(environments, conditionsChanged ? environments.map((e) => e.key) : []);
        let comment: string | undefined;
        if (needs.ask) {
          const answer = await review({
            title: `Change segment ${editing.segment.key}?`,
            body: (
              <>
                <p>
                  Segments apply in every environment, including{' '}
                  {environments
                    .filter((e) => e.requiresConfirmation || e.requiresComment)
                    .map((e) => e.name)
                    .join(', ')}
                  .
                </p>
                <SentenceList
                  label="Segment changes"
                  sentences={describeSegmentChange(editing.segment, { name: editing.name, description: editing.description, conditions })}
                />
              </>
            ),
            confirmLabel: 'Save segment',
            danger: needs.danger,
            comment: needs.comment,
          });
          if (!answer) return;
          comment = answer.comment;
        }
        await api.patch(
          `/api/v1/segments/${encodeURIComponent(editing.segment.key)}`,
          { name: editing.name, description: editing.description, conditions },
          {
            ifMatch: editing.segment.version,
            confirm: needs.confirm,
            comment,
          },
        );
      } else {
        await api.post('/api/v1/segments', {
          key: editing.key.trim(),
          ...(editing.name.trim() ? { name: editing.name.trim() } : {}),
          description: editing.description,
          conditions,
        });
      }
      setEditing(undefined);
      await segments.reload();
    } catch (err) {
      if (err instanceof ApiError && err.details.length && err.status !== 409) setDetails(err.details);
      else setError(err);
    }
  };

  const remove = async (segment: SegmentView) => {
    setError(undefined);
    const ok = await confirm({
      title: `Delete segment ${segment.key}?`,
      body: 'Flags that use it must stop using it first.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/api/v1/segments/${encodeURIComponent(segment.key)}`, { ifMatch: segment.version });
      await segments.reload();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.extra.usedBy) {
        const usedBy = err.extra.usedBy as { flags?: string[]; segments?: string[] };
        const users = [...(usedBy.flags ?? []).map((f) => `flag ${f}`), ...(usedBy.segments ?? []).map((s) => `segment ${s}`)];
        setError(new Error(`${segment.key} is still used by ${users.join(', ')}: remove it there first.`));
      } else setError(err);
    }
  };

  const editingRow = editing ? (
    <form className="card" onSubmit={(e) => void save(e)} aria-labelledby="segment-form-title">
      <h2 id="segment-form-title">{editing.segment ? `Edit segment ${editing.segment.key}` : 'New segment'}</h2>
      {editing.segment ? null : (
        <>
          <label htmlFor="segment-key">Key</label>
          <input
            id="segment-key"
            value={editing.key}
            onChange={(e) => setEditing({ ...editing, key: e.target.value })}
            aria-invalid={invalid(details, 'key') || undefined}
            aria-describedby="segment-key-error"
            required
          />
          <FieldError id="segment-key-error" details={details} path="key" />
        </>
      )}
      <label htmlFor="segment-name">Name</label>
      <input id="segment-name" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} aria-describedby="segment-name-error" />
      <FieldError id="segment-name-error" details={details} path="name" />
      <label htmlFor="segment-description">Description</label>
      <input id="segment-description" value={editing.description} onChange={(e) => setEditing({ ...editing, description: e.target.value })} />
      <p className="small muted">A context is in the segment when all conditions hold.</p>
      <FieldError id="segment-conditions-error" details={details.filter((d) => d.path === 'conditions')} path="conditions" />
      <datalist id="known-attributes">
        {['targetingKey', 'country', 'email', 'plan', 'appVersion'].map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      {editing.conditions.map((draft, i) => (
        <ConditionRow
          key={i}
          draft={draft}
          path={`conditions[${i}]`}
          name={`condition ${i + 1}`}
          segments={(segments.data ?? []).filter((s) => s.key !== editing.segment?.key)}
          details={details}
          readOnly={false}
          onChange={(next) => setEditing({ ...editing, conditions: editing.conditions.map((c, j) => (j === i ? next : c)) })}
          onRemove={() => setEditing({ ...editing, conditions: editing.conditions.filter((_, j) => j !== i) })}
        />
      ))}
      <button type="button" onClick={() => setEditing({ ...editing, conditions: [...editing.conditions, emptyDraft()] })}>
        Add condition
      </button>
      <div className="actions">
        <button type="button" onClick={() => setEditing(undefined)}>
          Cancel
        </button>
        <button type="submit" className="primary">
          Save segment
        </button>
      </div>
    </form>
  ) : null;

  return (
    <section aria-labelledby="segments-title">
      {dialog}
      <div className="page-head">
        <h1 id="segments-title">Segments</h1>
        {abilities.writeFlags && !editing ? (
          <button type="button" className="primary" onClick={() => start()}>
            New segment
          </button>
        ) : null}
      </div>
      <ErrorBanner error={error ?? segments.error} onDismiss={error ? () => setError(undefined) : undefined} />
      {editingRow}
      <table>
        <thead>
          <tr>
            <th scope="col">Segment</th>
            <th scope="col">Conditions</th>
            <th scope="col">Updated</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(segments.data ?? []).map((segment) => (
            <tr key={segment.key}>
              <th scope="row">
                <code>{segment.key}</code>
                {segment.name && segment.name !== segment.key ? <div className="muted small">{segment.name}</div> : null}
              </th>
              <td>
                <ul className="plain">
                  {segment.conditions.map((c, i) => (
                    <li key={i}>{describeCondition(c)}</li>
                  ))}
                </ul>
              </td>
              <td>
                <TimeText at={segment.updatedAt} />
              </td>
              <td className="row-actions">
                {abilities.writeFlags ? (
                  <>
                    <button type="button" onClick={() => start(segment)} aria-label={`Edit ${segment.key}`}>
                      Edit
                    </button>
                    <button type="button" className="danger" onClick={() => void remove(segment)} aria-label={`Delete ${segment.key}`}>
                      Delete
                    </button>
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {segments.data?.length === 0 ? <p className="muted">No segments yet.</p> : null}
    </section>
  );
}
