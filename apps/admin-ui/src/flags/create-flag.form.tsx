import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { FlagType } from '@switchyard/core';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { FlagView } from '../../../../libs/flags/src/flag.contract';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { useSession } from '../session/session-context';
import { navigate } from '../shell/navigation';
import { VariantTable } from './variant-table';
import { descriptionsOf, rowsOf, variantsOf, type RowProblems, type VariantRow } from './variants.model';

const DEFAULT_VARIANTS: Record<FlagType, Record<string, unknown>> = {
  boolean: { on: true, off: false },
  string: { control: 'control', treatment: 'treatment' },
  number: { low: 10, high: 100 },
  object: { default: {} },
};

/** The "New flag" button and its form; the page may hold `open` so another button (an empty page's) can open it. */
export function CreateFlagForm({ open: held, onOpenChange }: { open?: boolean; onOpenChange?(open: boolean): void }) {
  const { api } = useSession();
  const [own, setOwn] = useState(false);
  const open = held ?? own;
  const setOpen = onOpenChange ?? setOwn;
  const [form, setForm] = useState({
    key: '',
    name: '',
    type: 'boolean' as FlagType,
    tags: '',
    owner: '',
    description: '',
  });
  const [rows, setRows] = useState<VariantRow[]>(() => rowsOf('boolean', DEFAULT_VARIANTS.boolean));
  const [rowProblems, setRowProblems] = useState<RowProblems[]>([]);
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDetails([]);
    setError(undefined);
    const checked = variantsOf(form.type, rows);
    setRowProblems(checked.problems);
    const variants = checked.variants;
    if (!variants) {
      if (checked.problem) setDetails([{ path: 'variants', problem: checked.problem }]);
      return;
    }
    const variantDescriptions = descriptionsOf(rows);
    setBusy(true);
    try {
      const flag = await api.post<FlagView>('/api/v1/flags', {
        key: form.key.trim(),
        ...(form.name.trim() ? { name: form.name.trim() } : {}),
        type: form.type,
        variants,
        ...(Object.keys(variantDescriptions).length ? { variantDescriptions } : {}),
        tags: form.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        ...(form.owner.trim() ? { owner: form.owner.trim() } : {}),
        ...(form.description.trim() ? { description: form.description.trim() } : {}),
      });
      navigate(`/flags/${encodeURIComponent(flag.key)}`);
    } catch (err) {
      if (err instanceof ApiError && err.details.length) setDetails(err.details);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!open) {
    return (
      <button type="button" className="primary" onClick={() => setOpen(true)}>
        New flag
      </button>
    );
  }
  const input = (name: 'key' | 'name' | 'tags' | 'owner' | 'description') => ({
    id: `new-flag-${name}`,
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
    'aria-invalid': invalid(details, name) || undefined,
    'aria-describedby': `new-flag-${name}-error`,
  });
  return (
    <form className="card create-form" onSubmit={(e) => void submit(e)} aria-labelledby="new-flag-title">
      <h2 id="new-flag-title">New flag</h2>
      <ErrorBanner error={error} />
      <div className="grid-2">
        <div>
          <label htmlFor="new-flag-key">Key</label>
          <input {...input('key')} required placeholder="checkout.new-flow" autoFocus aria-describedby="new-flag-key-error new-flag-key-hint" />
          <span className="hint" id="new-flag-key-hint">
            Lowercase letters, digits, . _ and -; SDKs ask for it by this key.
          </span>
          <FieldError id="new-flag-key-error" details={details} path="key" />
        </div>
        <div>
          <label htmlFor="new-flag-name">Name</label>
          <input {...input('name')} placeholder="New checkout flow" />
          <FieldError id="new-flag-name-error" details={details} path="name" />
        </div>
        <div>
          <label htmlFor="new-flag-type">Type</label>
          <select
            id="new-flag-type"
            value={form.type}
            onChange={(e) => {
              const type = e.target.value as FlagType;
              setForm({ ...form, type });
              setRows(rowsOf(type, DEFAULT_VARIANTS[type]));
              setRowProblems([]);
            }}
          >
            <option value="boolean">boolean</option>
            <option value="string">string</option>
            <option value="number">number</option>
            <option value="object">object (JSON)</option>
          </select>
          <FieldError id="new-flag-type-error" details={details} path="type" />
        </div>
        <div>
          <label htmlFor="new-flag-owner">Owner</label>
          <input {...input('owner')} placeholder="team-payments" />
          <FieldError id="new-flag-owner-error" details={details} path="owner" />
        </div>
        <div>
          <label htmlFor="new-flag-tags">Tags</label>
          <input {...input('tags')} placeholder="comma-separated" />
          <FieldError id="new-flag-tags-error" details={details} path="tags" />
        </div>
      </div>
      <VariantTable type={form.type} rows={rows} problems={rowProblems} details={details} readOnly={false} onChange={setRows} />
      <FieldError id="new-flag-variants-error" details={details} path="variants" />
      <label htmlFor="new-flag-description">Description</label>
      <textarea {...input('description')} rows={2} />
      <FieldError id="new-flag-description-error" details={details} path="description" />
      <p className="hint">New flags start off in every environment.</p>
      <div className="actions">
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create flag'}
        </button>
      </div>
    </form>
  );
}
