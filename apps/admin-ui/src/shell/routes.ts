/** The UI's pages and their URLs; the server answers every one of them with index.html. */
export type FlagTab = 'targeting' | 'history' | 'usage' | 'settings';

/** The flags list's filters, kept in the URL so reload, back and a shared link keep them. */
export const FLAG_FILTERS = ['search', 'tag', 'owner', 'stale', 'archived'] as const;
export type FlagFilters = Partial<Record<(typeof FLAG_FILTERS)[number], string>>;
/** The audit log's filters; `target` and `actor` take a trailing `*` for a prefix. */
export const AUDIT_FILTERS = ['target', 'actor', 'action', 'environment', 'since', 'until'] as const;
export type AuditFilters = Partial<Record<(typeof AUDIT_FILTERS)[number], string>>;
/** The timeline's filters (GET /api/v1/changes); `since` is a duration (30m, 2h, 7d). */
export const TIMELINE_FILTERS = ['environment', 'service', 'kind', 'actor', 'since'] as const;
export type TimelineFilters = Partial<Record<(typeof TIMELINE_FILTERS)[number], string>>;

export type Route =
  | { page: 'setup' }
  | { page: 'sign-in' }
  | { page: 'flags'; filters?: FlagFilters }
  | { page: 'flag'; key: string; tab: FlagTab; environment?: string }
  | { page: 'segments' }
  | { page: 'environments' }
  | { page: 'change-requests' }
  | { page: 'audit'; filters?: AuditFilters }
  | { page: 'timeline'; filters?: TimelineFilters }
  | { page: 'account' }
  | { page: 'tokens' }
  | { page: 'users' }
  | { page: 'releases'; service?: string }
  | { page: 'release'; id: string }
  | { page: 'release-policy'; service: string }
  | { page: 'dark-launch'; route?: string }
  | { page: 'not-found'; path: string };

const FLAG_TABS: readonly FlagTab[] = ['targeting', 'history', 'usage', 'settings'];
const SIMPLE = ['setup', 'sign-in', 'segments', 'environments', 'change-requests', 'tokens', 'users', 'account'] as const;

/** The named parameters that are set, in a fixed order; undefined when none is. */
function pick<K extends string>(query: URLSearchParams, names: readonly K[]): Partial<Record<K, string>> | undefined {
  const picked: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = query.get(name);
    if (value) picked[name] = value;
  }
  return Object.keys(picked).length ? picked : undefined;
}

function withQuery<K extends string>(path: string, params: Partial<Record<K, string>> | undefined, names: readonly K[]): string {
  const query = new URLSearchParams();
  for (const name of names) if (params?.[name]) query.set(name, params[name]);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export function matchRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'flags')) {
    const filters = pick(query, FLAG_FILTERS);
    return filters ? { page: 'flags', filters } : { page: 'flags' };
  }
  const [first, key, tab, ...rest] = parts;
  if (parts.length === 1 && first === 'audit') {
    const filters = pick(query, AUDIT_FILTERS);
    return filters ? { page: 'audit', filters } : { page: 'audit' };
  }
  if (parts.length === 1 && first === 'timeline') {
    const filters = pick(query, TIMELINE_FILTERS);
    return filters ? { page: 'timeline', filters } : { page: 'timeline' };
  }
  if (parts.length === 1 && first === 'releases') {
    const service = query.get('service');
    return service ? { page: 'releases', service } : { page: 'releases' };
  }
  if (parts.length === 2 && first === 'releases' && key === 'policy') {
    const service = query.get('service');
    return service ? { page: 'release-policy', service } : { page: 'not-found', path: pathname };
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
    case 'release-policy':
      return `/releases/policy?service=${encodeURIComponent(route.service)}`;
    case 'dark-launch':
      return route.route ? `/dark-launch?route=${encodeURIComponent(route.route)}` : '/dark-launch';
    case 'flags':
      return withQuery('/flags', route.filters, FLAG_FILTERS);
    case 'audit':
      return withQuery('/audit', route.filters, AUDIT_FILTERS);
    case 'timeline':
      return withQuery('/timeline', route.filters, TIMELINE_FILTERS);
    case 'not-found':
      return route.path;
    default:
      return `/${route.page}`;
  }
}

const TAB_TITLES: Record<FlagTab, string | undefined> = { targeting: undefined, history: 'History', usage: 'Usage', settings: 'Settings' };

/** The browser tab's title: the page's own name first, so many open tabs stay tellable apart. */
export function titleOf(route: Route): string {
  const parts = ((): string[] => {
    switch (route.page) {
      case 'setup':
        return ['Set up'];
      case 'sign-in':
        return ['Sign in'];
      case 'flags':
        return ['Flags'];
      case 'flag':
        return [TAB_TITLES[route.tab], route.key, 'Flags'].filter((part): part is string => !!part);
      case 'segments':
        return ['Segments'];
      case 'environments':
        return ['Environments'];
      case 'change-requests':
        return ['Change requests'];
      case 'audit':
        return ['Audit log'];
      case 'timeline':
        return route.filters?.environment ? [route.filters.environment, 'Timeline'] : ['Timeline'];
      case 'account':
        return ['Your account'];
      case 'tokens':
        return ['API tokens'];
      case 'users':
        return ['Users'];
      case 'releases':
        return route.service ? [route.service, 'Releases'] : ['Releases'];
      case 'release':
        return [`Release ${route.id.slice(0, 8)}`, 'Releases'];
      case 'release-policy':
        return ['Policy', route.service, 'Releases'];
      case 'dark-launch':
        return route.route ? [route.route, 'Dark launch'] : ['Dark launch'];
      case 'not-found':
        return ['Not found'];
    }
  })();
  return [...parts, 'Switchyard'].join(' · ');
}
