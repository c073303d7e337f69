/** The UI's pages and their URLs; the server answers every one of them with index.html. */
export type FlagTab = 'targeting' | 'history' | 'usage' | 'settings';

export type Route =
  | { page: 'setup' }
  | { page: 'sign-in' }
  | { page: 'flags' }
  | { page: 'flag'; key: string; tab: FlagTab; environment?: string }
  | { page: 'segments' }
  | { page: 'environments' }
  | { page: 'audit' }
  | { page: 'tokens' }
  | { page: 'users' }
  | { page: 'not-found'; path: string };

const FLAG_TABS: readonly FlagTab[] = ['targeting', 'history', 'usage', 'settings'];
const SIMPLE = ['setup', 'sign-in', 'flags', 'segments', 'environments', 'audit', 'tokens', 'users'] as const;

export function matchRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'flags' };
  const [first, key, tab, ...rest] = parts;
  if (parts.length === 1 && (SIMPLE as readonly string[]).includes(first)) return { page: first as (typeof SIMPLE)[number] };
  if (first === 'flags' && key && rest.length === 0) {
    const flagTab = (tab ?? 'targeting') as FlagTab;
    if (!FLAG_TABS.includes(flagTab)) return { page: 'not-found', path: pathname };
    const environment = new URLSearchParams(search).get('environment') ?? undefined;
    return { page: 'flag', key, tab: flagTab, ...(environment ? { environment } : {}) };
  }
  return { page: 'not-found', path: pathname };
}

export function pathOf(route: Route): string {
  switch (route.page) {
    case 'flag': {
      const base = `/flags/${encodeURIComponent(route.key)}${route.tab === 'targeting' ? '' : `/${route.tab}`}`;
      return route.environment ? `${base}?environment=${encodeURIComponent(route.environment)}` : base;
    }
    case 'not-found':
      return route.path;
    default:
      return `/${route.page}`;
  }
}
