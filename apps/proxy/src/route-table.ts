import type { RouteMirror } from './route-mirror';

/**
 * Finds the route for a request: routes naming a host before host-less ones, then the longest
 * path prefix. A prefix matches on a segment boundary (`/api` matches `/api/x`, not `/apix`).
 */
export class RouteTable {
  private readonly ordered: readonly RouteMirror[];

  constructor(readonly mirrors: readonly RouteMirror[]) {
    this.ordered = [...mirrors].sort(
      (a, b) =>
        Number(b.route.match.host !== undefined) - Number(a.route.match.host !== undefined) ||
        b.route.match.pathPrefix.length - a.route.match.pathPrefix.length,
    );
  }

  match(hostHeader: string | undefined, url: string): RouteMirror | undefined {
    const host = hostOnly(hostHeader);
    for (const mirror of this.ordered) {
      const { match } = mirror.route;
      if (match.host !== undefined && match.host.toLowerCase() !== host) continue;
      if (prefixMatches(match.pathPrefix, url)) return mirror;
    }
    return undefined;
  }

  get(name: string): RouteMirror | undefined {
    return this.mirrors.find((mirror) => mirror.name === name);
  }
}

function hostOnly(host: string | undefined): string {
  if (!host) return '';
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.indexOf(':');
  return colon < 0 ? lower : lower.slice(0, colon);
}

function prefixMatches(prefix: string, url: string): boolean {
  if (prefix === '/' || prefix.endsWith('/')) return url.startsWith(prefix);
  if (!url.startsWith(prefix)) return false;
  const next = url.charAt(prefix.length);
  return next === '' || next === '/' || next === '?' || next === '#';
}
