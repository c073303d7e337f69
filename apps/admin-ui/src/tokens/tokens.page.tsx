import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { TokenView } from '../../../../libs/auth/src/access.contract';
import { useConfirm } from '../forms/confirm-dialog';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError, invalid } from '../forms/field-error';
import { TimeText } from '../forms/time-text';
import { useLoad } from '../forms/use-load';
import { TOKEN_SCOPES } from '../session/roles';
import { useSession } from '../session/session-context';

export function TokensPage() {
  const { api, environments } = useSession();
  const tokens = useLoad(() => api.get<{ items: TokenView[] }>('/api/v1/tokens').then((r) => r.items), [api]);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [created, setCreated] = useState<{ token: TokenView; secret: string }>();
  const [copied, setCopied] = useState(false);
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<unknown>();
  const [origins, setOrigins] = useState('');
  const [flagFilter, setFlagFilter] = useState('');
  const [dialog, confirm] = useConfirm();
  const allScopes = [...TOKEN_SCOPES, ...environments.map((env) => `sdk:${env.key}`), ...environments.map((env) => `client:${env.key}`)];
  // A browser token: it alone has origins and a flag filter (the server refuses them on other tokens).
  const forBrowsers = scopes.some((scope) => scope.startsWith('client:'));

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setDetails([]);
    setError(undefined);
    setCopied(false);
    try {
      const browser = forBrowsers
        ? {
            allowedOrigins: origins
              .split(/[\s,]+/)
              .map((origin) => origin.trim())
              .filter(Boolean),
            ...(flagFilter ? { flagFilter } : {}),
          }
        : {};
      setCreated(await api.post<{ token: TokenView; secret: string }>('/api/v1/tokens', { name: name.trim(), scopes, ...browser }));
      setName('');
      setScopes([]);
      setOrigins('');
      setFlagFilter('');
      await tokens.reload();
    } catch (err) {
      if (err instanceof ApiError && err.details.length) setDetails(err.details);
      else setError(err);
    }
  };

  const revoke = async (token: TokenView) => {
    const ok = await confirm({
      title: `Revoke ${token.name}?`,
      body: 'Anything using this token stops working within seconds. This cannot be undone.',
      confirmLabel: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/api/v1/tokens/${token.id}`);
      await tokens.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="tokens-title">
      {dialog}
      <h1 id="tokens-title">API tokens</h1>
      <ErrorBanner error={error ?? tokens.error} onDismiss={error ? () => setError(undefined) : undefined} />
      {created ? (
        <div className="banner banner-secret" role="status">
          <p>
            Token <strong>{created.token.name}</strong> created. Copy the secret now: it is shown <strong>only once</strong>.
          </p>
          <label htmlFor="token-secret">Secret</label>
          <div className="secret-row">
            <input id="token-secret" readOnly value={created.secret} onFocus={(e) => e.target.select()} />
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(created.secret).then(() => setCopied(true));
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
      <form className="card" onSubmit={(e) => void create(e)} aria-labelledby="new-token-title">
        <h2 id="new-token-title">New token</h2>
        <label htmlFor="token-name">Name</label>
        <input
          id="token-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="ci-deployer"
          required
          aria-invalid={invalid(details, 'name') || undefined}
          aria-describedby="token-name-error"
        />
        <FieldError id="token-name-error" details={details} path="name" />
        <fieldset aria-describedby="token-scopes-error">
          <legend>Scopes</legend>
          {allScopes.map((scope) => (
            <label key={scope} className="inline scope">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(e) => setScopes(e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))}
              />{' '}
              <code>{scope}</code>
            </label>
          ))}
        </fieldset>
        <FieldError id="token-scopes-error" details={details} path="scopes" />
        {forBrowsers ? (
          <>
            <label htmlFor="token-origins">Browser origins</label>
            <textarea
              id="token-origins"
              value={origins}
              onChange={(e) => setOrigins(e.target.value)}
              placeholder="https://shop.example.com"
              rows={3}
              aria-invalid={invalid(details, 'allowedOrigins') || undefined}
              aria-describedby="token-origins-help token-origins-error"
            />
            <p id="token-origins-help" className="muted small">
              One per line, exactly as browsers send them (scheme://host[:port]). Pages elsewhere are refused; with none, no browser can use the token.
            </p>
            <FieldError id="token-origins-error" details={details} path="allowedOrigins" />
            <label htmlFor="token-flag-filter">Flags it sees</label>
            <select id="token-flag-filter" value={flagFilter.startsWith('tag:') ? 'tag:' : flagFilter} onChange={(e) => setFlagFilter(e.target.value)}>
              <option value="">every flag of the environment</option>
              <option value="client-side">flags available to client-side SDKs</option>
              <option value="tag:">flags with a tag…</option>
            </select>
            {flagFilter.startsWith('tag:') ? (
              <>
                <label htmlFor="token-flag-tag">Tag</label>
                <input
                  id="token-flag-tag"
                  value={flagFilter.slice(4)}
                  onChange={(e) => setFlagFilter(`tag:${e.target.value}`)}
                  placeholder="web"
                  aria-invalid={invalid(details, 'flagFilter') || undefined}
                  aria-describedby="token-flag-filter-error"
                />
              </>
            ) : null}
            <FieldError id="token-flag-filter-error" details={details} path="flagFilter" />
          </>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={scopes.length === 0}>
            Create token
          </button>
        </div>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Scopes</th>
            <th scope="col">Browser access</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {(tokens.data ?? []).map((token) => (
            <tr key={token.id} className={token.revokedAt ? 'revoked' : undefined}>
              <th scope="row">{token.name}</th>
              <td>
                <code>{token.prefix}…</code>
              </td>
              <td>
                {token.scopes.map((s) => (
                  <span key={s} className="badge">
                    {s}
                  </span>
                ))}
              </td>
              <td>
                {token.scopes.some((s) => s.startsWith('client:')) ? (
                  <>
                    {(token.allowedOrigins ?? []).length ? (
                      token.allowedOrigins!.map((origin) => (
                        <div key={origin}>
                          <code>{origin}</code>
                        </div>
                      ))
                    ) : (
                      <span className="muted">no origins: no browser access</span>
                    )}
                    <div className="muted small">
                      {token.flagFilter === 'client-side' ? 'client-side flags' : token.flagFilter ? `flags tagged ${token.flagFilter.slice(4)}` : 'every flag'}
                    </div>
                  </>
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
              <td>
                <TimeText at={token.createdAt} /> <span className="muted small">by {token.createdBy}</span>
              </td>
              <td>
                <TimeText at={token.lastUsedAt} />
              </td>
              <td>
                {token.revokedAt ? (
                  <>
                    revoked <TimeText at={token.revokedAt} />
                  </>
                ) : (
                  <button type="button" className="danger" onClick={() => void revoke(token)} aria-label={`Revoke ${token.name}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
