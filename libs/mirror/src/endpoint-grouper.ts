/**
 * Names the endpoint a request belongs to (`GET /quotes/:symbol`), so differences and latency
 * are reported per endpoint rather than per URL. Configured templates win, in the order given;
 * otherwise numbers, UUIDs and hex ids become `:id`. The number of distinct endpoints is capped
 * so that a path full of free text cannot grow the report without bound.
 */
export class EndpointGrouper {
  private readonly templates: readonly (readonly string[])[];
  private readonly known = new Set<string>();
  /**
   * Method and path → endpoint, for the paths seen most recently: the live path names the
   * endpoint of every request, and most traffic repeats a few paths, so the split, the templates
   * and the id patterns run once per path rather than once per request. An answer never changes
   * (endpoints only join `known`), so a cached one is always right; the cache is bounded by
   * starting over when full.
   */
  private readonly cache = new Map<string, string>();

  constructor(
    templates: readonly string[] = [],
    private readonly maxEndpoints = 200,
  ) {
    this.templates = templates.map(splitPath);
  }

  group(method: string, url: string): string {
    const path = pathOf(url);
    const key = `${method} ${path}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const endpoint = this.name(method, path);
    if (this.cache.size >= CACHED_PATHS) this.cache.clear();
    this.cache.set(key, endpoint);
    return endpoint;
  }

  private name(method: string, path: string): string {
    const endpoint = `${method.toUpperCase()} ${this.template(path)}`;
    if (this.known.has(endpoint)) return endpoint;
    if (this.known.size >= this.maxEndpoints) return `${method.toUpperCase()} (other)`;
    this.known.add(endpoint);
    return endpoint;
  }

  private template(path: string): string {
    const segments = splitPath(path);
    for (const template of this.templates) {
      if (matchesTemplate(template, segments)) return `/${template.join('/')}`;
    }
    return `/${segments.map(generalise).join('/')}`;
  }
}

const CACHED_PATHS = 1024;

function pathOf(url: string): string {
  let end = url.indexOf('?');
  const hash = url.indexOf('#');
  if (hash >= 0 && (end < 0 || hash < end)) end = hash;
  const path = end < 0 ? url : url.slice(0, end);
  return path === '' ? '/' : path;
}

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function matchesTemplate(template: readonly string[], segments: readonly string[]): boolean {
  const tailWildcard = template.length > 0 && template[template.length - 1] === '*';
  if (tailWildcard ? segments.length < template.length - 1 : segments.length !== template.length) return false;
  const fixed = tailWildcard ? template.length - 1 : template.length;
  for (let i = 0; i < fixed; i++) {
    const part = template[i];
    if (part.startsWith(':')) {
      if (segments[i] === '') return false;
    } else if (part !== segments[i]) {
      return false;
    }
  }
  return true;
}

const NUMBER = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{16,}$/i;
const SHORT_HEX = /^[0-9a-f]{8,}$/i;

function generalise(segment: string): string {
  if (NUMBER.test(segment) || UUID.test(segment) || LONG_HEX.test(segment)) return ':id';
  // "deadbeef" is a word; "5f3a9c01" is an id: a short hex run counts only if it mixes digits and letters.
  if (SHORT_HEX.test(segment) && /\d/.test(segment) && /[a-f]/i.test(segment)) return ':id';
  return segment;
}
