import { useState, type FormEvent } from 'react';
import { ApiError, type ApiClient } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { SessionView as Session } from '../../../../libs/auth/src/access.contract';
import { FieldError, invalid } from '../forms/field-error';

export function SignInPage({ api, onSignedIn }: { api: ApiClient; onSignedIn(session: Session): void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setDetails([]);
    setMessage(undefined);
    try {
      onSignedIn(await api.post<Session>('/api/v1/session', { email, password }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        const retry = err.headers?.get('retry-after');
        setMessage(`Too many attempts. Try again${retry ? ` in ${retry} s` : ' later'}.`);
      } else if (err instanceof ApiError && err.details.length) setDetails(err.details);
      else setMessage(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="centered auth-page">
      <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Switchyard</h1>
        {message ? (
          <p className="banner banner-error" role="alert">
            {message}
          </p>
        ) : null}
        <label htmlFor="sign-in-email">Email</label>
        <input
          id="sign-in-email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={invalid(details, 'email') || undefined}
          aria-describedby="sign-in-email-error"
          required
          autoFocus
        />
        <FieldError id="sign-in-email-error" details={details} path="email" />
        <label htmlFor="sign-in-password">Password</label>
        <input
          id="sign-in-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={invalid(details, 'password') || undefined}
          aria-describedby="sign-in-password-error"
          required
        />
        <FieldError id="sign-in-password-error" details={details} path="password" />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
