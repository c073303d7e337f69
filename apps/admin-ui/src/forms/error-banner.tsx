import { ApiError } from '../api/api-client';

/** "the request body is larger than 1 MiB" → "The request body is larger than 1 MiB." */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  return `${trimmed[0].toUpperCase()}${trimmed.slice(1)}${/[.!?]$/.test(trimmed) ? '' : '.'}`;
}

/**
 * A page-level error in plain words: the server's message (which names the limit, if any) and the
 * problems it lists; the error code stays out of the text, as a tooltip for support.
 */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const api = error instanceof ApiError ? error : undefined;
  // A body-level detail repeats the message (413: "larger than 1 MiB"); field problems add to it.
  const details = api?.details.filter((d) => d.path !== '(body)') ?? [];
  return (
    <div className="banner banner-error" role="alert" title={api ? `${api.code} (HTTP ${api.status})` : undefined}>
      <span>
        {sentence(message)}
        {details.length ? (
          <ul className="banner-details">
            {details.map((d) => (
              <li key={`${d.path}-${d.problem}`}>
                {d.path}: {d.problem}
              </li>
            ))}
          </ul>
        ) : null}
      </span>
      {onDismiss ? (
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
