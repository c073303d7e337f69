import { useSession } from '../session/session-context';
import { SdkSnippet } from './sdk-snippet';

/** A fresh install's flags page: the first flag, and how an application will read it. */
export function FirstFlagGuide({ creating, onCreate }: { creating: boolean; onCreate(): void }) {
  const { abilities, user } = useSession();
  return (
    <div className="empty-guide" data-testid="first-flag-guide">
      <h2>No flags yet</h2>
      <p>A flag turns a feature on or off per environment, for everyone or for the users your rules pick, without a deploy.</p>
      {abilities.writeFlags ? (
        <button type="button" className="primary" onClick={onCreate} disabled={creating}>
          Create your first flag
        </button>
      ) : (
        <p className="muted">You are signed in as a {user.role}: ask an editor or administrator to create the first flag.</p>
      )}
      <h2>Read flags from your application</h2>
      <SdkSnippet />
    </div>
  );
}
