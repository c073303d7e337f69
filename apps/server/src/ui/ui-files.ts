import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the built admin UI lives: UI_DIR when set, else apps/admin-ui/dist found from this file
 * (sources run from apps/server/src/ui, the build from dist/apps/server/src/ui) or the cwd.
 */
export function resolveUiDir(configured: string | undefined): string {
  if (configured) return resolve(configured);
  const candidates = [join(__dirname, '../../../admin-ui/dist'), join(__dirname, '../../../../../apps/admin-ui/dist'), resolve('apps/admin-ui/dist')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[candidates.length - 1];
}

/** Paths the UI never answers for: an unknown API or SDK URL must stay a JSON 404, not a page. */
export const NOT_UI = /^\/(?:api|sdk|ofrep|metrics|healthz|readyz)(?:[/?]|$)/;

/** Browsers navigating send `Accept: text/html`; fetch() and API clients do not. */
export function acceptsHtml(accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  return /(?:^|,)\s*text\/html\s*(?:[;,]|$)/i.test(value);
}
