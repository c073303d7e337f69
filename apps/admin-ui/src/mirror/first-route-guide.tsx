import { useSession } from '../session/session-context';

const SAMPLE_ROUTE = {
  name: 'quotes',
  match: { host: 'quotes.internal', pathPrefix: '/' },
  primary: 'http://quotes-v1.internal:8080',
  candidate: 'http://quotes-v2.internal:8080',
  sample: { percent: 5 },
};

/** No mirror route yet: a sample route, and the proxy that serves it connected to this server. */
export function FirstRouteGuide() {
  const { environments } = useSession();
  const origin = window.location.origin;
  const environment = environments.find((env) => env.requiresConfirmation)?.key ?? environments[0]?.key ?? 'production';
  return (
    <div className="empty-guide" data-testid="first-route-guide">
      <h2>No mirror routes yet</h2>
      <p>
        A dark launch sends live traffic to the current version (the primary) and copies a sample to the new one (the candidate); the proxy compares both
        answers and reports the differences here, without slowing or failing the live request.
      </p>
      <h3>1. Add a route (administrators)</h3>
      <pre className="snippet">
        <code>
          {[
            `curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' \\`,
            `  ${origin}/api/v1/mirror/routes -d @route.json`,
            '',
            '# route.json',
            JSON.stringify(SAMPLE_ROUTE, null, 2),
          ].join('\n')}
        </code>
      </pre>
      <h3>2. Run the proxy connected to this server</h3>
      <pre className="snippet">
        <code>
          {[
            `# a token with scopes sdk:${environment} and mirror:report:${SAMPLE_ROUTE.name} (API tokens page)`,
            'export SWITCHYARD_TOKEN=<that token>',
            `npx switchyard proxy --server ${origin} --environment ${environment} --port 8080`,
          ].join('\n')}
        </code>
      </pre>
      <p className="muted">Point the service&apos;s traffic at port 8080; the report appears here as the sample arrives. See apps/proxy/README.md.</p>
    </div>
  );
}
