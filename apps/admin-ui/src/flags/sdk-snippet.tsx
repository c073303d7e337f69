import { useState } from 'react';
import { ErrorBanner } from '../forms/error-banner';
import { useSession } from '../session/session-context';

/**
 * How an application reads flags (or reports usage) for one environment, with a real token:
 * administrators create an `sdk:<environment>` token here and see its secret once, inside the
 * snippet; everyone else gets a placeholder and is told whom to ask.
 */
export function SdkSnippet({ flagKey = 'checkout.new-flow', purpose = 'evaluate' }: { flagKey?: string; purpose?: 'evaluate' | 'usage' }) {
  const { api, environments, abilities } = useSession();
  const [picked, setEnvironment] = useState<string>();
  // Environments arrive after the first render: until someone picks one, the first is meant.
  const environment = picked ?? environments[0]?.key ?? '';
  // Secrets live in memory only, per environment: the server never shows them again.
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const secret = secrets[environment];
  const envName = environments.find((env) => env.key === environment)?.name ?? environment;
  const origin = window.location.origin;

  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.post<{ secret: string }>('/api/v1/tokens', { name: `sdk-${environment}`, scopes: [`sdk:${environment}`] });
      setSecrets((current) => ({ ...current, [environment]: created.secret }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const tokenLine = `export SWITCHYARD_SDK_TOKEN=${secret ?? `<a token with scope sdk:${environment}>`}`;
  const node = [
    tokenLine,
    'npm install @switchyard/node-sdk',
    '',
    "import { createClient } from '@switchyard/node-sdk';",
    `const flags = await createClient({ url: '${origin}', token: process.env.SWITCHYARD_SDK_TOKEN });`,
    `flags.getBooleanValue('${flagKey}', false, { targetingKey: user.id });`,
    purpose === 'usage' ? '// usage counts are sent every 30 s by themselves (metricsIntervalMs)' : undefined,
  ].filter((line) => line !== undefined);
  const other =
    purpose === 'usage'
      ? [
          tokenLine,
          `curl -X POST -H "Authorization: Bearer $SWITCHYARD_SDK_TOKEN" -H 'content-type: application/json' \\`,
          `  -d '{"counts":[{"flag":"${flagKey}","variant":"on","count":42}]}' ${origin}/sdk/v1/metrics`,
        ]
      : [
          tokenLine,
          `curl -H "Authorization: Bearer $SWITCHYARD_SDK_TOKEN" -H 'content-type: application/json' \\`,
          `  -d '{"context":{"targetingKey":"user-1"}}' ${origin}/ofrep/v1/evaluate/flags/${flagKey}`,
        ];

  return (
    <div className="sdk-snippet" data-testid="sdk-snippet">
      <div className="filters">
        <label>
          Environment
          <select value={environment} onChange={(e) => setEnvironment(e.target.value)}>
            {environments.map((env) => (
              <option key={env.key} value={env.key}>
                {env.name}
              </option>
            ))}
          </select>
        </label>
        {abilities.admin ? (
          <button type="button" onClick={() => void create()} disabled={busy || !environment}>
            {busy ? 'Creating…' : `Create SDK token for ${envName}`}
          </button>
        ) : null}
      </div>
      <ErrorBanner error={error} />
      {secret ? (
        <p className="banner" role="status">
          Token created for {envName}. Copy it now: it is shown only once (API tokens page lists and revokes it).
        </p>
      ) : !abilities.admin ? (
        <p className="muted">Ask an administrator for a token with scope sdk:{environment}: only administrators create tokens.</p>
      ) : null}
      <h3>Node SDK</h3>
      <pre className="snippet">
        <code>{node.join('\n')}</code>
      </pre>
      <h3>{purpose === 'usage' ? 'Any other language: POST /sdk/v1/metrics' : 'Any other language: OpenFeature OFREP'}</h3>
      <pre className="snippet">
        <code>{other.join('\n')}</code>
      </pre>
    </div>
  );
}
