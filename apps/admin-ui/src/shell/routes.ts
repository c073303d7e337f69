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
  | { page: 'releases'; service?: string }
  | { page: 'release'; id: string }
  | { page: 'dark-launch'; route?: string }
  | { page: 'not-found'; path: string };

const FLAG_TABS: readonly FlagTab[] = ['targeting', 'history', 'usage', 'settings'];
const SIMPLE = ['setup', 'sign-in', 'flags', 'segments', 'environments', 'audit', 'tokens', 'users'] as const;

export function matchRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'flags' };
  const [first, key, tab, ...rest] = parts;
  const query = new URLSearchParams(search);
  if (parts.length === 1 && first === 'releases') {
    const service = query.get('service');
    return service ? { page: 'releases', service } : { page: 'releases' };
  }
  if (parts.length === 2 && first === 'releases') return { page: 'release', id: key };
  if (parts.length === 1 && first === 'dark-launch') {
    const route = query.get('route');
    return route ? { page: 'dark-launch', route } : { page: 'dark-launch' };
  }
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
    case 'releases':
      return route.service ? `/releases?service=${encodeURIComponent(route.service)}` : '/releases';
    case 'release':
      return `/releases/${encodeURIComponent(route.id)}`;
    case 'dark-launch':
      return route.route ? `/dark-launch?route=${encodeURIComponent(route.route)}` : '/dark-launch';
    case 'not-found':
      return route.path;
    default:
      return `/${route.page}`;
  }
}
