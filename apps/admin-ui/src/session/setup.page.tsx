import { useState, type FormEvent } from 'react';
import { ApiError, type ApiClient } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { SessionView as Session } from '../../../../libs/auth/src/access.contract';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';

/** First start: nobody can sign in yet, so the bootstrap admin token vouches for the first admin. */
export function SetupPage({ api, onDone }: { api: ApiClient; onDone(session: Session): void }) {
  const [form, setForm] = useState({ adminToken: '', email: '', name: '', password: '' });
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const field = (name: keyof typeof form) => ({
    id: `setup-${name}`,
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
    'aria-invalid': invalid(details, name) || undefined,
    'aria-describedby': `setup-${name}-error setup-${name}-hint`,
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setDetails([]);
    setError(undefined);
    try {
      onDone(await api.post<Session>('/api/v1/setup', form));
    } catch (err) {
      if (err instanceof ApiError && err.details.length) setDetails(err.details);
      else if (err instanceof ApiError && err.status === 401) setDetails([{ path: 'adminToken', problem: err.message }]);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="centered auth-page">
      <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="setup-title">
        <h1 id="setup-title">Set up Switchyard</h1>
        <p>
          Create the first administrator. Paste the bootstrap admin token: the value of <code>SWITCHYARD_ADMIN_TOKEN</code>, or the token the server printed
          once when it first started.
        </p>
        <ErrorBanner error={error} />
        <label htmlFor="setup-adminToken">Bootstrap admin token</label>
        <input {...field('adminToken')} type="password" autoComplete="off" required />
        <span className="hint" id="setup-adminToken-hint">
          Used once to create this account; it keeps working for machines.
        </span>
        <FieldError id="setup-adminToken-error" details={details} path="adminToken" />
        <label htmlFor="setup-name">Your name</label>
        <input {...field('name')} autoComplete="name" required />
        <FieldError id="setup-name-error" details={details} path="name" />
        <label htmlFor="setup-email">Email</label>
        <input {...field('email')} type="email" autoComplete="username" required />
        <FieldError id="setup-email-error" details={details} path="email" />
        <label htmlFor="setup-password">Password</label>
        <input {...field('password')} type="password" autoComplete="new-password" required />
        <span className="hint" id="setup-password-hint">
          At least 12 characters.
        </span>
        <FieldError id="setup-password-error" details={details} path="password" />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </main>
  );
}
