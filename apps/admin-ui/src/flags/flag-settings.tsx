import { describeFlagChange } from '@switchyard/core';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { FlagView } from '../../../../libs/flags/src/flag.contract';
import { ChangeList } from '../diff/change-list';
import { useConfirm } from '../forms/confirm-dialog';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { useSession } from '../session/session-context';
import { VariantTable } from './variant-table';
import { descriptionsOf, rowsOf, variantsOf, type RowProblems, type VariantRow } from './variants.model';
import { reviewNeeds } from './change-review';
import { announceChangeRequest, isPendingChange, pendingNotice } from '../change-requests/pending-change';
import type { PendingChange } from '../../../../libs/flags/src/change-request.contract';

export function FlagSettings({ flag, onSaved }: { flag: FlagView; onSaved(flag: FlagView): void }) {
  const { api, abilities, environments } = useSession();
  const [form, setForm] = useState({
    name: flag.name,
    description: flag.description,
    tags: flag.tags.join(', '),
    owner: flag.owner ?? '',
  });
  const [clientSide, setClientSide] = useState(flag.clientSide ?? false);
  const [rows, setRows] = useState<VariantRow[]>(() => rowsOf(flag.type, flag.variants, flag.variantDescriptions));
  const [rowProblems, setRowProblems] = useState<RowProblems[]>([]);
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [dialog, , review] = useConfirm();
  const readOnly = !abilities.writeFlags;

  const send = async (body: Record<string, unknown>, snapshotRelevant: boolean) => {
    setDetails([]);
    setError(undefined);
    setNotice(undefined);
    const needs = reviewNeeds(environments, snapshotRelevant ? environments.map((e) => e.key) : []);
    let comment: string | undefined;
    if (needs.ask) {
      const answer = await review({
        title: 'Change every environment?',
        body: (
          <>
            <p>
              Variants and archiving reach every environment, including{' '}
              {environments
                .filter((e) => needs.confirm.includes(e.key) || e.requiresComment)
                .map((e) => e.name)
                .join(', ')}
              .
            </p>
            <ChangeList changes={describeFlagChange(flag, { ...flag, ...body })} />
          </>
        ),
        confirmLabel: 'Confirm',
        danger: needs.danger,
        comment: needs.comment,
      });
      if (!answer) return;
      comment = answer.comment;
    }
    try {
      const updated = await api.patch<FlagView | PendingChange>(`/api/v1/flags/${encodeURIComponent(flag.key)}`, body, {
        ifMatch: flag.version,
        confirm: needs.confirm,
        comment,
      });
      if (isPendingChange(updated)) {
        setNotice(pendingNotice(updated.changeRequest));
        announceChangeRequest(updated.changeRequest);
        return;
      }
      onSaved(updated);
      setNotice(`Saved as v${updated.version}.`);
    } catch (err) {
      if (err instanceof ApiError && err.details.length && err.status === 400) setDetails(err.details);
      else setError(err);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = variantsOf(flag.type, rows);
    setRowProblems(checked.problems);
    const variants = checked.variants;
    if (!variants) {
      setDetails(checked.problem ? [{ path: 'variants', problem: checked.problem }] : []);
      return;
    }
    const variantsChanged = JSON.stringify(variants) !== JSON.stringify(flag.variants);
    const variantDescriptions = descriptionsOf(rows);
    const descriptionsChanged = JSON.stringify(variantDescriptions) !== JSON.stringify(flag.variantDescriptions ?? {});
    await send(
      {
        name: form.name,
        description: form.description,
        tags: form.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        owner: form.owner.trim() ? form.owner.trim() : null,
        clientSide,
        ...(variantsChanged ? { variants } : {}),
        ...(variantsChanged || descriptionsChanged ? { variantDescriptions } : {}),
      },
      variantsChanged,
    );
  };

  const field = (name: 'name' | 'description' | 'tags' | 'owner') => ({
    id: `settings-${name}`,
    value: form[name],
    disabled: readOnly,
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
    'aria-invalid': invalid(details, name) || undefined,
    'aria-describedby': `settings-${name}-error`,
  });

  return (
    <form className="card settings" onSubmit={(e) => void submit(e)}>
      {dialog}
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      <label htmlFor="settings-name">Name</label>
      <input {...field('name')} />
      <FieldError id="settings-name-error" details={details} path="name" />
      <label htmlFor="settings-description">Description</label>
      <textarea {...field('description')} rows={3} />
      <FieldError id="settings-description-error" details={details} path="description" />
      <label htmlFor="settings-tags">Tags</label>
      <input {...field('tags')} placeholder="comma-separated" />
      <FieldError id="settings-tags-error" details={details} path="tags" />
      <label htmlFor="settings-owner">Owner</label>
      <input {...field('owner')} />
      <FieldError id="settings-owner-error" details={details} path="owner" />
      <label className="inline">
        <input
          type="checkbox"
          id="settings-client-side"
          checked={clientSide}
          disabled={readOnly}
          onChange={(e) => setClientSide(e.target.checked)}
          aria-describedby="settings-client-side-help settings-client-side-error"
        />{' '}
        Available to client-side SDKs
      </label>
      <p id="settings-client-side-help" className="muted small">
        Browsers whose client token shows “flags available to client-side SDKs” get this flag’s evaluated value (never its rules).
      </p>
      <FieldError id="settings-client-side-error" details={details} path="clientSide" />
      <VariantTable type={flag.type} rows={rows} problems={rowProblems} details={details} readOnly={readOnly} onChange={setRows} />
      <FieldError id="settings-variants-error" details={details.filter((d) => d.path === 'variants')} path="variants" />
      {details.some((d) => d.path.startsWith('environments.')) ? <FieldError id="settings-env-error" details={details} path="environments" /> : null}
      {notice ? (
        <p role="status" className="muted">
          {notice}
        </p>
      ) : null}
      {readOnly ? null : (
        <div className="actions">
          <button type="button" className="danger" onClick={() => void send({ archived: !flag.archived }, true)}>
            {flag.archived ? 'Unarchive flag' : 'Archive flag'}
          </button>
          <button type="submit" className="primary">
            Save settings
          </button>
        </div>
      )}
    </form>
  );
}
