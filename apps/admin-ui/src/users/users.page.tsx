import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { Role, UserView as User } from '../../../../libs/auth/src/access.contract';
import { useConfirm } from '../forms/confirm-dialog';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { ROLE_HINTS, ROLES } from '../session/roles';
import { useSession } from '../session/session-context';

export function UsersPage() {
  const { api, user: me, environments } = useSession();
  const users = useLoad(() => api.get<{ items: User[] }>('/api/v1/users').then((r) => r.items), [api]);
  const [form, setForm] = useState({ email: '', name: '', role: 'editor' as Role, password: '' });
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [dialog, confirm] = useConfirm();

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setDetails([]);
    setError(undefined);
    try {
      const user = await api.post<User>('/api/v1/users', form);
      setForm({ email: '', name: '', role: 'editor', password: '' });
      setNotice(`${user.email} can now sign in as ${user.role}.`);
      await users.reload();
    } catch (err) {
      if (err instanceof ApiError && err.details.length) setDetails(err.details);
      else setError(err);
    }
  };

  /** One environment's override: a role, or '' for "same as the base role" (the override is removed). */
  const setEnvironmentRole = (user: User, environment: string, role: Role | '') => {
    const { [environment]: _removed, ...others } = user.environmentRoles;
    return patch(user, { environmentRoles: role ? { ...others, [environment]: role } : others });
  };

  const patch = async (user: User, body: Partial<Pick<User, 'role' | 'disabled' | 'environmentRoles'>>) => {
    setError(undefined);
    try {
      await api.patch(`/api/v1/users/${user.id}`, body);
      await users.reload();
    } catch (err) {
      setError(err);
    }
  };

  const remove = async (user: User) => {
    const ok = await confirm({
      title: `Delete ${user.email}?`,
      body: 'Their sessions end at once. Audit events keep their name.',
      confirmLabel: 'Delete user',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/api/v1/users/${user.id}`);
      await users.reload();
    } catch (err) {
      setError(err);
    }
  };

  const input = (name: 'email' | 'name' | 'password') => ({
    id: `user-${name}`,
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
    'aria-invalid': invalid(details, name) || undefined,
    'aria-describedby': `user-${name}-error`,
    required: true,
  });

  return (
    <section aria-labelledby="users-title">
      {dialog}
      <h1 id="users-title">Users</h1>
      <ErrorBanner error={error ?? users.error} onDismiss={error ? () => setError(undefined) : undefined} />
      {notice ? (
        <p className="banner" role="status">
          {notice}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">Per environment</th>
            <th scope="col">Last sign-in</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(users.data ?? []).map((user) => (
            <tr key={user.id} className={user.disabled ? 'revoked' : undefined}>
              <th scope="row">
                {user.name} <div className="muted small">{user.email}</div>
              </th>
              <td>
                <select
                  value={user.role}
                  disabled={user.id === me.id}
                  onChange={(e) => void patch(user, { role: e.target.value as Role })}
                  aria-label={`Role of ${user.email}`}
                >
                  {ROLES.map((role) => (
                    <option key={role}>{role}</option>
                  ))}
                </select>
              </td>
              <td>
                {/* Overrides apply to flag and segment changes, toggles and approvals in that environment only. */}
                <div className="env-roles" data-user={user.email}>
                  {environments.map((env) => (
                    <label key={env.key} className="small">
                      {env.name}{' '}
                      <select
                        value={user.environmentRoles[env.key] ?? ''}
                        disabled={user.id === me.id}
                        onChange={(e) => void setEnvironmentRole(user, env.key, e.target.value as Role | '')}
                        aria-label={`${env.name} override for ${user.email}`}
                      >
                        <option value="">as {user.role}</option>
                        {ROLES.map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                      </select>
                    </label>
                  ))}
                </div>
              </td>
              <td>
                <TimeText at={user.lastLoginAt} />
              </td>
              <td>{user.disabled ? 'disabled' : 'active'}</td>
              <td className="row-actions">
                {user.id === me.id ? (
                  <span className="muted small">you</span>
                ) : (
                  <>
                    <button
                      type="button"
                      onClick={() => void patch(user, { disabled: !user.disabled })}
                      aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.email}`}
                    >
                      {user.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button type="button" className="danger" onClick={() => void remove(user)} aria-label={`Delete ${user.email}`}>
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="card" onSubmit={(e) => void create(e)} aria-labelledby="new-user-title">
        <h2 id="new-user-title">New user</h2>
        <div className="grid-2">
          <div>
            <label htmlFor="user-name">Name</label>
            <input {...input('name')} />
            <FieldError id="user-name-error" details={details} path="name" />
          </div>
          <div>
            <label htmlFor="user-email">Email</label>
            <input {...input('email')} type="email" />
            <FieldError id="user-email-error" details={details} path="email" />
          </div>
          <div>
            <label htmlFor="user-role">Role</label>
            <select
              id="user-role"
              value={form.role}
              onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
              aria-describedby="user-role-hint user-role-error"
            >
              {ROLES.map((role) => (
                <option key={role}>{role}</option>
              ))}
            </select>
            <span className="hint" id="user-role-hint">
              {ROLE_HINTS[form.role]}
            </span>
            <FieldError id="user-role-error" details={details} path="role" />
          </div>
          <div>
            <label htmlFor="user-password">Initial password</label>
            <input {...input('password')} type="password" autoComplete="new-password" aria-describedby="user-password-hint user-password-error" />
            <span className="hint" id="user-password-hint">
              At least 12 characters; they can change it later.
            </span>
            <FieldError id="user-password-error" details={details} path="password" />
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Create user
          </button>
        </div>
      </form>
    </section>
  );
}
