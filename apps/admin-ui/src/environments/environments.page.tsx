import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { EnvironmentView } from '../../../../libs/flags/src/flag.contract';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { useSession } from '../session/session-context';

/** The on/off settings an admin switches per environment, each in its own table cell. */
type EnvironmentSetting = 'requiresConfirmation' | 'requiresComment' | 'requireApproval' | 'killSwitchSkipsApproval';

function SettingCell(props: {
  env: EnvironmentView;
  setting: EnvironmentSetting;
  label: string;
  yes: string;
  disabled: boolean;
  update: (env: EnvironmentView, change: Partial<Pick<EnvironmentView, EnvironmentSetting>>) => Promise<void>;
}) {
  const { env, setting } = props;
  return (
    <td>
      <label className="inline">
        <input
          type="checkbox"
          checked={env[setting]}
          disabled={props.disabled}
          onChange={(e) => void props.update(env, { [setting]: e.target.checked })}
          aria-label={props.label}
        />{' '}
        {env[setting] ? props.yes : 'no'}
      </label>
    </td>
  );
}

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

  const update = async (env: EnvironmentView, change: Partial<Pick<EnvironmentView, EnvironmentSetting>>) => {
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
              <SettingCell
                env={env}
                setting="requiresConfirmation"
                label={`${env.name} needs confirmation`}
                yes="yes"
                disabled={!abilities.admin}
                update={update}
              />
              <SettingCell env={env} setting="requiresComment" label={`${env.name} needs a comment`} yes="yes" disabled={!abilities.admin} update={update} />
              <SettingCell
                env={env}
                setting="requireApproval"
                label={`${env.name} needs approval`}
                yes="yes (change requests)"
                disabled={!abilities.admin}
                update={update}
              />
              <SettingCell
                env={env}
                setting="killSwitchSkipsApproval"
                label={`${env.name}: turning a flag off skips approval`}
                yes="yes (kill switch)"
                disabled={!abilities.admin || !env.requireApproval}
                update={update}
              />
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
