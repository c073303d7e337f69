import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { useSession } from './session-context';

const MIN_LENGTH = 12;

/** Who is signed in, and a form to change one's own password (other sessions end; this one stays). */
export function AccountPage() {
  const { api, user } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDetails([]);
    setError(undefined);
    setDone(false);
    if (next !== repeat) return setDetails([{ path: 'repeat', problem: 'does not match the new password' }]);
    setBusy(true);
    try {
      await api.post('/api/v1/session/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        const retry = err.headers?.get('retry-after');
        setError(new Error(`Too many wrong passwords. Try again${retry ? ` in ${retry} s` : ' later'}.`));
      } else if (err instanceof ApiError && err.details.length) setDetails(err.details);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (id: string, path: string, label: string, value: string, set: (value: string) => void, autoComplete: string) => (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="password"
        autoComplete={autoComplete}
        value={value}
        onChange={(e) => set(e.target.value)}
        aria-invalid={invalid(details, path) || undefined}
        aria-describedby={`${id}-error`}
        required
      />
      <FieldError id={`${id}-error`} details={details} path={path} />
    </>
  );

  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">Your account</h1>
      <p>
        {user.name} · {user.email} · role <span className="role-badge">{user.role}</span>
      </p>
      <form className="card narrow-form" onSubmit={(e) => void submit(e)} aria-labelledby="password-title">
        <h2 id="password-title">Change your password</h2>
        <p className="muted">At least {MIN_LENGTH} characters. Your other sessions are signed out; this one stays.</p>
        <ErrorBanner error={error} />
        {done ? (
          <p className="banner" role="status">
            Password changed. Other sessions were signed out.
          </p>
        ) : null}
        {field('current-password', 'currentPassword', 'Current password', current, setCurrent, 'current-password')}
        {field('new-password', 'newPassword', 'New password', next, setNext, 'new-password')}
        {field('repeat-password', 'repeat', 'New password again', repeat, setRepeat, 'new-password')}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
