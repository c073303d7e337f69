import type { HeaderValues } from './prepared-response';

export const REDACTED = '[redacted]';

const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x-csrf-token'];
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|session|credential|private[-_]?key|ssn|card[-_]?number|cvv/i;
const SECRET_ASSIGNMENT = /((?:pass(?:word)?|secret|token|api[-_]?key|session)\w*["']?\s*[:=]\s*["']?)[^"'&\s,}]+/gi;

/**
 * Stored examples carry requests and responses; anything that looks like a credential is
 * replaced before it is kept, so a report can be shared without leaking secrets.
 */
export class SecretRedactor {
  private readonly headers: ReadonlySet<string>;

  constructor(extraHeaders: readonly string[] = []) {
    this.headers = new Set([...SECRET_HEADERS, ...extraHeaders.map((name) => name.toLowerCase())]);
  }

  headersOf(headers: HeaderValues): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      const lower = name.toLowerCase();
      out[lower] = this.headers.has(lower) || SECRET_KEY.test(lower) ? REDACTED : Array.isArray(value) ? value.join(', ') : String(value);
    }
    return out;
  }

  url(url: string): string {
    const query = url.indexOf('?');
    if (query < 0) return url;
    const params = url
      .slice(query + 1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const key = eq < 0 ? pair : pair.slice(0, eq);
        return eq >= 0 && SECRET_KEY.test(decodeURIComponentSafe(key)) ? `${key}=${REDACTED}` : pair;
      });
    return `${url.slice(0, query)}?${params.join('&')}`;
  }

  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value);
    if (value === null || typeof value !== 'object' || depth > 32) return value;
    if (Array.isArray(value)) return value.map((item) => this.value(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] = SECRET_KEY.test(key) ? REDACTED : this.value(item, depth + 1);
    }
    return out;
  }

  /** A value found at a difference's field (`$.user.password`, `header:cookie`): masked whole when the name is secret. */
  valueAt(field: string, value: unknown): unknown {
    if (field.startsWith('header:')) {
      const name = field.slice('header:'.length);
      return this.headers.has(name) || SECRET_KEY.test(name) ? REDACTED : this.value(value);
    }
    const names = field.split(/[.[\]"]+/).filter((part) => part !== '' && part !== '$' && part !== '*');
    return names.some((name) => SECRET_KEY.test(name)) ? REDACTED : this.value(value);
  }

  /** Free text (a non-JSON body preview): `token=…` and `"password": "…"` shapes are masked. */
  text(text: string): string {
    return text.replace(SECRET_ASSIGNMENT, `$1${REDACTED}`);
  }
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
