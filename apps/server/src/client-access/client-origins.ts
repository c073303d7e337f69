/**
 * A browser origin as the `Origin` header spells it: scheme, host, optional port — no path, no
 * trailing slash, no wildcard. Exact matching keeps the allow-list auditable: `https://*.shop.example`
 * would quietly include every subdomain anyone can get a page on.
 */
export const BROWSER_ORIGIN =
  /^https?:\/\/(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/;

export const MAX_ALLOWED_ORIGINS = 20;

/** The Origin header of a request, or undefined (not a browser, or a browser that did not say). */
export function requestOrigin(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers.origin;
  const origin = Array.isArray(value) ? value[0] : value;
  // Sandboxed frames and file:// pages send "null": never on an allow-list.
  return origin === undefined || origin === '' ? undefined : origin;
}
