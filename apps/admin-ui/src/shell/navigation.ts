/** Marks the popstate events the app raises itself, as opposed to the browser's back and forward. */
export const IN_APP = 'switchyard:navigate';

/** History-API navigation: the server falls back to index.html, so every URL can be reloaded or shared. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate', { state: IN_APP }));
}
