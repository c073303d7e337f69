import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { ReleasePolicy, StoredPolicy } from '../../../../libs/deploy/src/policy/release-policy.contract';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError } from '../forms/field-error';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { useSession } from '../session/session-context';
import { Link } from '../shell/link';
import { pathOf } from '../shell/routes';
import {
  NEW_ENVIRONMENT,
  draftOf,
  draftProblems,
  environmentPath,
  fieldPaths,
  policyOf,
  problemsExactlyAt,
  type EnvironmentRow,
  type PolicyDraft,
} from './release-policy.model';

/** A service with no policy answers 404: a state to show (an admin registers one), not an error. */
async function orNull(load: Promise<StoredPolicy>): Promise<StoredPolicy | null> {
  try {
    return await load;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** A service's release policy: what its pipeline file may ask more of, never less. Admins edit it; everyone else reads it. */
export function ReleasePolicyPage({ service }: { service: string }) {
  const { api, abilities } = useSession();
  const path = `/api/v1/services/${encodeURIComponent(service)}/policy`;
  const stored = useLoad(() => orNull(api.get<StoredPolicy>(path)), [api, path]);
  const [editing, setEditing] = useState(false);
  const data = stored.data;
  return (
    <section aria-labelledby="policy-title">
      <p className="breadcrumb">
        <Link href={pathOf({ page: 'releases', service })}>Releases of {service}</Link>
      </p>
      <div className="page-head">
        <h1 id="policy-title">Release policy of {service}</h1>
        {abilities.admin && !editing && data !== undefined ? (
          <button type="button" className="primary" onClick={() => setEditing(true)}>
            {data ? 'Edit policy' : 'Register a policy'}
          </button>
        ) : null}
      </div>
      <ErrorBanner error={stored.error} />
      {data ? (
        <p className="small">
          Version <strong data-testid="policy-version">{data.version}</strong>, changed <TimeText at={data.updatedAt} /> by {data.updatedBy}.{' '}
          <Link href={pathOf({ page: 'audit', filters: { target: `service:${service}` } })}>Audit history</Link>
        </p>
      ) : null}
      {editing && data !== undefined ? (
        <PolicyForm
          key={data?.version ?? 0}
          service={service}
          base={data}
          onSaved={(saved) => {
            stored.set(saved);
            setEditing(false);
          }}
          onCancel={() => setEditing(false)}
          onReload={() => void stored.reload()}
        />
      ) : data ? (
        <PolicyView policy={data.policy} />
      ) : data === null ? (
        <p className="muted">
          {service} has no release policy yet: its releases are recorded, but none rolls out until an administrator registers a policy here or accepts the one a
          release proposes.
        </p>
      ) : stored.loading ? (
        <p className="muted">Loading…</p>
      ) : null}
    </section>
  );
}

/** The policy read-only: each environment's namespace and gates, and where images may come from. */
export function PolicyView({ policy, nested = false }: { policy: ReleasePolicy; nested?: boolean }) {
  const Heading = nested ? 'h4' : 'h2';
  return (
    <>
      <table className="policy-table" aria-label="Environments">
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">Namespace</th>
            <th scope="col">Approval</th>
            <th scope="col">Four-eyes</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(policy.environments).map(([name, environment]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>
                <code>{environment.namespace}</code>
              </td>
              <td>{environment.approval}</td>
              <td>{environment.fourEyes ? 'on' : 'off'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Heading>Allowed repositories</Heading>
      <ul aria-label="Allowed repositories">
        {policy.repositories.map((repository) => (
          <li key={repository}>
            <code>{repository}</code>
          </li>
        ))}
      </ul>
    </>
  );
}

function PolicyForm(props: { service: string; base: StoredPolicy | null; onSaved(saved: StoredPolicy): void; onCancel(): void; onReload(): void }) {
  const { service, base, onSaved, onCancel, onReload } = props;
  const { api } = useSession();
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(base?.policy ?? null));
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [conflict, setConflict] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const setRow = (i: number, change: Partial<EnvironmentRow>) =>
    setDraft({ ...draft, environments: draft.environments.map((row, j) => (j === i ? { ...row, ...change } : row)) });
  const setRepository = (i: number, value: string) => setDraft({ ...draft, repositories: draft.repositories.map((r, j) => (j === i ? value : r)) });

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const local = draftProblems(draft);
    setDetails(local);
    setError(undefined);
    if (local.length) return;
    setBusy(true);
    try {
      const saved = await api.request<StoredPolicy>('PUT', `/api/v1/services/${encodeURIComponent(service)}/policy`, policyOf(draft), {
        ifMatch: base?.version,
      });
      onSaved(saved.data);
    } catch (err) {
      // A conflict gets its own prompt, field problems sit next to their fields; anything else is a banner.
      if (err instanceof ApiError && err.status === 409) setConflict(err);
      else if (err instanceof ApiError && err.details.length) setDetails(err.details);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const at = (path: string) => problemsExactlyAt(details, path);
  const shown = fieldPaths(draft);
  const unplaced = details.filter((d) => !shown.includes(d.path));
  return (
    <form className="card policy-form" aria-label="Edit release policy" onSubmit={(e) => void save(e)} noValidate>
      {conflict ? (
        <div className="banner banner-conflict" role="alert">
          <p>
            Someone else changed this policy since you opened it (it is now at version {String(conflict.extra.currentVersion ?? 'unknown')}). Nothing of yours
            was saved.
          </p>
          <button type="button" className="primary" onClick={onReload}>
            Reload (discard my edits)
          </button>
        </div>
      ) : null}
      <ErrorBanner error={error} />
      {unplaced.length ? (
        <ul className="field-error" aria-label="Other problems">
          {unplaced.map((d) => (
            <li key={d.path + d.problem}>
              <code>{d.path || 'policy'}</code> {d.problem}
            </li>
          ))}
        </ul>
      ) : null}
      <h2>Environments</h2>
      <FieldError id="policy-environments-error" problems={at('environments')} />
      {draft.environments.map((row, i) => {
        const id = `policy-env-${i}`;
        return (
          <fieldset key={i} className="policy-environment" aria-label={`Environment ${i + 1}`}>
            <label>
              Name
              <input value={row.name} onChange={(e) => setRow(i, { name: e.target.value })} aria-describedby={`${id}-name-error`} placeholder="production" />
            </label>
            <FieldError id={`${id}-name-error`} problems={at(environmentPath(row))} />
            <label>
              Namespace
              <input
                value={row.namespace}
                onChange={(e) => setRow(i, { namespace: e.target.value })}
                aria-describedby={`${id}-namespace-error`}
                placeholder={`${service}-prod`}
              />
            </label>
            <FieldError id={`${id}-namespace-error`} problems={at(environmentPath(row, 'namespace'))} />
            <label>
              Approval
              <select value={row.approval} onChange={(e) => setRow(i, { approval: e.target.value as EnvironmentRow['approval'] })}>
                <option value="none">none</option>
                <option value="required">required</option>
              </select>
            </label>
            <FieldError id={`${id}-approval-error`} problems={at(environmentPath(row, 'approval'))} />
            <label>
              <input type="checkbox" checked={row.fourEyes} onChange={(e) => setRow(i, { fourEyes: e.target.checked })} /> Four-eyes (the starter may not
              approve)
            </label>
            <FieldError id={`${id}-fourEyes-error`} problems={at(environmentPath(row, 'fourEyes'))} />
            <button type="button" className="link-button" onClick={() => setDraft({ ...draft, environments: draft.environments.filter((_, j) => j !== i) })}>
              Remove environment {row.name || i + 1}
            </button>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => setDraft({ ...draft, environments: [...draft.environments, { ...NEW_ENVIRONMENT }] })}>
        Add environment
      </button>
      <h2>Allowed repositories</h2>
      <FieldError id="policy-repositories-error" problems={at('repositories')} />
      {draft.repositories.map((repository, i) => (
        <div key={i} className="policy-repository">
          <label>
            Repository {i + 1}
            <input
              value={repository}
              onChange={(e) => setRepository(i, e.target.value)}
              aria-describedby={`policy-repository-${i}-error`}
              placeholder="registry.example.com/team/app"
            />
          </label>
          <button type="button" className="link-button" onClick={() => setDraft({ ...draft, repositories: draft.repositories.filter((_, j) => j !== i) })}>
            Remove repository {i + 1}
          </button>
          <FieldError id={`policy-repository-${i}-error`} problems={at(`repositories[${i}]`)} />
        </div>
      ))}
      <button type="button" onClick={() => setDraft({ ...draft, repositories: [...draft.repositories, ''] })}>
        Add repository
      </button>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save policy
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
