import { ApiError } from '../api/api-client';

/** A page-level error: the server's message (and request id for support), or anything else thrown. */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="banner banner-error" role="alert">
      <span>
        {code ? <strong>{code}: </strong> : null}
        {message}
      </span>
      {onDismiss ? (
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
