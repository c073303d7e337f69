import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { EnvironmentView } from '../../../../libs/flags/src/flag.contract';
import { navigate } from '../shell/navigation';

export interface FilterDraft<F> {
  /** The filters in force: the URL's, over `empty`. */
  filters: F;
  /** What the form shows until it is applied. */
  draft: F;
  setDraft(draft: F): void;
  /** Puts the draft in the URL, which makes it the filters. */
  apply(event: FormEvent): void;
  clear(): void;
}

/**
 * Filters that live in the URL (reload, back and a shared link keep them), edited as a draft that
 * applying navigates to. `pathFor` gives the page's URL for filters; `home` is the page unfiltered.
 */
export function useFilterDraft<F extends object>(fromUrl: Partial<F> | undefined, empty: F, pathFor: (filters: Partial<F>) => string, home: string): FilterDraft<F> {
  const url = pathFor(fromUrl ?? {});
  const filters = useMemo<F>(() => ({ ...empty, ...fromUrl }), [url]);
  const [draft, setDraft] = useState<F>(filters);
  useEffect(() => setDraft(filters), [filters]);
  return {
    filters,
    draft,
    setDraft,
    apply: (event) => {
      event.preventDefault();
      navigate(pathFor(draft));
    },
    clear: () => {
      setDraft(empty);
      navigate(home);
    },
  };
}

export function EnvironmentFilter({ environments, value, onChange }: { environments: EnvironmentView[]; value: string; onChange(environment: string): void }) {
  return (
    <label>
      Environment
      <select aria-label="Environment" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Any</option>
        {environments.map((env) => (
          <option key={env.key} value={env.key}>
            {env.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function FilterActions({ onClear }: { onClear(): void }) {
  return (
    <>
      <button type="submit" className="primary">
        Apply filters
      </button>
      <button type="button" onClick={onClear}>
        Clear
      </button>
    </>
  );
}
