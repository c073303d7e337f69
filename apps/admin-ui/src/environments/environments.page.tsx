import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { EnvironmentView } from '../../../../libs/flags/src/flag.contract';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { useSession } from '../session/session-context';

export function EnvironmentsPage() {
  const { api, abilities, environments, reloadEnvironments } = useSession();
  const [form, setForm] = useState({ key: '', name: '', requiresConfirmation: false, requiresComment: false });
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setDetails([]);
    setError(undefined);
    try {
      await api.post('/api/v1/environments', {
        key: form.key.trim(),
        ...(form.name.trim() ? { name: form.name.trim() } : {}),
        requiresConfirmation: form.requiresConfirmation,
        requiresComment: form.requiresComment,
      });
      setForm({ key: '', name: '', requiresConfirmation: false, requiresComment: false });
      await reloadEnvironments();
    } catch (err) {
      if (err instanceof ApiError && err.details.length) setDetails(err.details);
      else setError(err);
    }
  };

  const update = async (
    env: EnvironmentView,
    change: Partial<Pick<EnvironmentView, 'requiresConfirmation' | 'requiresComment' | 'requireApproval' | 'killSwitchSkipsApproval'>>,
  ) => {
    setError(undefined);
    try {
      await api.patch(`/api/v1/environments/${encodeURIComponent(env.key)}`, change);
      await reloadEnvironments();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="environments-title">
      <h1 id="environments-title">Environments</h1>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      <table>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Name</th>
            <th scope="col">Changes need confirmation</th>
            <th scope="col">Changes need a comment</th>
            <th scope="col">Changes need approval</th>
            <th scope="col">Turning off skips approval</th>
            <th scope="col">Snapshot version</th>
          </tr>
        </thead>
        <tbody>
          {environments.map((env) => (
            <tr key={env.key}>
              <th scope="row">
                <code>{env.key}</code>
              </th>
              <td>{env.name}</td>
              <td>
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={env.requiresConfirmation}
                    disabled={!abilities.admin}
                    onChange={(e) => void update(env, { requiresConfirmation: e.target.checked })}
                    aria-label={`${env.name} needs confirmation`}
                  />{' '}
                  {env.requiresConfirmation ? 'yes' : 'no'}
                </label>
              </td>
              <td>
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={env.requiresComment}
                    disabled={!abilities.admin}
                    onChange={(e) => void update(env, { requiresComment: e.target.checked })}
                    aria-label={`${env.name} needs a comment`}
                  />{' '}
                  {env.requiresComment ? 'yes' : 'no'}
                </label>
              </td>
              <td>
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={env.requireApproval}
                    disabled={!abilities.admin}
                    onChange={(e) => void update(env, { requireApproval: e.target.checked })}
                    aria-label={`${env.name} needs approval`}
                  />{' '}
                  {env.requireApproval ? 'yes (change requests)' : 'no'}
                </label>
              </td>
              <td>
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={env.killSwitchSkipsApproval}
                    disabled={!abilities.admin || !env.requireApproval}
                    onChange={(e) => void update(env, { killSwitchSkipsApproval: e.target.checked })}
                    aria-label={`${env.name}: turning a flag off skips approval`}
                  />{' '}
                  {env.killSwitchSkipsApproval ? 'yes (kill switch)' : 'no'}
                </label>
              </td>
              <td>{env.version}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {abilities.admin ? (
        <form className="card" onSubmit={(e) => void create(e)} aria-labelledby="new-env-title">
          <h2 id="new-env-title">New environment</h2>
          <div className="grid-2">
            <div>
              <label htmlFor="env-key">Key</label>
              <input
                id="env-key"
                value={form.key}
                onChange={(e) => setForm({ ...form, key: e.target.value })}
                aria-invalid={invalid(details, 'key') || undefined}
                aria-describedby="env-key-error"
                required
              />
              <FieldError id="env-key-error" details={details} path="key" />
            </div>
            <div>
              <label htmlFor="env-name">Name</label>
              <input id="env-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} aria-describedby="env-name-error" />
              <FieldError id="env-name-error" details={details} path="name" />
            </div>
          </div>
          <label className="inline">
            <input type="checkbox" checked={form.requiresConfirmation} onChange={(e) => setForm({ ...form, requiresConfirmation: e.target.checked })} /> Changes
            need confirmation
          </label>
          <label className="inline">
            <input type="checkbox" checked={form.requiresComment} onChange={(e) => setForm({ ...form, requiresComment: e.target.checked })} /> Changes need a
            comment
          </label>
          <div className="actions">
            <button type="submit" className="primary">
              Create environment
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
