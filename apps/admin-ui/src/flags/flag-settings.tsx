import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { ErrorDetail, FlagView } from '../api/api-types';
import { useConfirm } from '../forms/confirm-dialog';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { useSession } from '../session/session-context';

export function FlagSettings({ flag, onSaved }: { flag: FlagView; onSaved(flag: FlagView): void }) {
  const { api, abilities, environments } = useSession();
  const [form, setForm] = useState({
    name: flag.name,
    description: flag.description,
    tags: flag.tags.join(', '),
    owner: flag.owner ?? '',
    variants: JSON.stringify(flag.variants, null, 2),
  });
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [dialog, confirm] = useConfirm();
  const readOnly = !abilities.writeFlags;
  const guarded = environments.filter((e) => e.requiresConfirmation).map((e) => e.key);

  const send = async (body: Record<string, unknown>, snapshotRelevant: boolean) => {
    setDetails([]);
    setError(undefined);
    setNotice(undefined);
    if (snapshotRelevant && guarded.length) {
      const ok = await confirm({
        title: 'Change every environment?',
        body: `Variants and archiving reach every environment, including ${guarded.join(', ')}.`,
        confirmLabel: 'Confirm',
        danger: true,
      });
      if (!ok) return;
    }
    try {
      const updated = await api.patch<FlagView>(`/api/v1/flags/${encodeURIComponent(flag.key)}`, body, {
        ifMatch: flag.version,
        confirm: snapshotRelevant ? guarded : [],
      });
      onSaved(updated);
      setNotice(`Saved: version ${updated.version}.`);
    } catch (err) {
      if (err instanceof ApiError && err.details.length && err.status === 400) setDetails(err.details);
      else setError(err);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let variants: Record<string, unknown>;
    try {
      variants = JSON.parse(form.variants) as Record<string, unknown>;
    } catch {
      setDetails([{ path: 'variants', problem: 'must be a JSON object of variant name → value' }]);
      return;
    }
    const variantsChanged = JSON.stringify(variants) !== JSON.stringify(flag.variants);
    await send(
      {
        name: form.name,
        description: form.description,
        tags: form.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        owner: form.owner.trim() ? form.owner.trim() : null,
        ...(variantsChanged ? { variants } : {}),
      },
      variantsChanged,
    );
  };

  const field = (name: 'name' | 'description' | 'tags' | 'owner' | 'variants') => ({
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
      <label htmlFor="settings-variants">Variants (JSON: name → value)</label>
      <textarea {...field('variants')} rows={6} spellCheck={false} />
      <FieldError id="settings-variants-error" details={details} path="variants" />
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
