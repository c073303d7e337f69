const STAGES: Array<{ name: string; where: 'ci' | 'server' }> = [
  { name: 'build', where: 'ci' },
  { name: 'test', where: 'ci' },
  { name: 'publish', where: 'ci' },
  { name: 'staging', where: 'server' },
  { name: 'approval', where: 'server' },
  { name: 'canary', where: 'server' },
  { name: 'production', where: 'server' },
];

/** No release recorded yet: the command CI runs, and the stages a release goes through. */
export function FirstReleaseGuide() {
  const origin = window.location.origin;
  return (
    <div className="empty-guide" data-testid="first-release-guide">
      <h2>No releases yet</h2>
      <p>
        A release starts in CI with <code>switchyard release</code>: it builds, tests and publishes the service described by its <code>switchyard.yml</code>,
        then the server rolls it out stage by stage and shows every stage here.
      </p>
      <ol className="stage-drawing" aria-label={`Release stages: ${STAGES.map((s) => s.name).join(', then ')}`}>
        {STAGES.map((stage) => (
          <li key={stage.name} className={`stage-step stage-${stage.where}`}>
            {stage.name}
          </li>
        ))}
      </ol>
      <p className="muted small">
        <span className="stage-key stage-ci" /> in CI, by the command · <span className="stage-key stage-server" /> on the server: approval waits for an
        approver, the canary is analysed before production.
      </p>
      <pre className="snippet">
        <code>
          {[
            `export SWITCHYARD_URL=${origin}`,
            'export SWITCHYARD_TOKEN=<a token with scope deploy>',
            'npx switchyard release --dir . --branch main --build-number 1',
          ].join('\n')}
        </code>
      </pre>
      <p className="muted">
        A service&apos;s first rollout waits until an administrator accepts its release policy (<code>switchyard policy accept SERVICE --release ID</code>). The
        README&apos;s &ldquo;Try a release without a cluster&rdquo; runs the whole path on a laptop.
      </p>
    </div>
  );
}
