import { SdkSnippet } from './sdk-snippet';

/** A flag nobody has reported evaluating yet: which token reports usage, and how. */
export function UsageGuide({ flagKey }: { flagKey: string }) {
  return (
    <section className="empty-guide" aria-labelledby="usage-guide-title" data-testid="usage-guide">
      <h2 id="usage-guide-title">No usage reported yet</h2>
      <p>
        Usage comes from the applications that evaluate {flagKey}, with the same <code>sdk:&lt;environment&gt;</code> token they read flags with. The Node SDK
        counts evaluations and sends them every 30 seconds by itself; anything else posts counts to <code>POST /sdk/v1/metrics</code>.
      </p>
      <SdkSnippet flagKey={flagKey} purpose="usage" />
    </section>
  );
}
