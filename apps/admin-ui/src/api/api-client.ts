import type { ErrorBody, ErrorDetail } from '../../../../libs/errors/src/error-body.contract';

/** An API answer that was not 2xx, carrying the server's error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly extra: Record<string, unknown> = {},
    readonly headers?: Headers,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The problems reported for one field (`rules[0].operator`), including its children's. */
  problemsAt(path: string): string[] {
    return problemsAt(this.details, path);
  }
}

export interface RequestOptions {
  /** The resource's version, sent as `If-Match: "n"`; a stale one gets 409. */
  ifMatch?: number;
  /** Environments the person confirmed (X-Switchyard-Confirm), e.g. production. */
  confirm?: string[];
  /** Why the change is made (X-Switchyard-Comment, percent-encoded: headers carry Latin-1 only). */
  comment?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  etag: string | null;
}

export type Fetcher = (input: string, init: RequestInit) => Promise<Response>;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The one door to the admin API. It sends the session's CSRF token on every state-changing
 * request (the cookie itself travels on its own, same-origin), reports a lost session once, and
 * turns every non-2xx answer into an ApiError with the server's `details[].path`.
 */
export class ApiClient {
  private csrfToken: string | undefined;
  private unauthenticated: (() => void) | undefined;
  /** When each request still waiting for its answer was sent, oldest first (for the connection indicator). */
  private readonly pending = new Map<number, number>();
  private lastRequest = 0;
  private readonly pendingListeners = new Set<() => void>();

  constructor(
    private readonly fetcher: Fetcher = (input, init) => fetch(input, init),
    private readonly baseUrl = '',
  ) {}

  setCsrfToken(token: string | undefined): void {
    this.csrfToken = token;
  }

  onUnauthenticated(listener: (() => void) | undefined): void {
    this.unauthenticated = listener;
  }

  /** When the oldest request still waiting was sent (ms since epoch), or undefined when none waits. */
  get oldestPendingSince(): number | undefined {
    return this.pending.values().next().value;
  }

  onPendingChange(listener: () => void): () => void {
    this.pendingListeners.add(listener);
    return () => this.pendingListeners.delete(listener);
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, undefined, options).then((r) => r.data);
  }

  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, body ?? {}, options).then((r) => r.data);
  }

  patch<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('PATCH', path, body, options).then((r) => r.data);
  }

  delete<T = void>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, undefined, options).then((r) => r.data);
  }

  async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (WRITE_METHODS.has(method) && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    if (options.confirm && options.confirm.length > 0) headers['x-switchyard-confirm'] = options.confirm.join(',');
    if (options.comment?.trim()) headers['x-switchyard-comment'] = encodeURIComponent(options.comment.trim());
    const id = (this.lastRequest += 1);
    this.setPending(id, Date.now());
    let response: Response;
    let text: string;
    try {
      response = await this.fetcher(this.baseUrl + path + queryString(options.query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        signal: options.signal,
      });
      text = await response.text();
    } finally {
      this.setPending(id, undefined);
    }
    const parsed = parseJson(text, response.headers.get('content-type'));
    if (!response.ok) {
      const error = toApiError(response.status, parsed, response.headers);
      if (error.status === 401 && this.unauthenticated && !path.startsWith('/api/v1/session') && !path.startsWith('/api/v1/setup')) {
        this.unauthenticated();
      }
      throw error;
    }
    return { status: response.status, data: parsed as T, etag: response.headers.get('etag') };
  }

  private setPending(id: number, since: number | undefined): void {
    if (since === undefined) this.pending.delete(id);
    else this.pending.set(id, since);
    for (const listener of this.pendingListeners) listener();
  }
}

export function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function parseJson(text: string, contentType: string | null): unknown {
  if (!text) return undefined;
  if (contentType && !contentType.includes('json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Any error body, or none (a proxy's HTML page), becomes an ApiError with a readable message. */
export function toApiError(status: number, body: unknown, headers?: Headers): ApiError {
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  if (error && typeof error === 'object' && typeof error.code === 'string') {
    const { code, message, details, requestId: _requestId, ...extra } = error;
    return new ApiError(status, code, String(message ?? code), Array.isArray(details) ? details : [], extra, headers);
  }
  return new ApiError(status, `HTTP_${status}`, `the server answered ${status}`, [], {}, headers);
}

/**
 * Problems whose path is `path` or lies under it: `rules[0]` collects `rules[0].serve.variant`
 * too, while `rules[1]` does not collect `rules[10]`.
 */
export function problemsAt(details: readonly ErrorDetail[], path: string): string[] {
  return details
    .filter((d) => d.path === path || d.path.startsWith(`${path}.`) || d.path.startsWith(`${path}[`))
    .map((d) => (d.path === path ? d.problem : `${d.path.slice(path.length).replace(/^\./, '')}: ${d.problem}`));
}

/** Problems that no field on the page shows, so the page can list them at the top instead of losing them. */
export function unplacedDetails(details: readonly ErrorDetail[], shownPaths: readonly string[]): ErrorDetail[] {
  return details.filter((d) => !shownPaths.some((path) => d.path === path || d.path.startsWith(`${path}.`) || d.path.startsWith(`${path}[`)));
}
