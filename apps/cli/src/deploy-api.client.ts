import type { ChangesPage } from '@switchyard/audit';
import type { EnvironmentView, NewRelease, Release, ReleasePage, Rollout, StageName, StageReport, StoredPolicy } from '@switchyard/deploy';
import { ServerRejectedError, ServerUnreachableError } from './http/server-errors';

export { ServerRejectedError, ServerUnreachableError };

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  attempts: number;
  /** Wait before retry n (the last value repeats). */
  delaysMs: number[];
  /** Per-attempt timeout. */
  timeoutMs: number;
}

/** ~4 s of retries when the server refuses connections: enough for a restart, short enough to fail a CI job clearly. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, delaysMs: [250, 500, 1000, 2000], timeoutMs: 15_000 };

// Connection never opened: nothing reached the server, so even a POST is safe to retry.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** The deploy API over Node's fetch, with bearer auth and bounded retries. */
export class DeployApiClient {
  private readonly base: string;

  constructor(
    serverUrl: string,
    private readonly token: string | undefined,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.base = serverUrl.replace(/\/+$/, '');
  }

  get serverUrl(): string {
    return this.base;
  }

  createRelease(release: NewRelease): Promise<Release> {
    const { service, ...body } = release;
    return this.request('POST', `/api/v1/services/${encodeURIComponent(service)}/releases`, body, false);
  }

  reportStage(id: string, stage: StageName, report: StageReport): Promise<Release> {
    // PATCH reports are idempotent on the server, so every failure mode may be retried.
    return this.request('PATCH', `/api/v1/releases/${encodeURIComponent(id)}/stages/${stage}`, report, true);
  }

  getRelease(id: string): Promise<Release> {
    return this.request('GET', `/api/v1/releases/${encodeURIComponent(id)}`, undefined, true);
  }

  startRollout(releaseId: string, options: { supersede?: boolean } = {}): Promise<Rollout> {
    return this.request('POST', `/api/v1/releases/${encodeURIComponent(releaseId)}/rollout`, options.supersede ? { supersede: true } : {}, false);
  }

  getRollout(releaseId: string): Promise<Rollout> {
    return this.request('GET', `/api/v1/releases/${encodeURIComponent(releaseId)}/rollout`, undefined, true);
  }

  getRolloutById(id: string): Promise<Rollout> {
    return this.request('GET', `/api/v1/rollouts/${encodeURIComponent(id)}`, undefined, true);
  }

  /** Approve and abort are safe to repeat: the second answers 409 with the state it found. */
  decide(releaseId: string, decision: 'approve' | 'abort', comment: string): Promise<Rollout> {
    return this.request('POST', `/api/v1/releases/${encodeURIComponent(releaseId)}/${decision}`, { comment }, false);
  }

  rollback(service: string, environment: string, body: { reason: string; toRelease?: string; supersede?: boolean }): Promise<Rollout> {
    return this.request('POST', `/api/v1/services/${encodeURIComponent(service)}/environments/${encodeURIComponent(environment)}/rollback`, body, false);
  }

  getEnvironment(service: string, environment: string): Promise<EnvironmentView> {
    return this.request('GET', `/api/v1/services/${encodeURIComponent(service)}/environments/${encodeURIComponent(environment)}`, undefined, true);
  }

  getPolicy(service: string): Promise<StoredPolicy> {
    return this.request('GET', `/api/v1/services/${encodeURIComponent(service)}/policy`, undefined, true);
  }

  /** With `ifMatch` (a version read before), a newer policy answers 409 instead of being overwritten. */
  putPolicy(service: string, policy: unknown, ifMatch?: number): Promise<StoredPolicy> {
    const headers: Record<string, string> = ifMatch === undefined ? {} : { 'if-match': `"${ifMatch}"` };
    // PUT of the same document is idempotent: safe to retry.
    return this.request('PUT', `/api/v1/services/${encodeURIComponent(service)}/policy`, policy, true, headers);
  }

  acceptPolicy(service: string, releaseId: string): Promise<StoredPolicy> {
    return this.request('POST', `/api/v1/services/${encodeURIComponent(service)}/policy/accept`, { releaseId }, false);
  }

  listReleases(query: { service?: string; status?: string; branch?: string; limit?: number; cursor?: string }): Promise<ReleasePage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    const path = query.service ? `/api/v1/services/${encodeURIComponent(query.service)}/releases` : '/api/v1/releases';
    if (query.service) params.delete('service');
    const search = params.toString();
    return this.request('GET', `${path}${search ? `?${search}` : ''}`, undefined, true);
  }

  /** The timeline (GET /api/v1/changes): newest first; `since` is 30m / 2h / 7d or an ISO time. */
  listChanges(query: {
    environment?: string;
    since?: string;
    service?: string;
    kind?: string;
    actor?: string;
    limit?: number;
    cursor?: string;
  }): Promise<ChangesPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    const search = params.toString();
    return this.request('GET', `/api/v1/changes${search ? `?${search}` : ''}`, undefined, true);
  }

  private async request<T>(method: string, path: string, body: unknown, idempotent: boolean, extraHeaders: Record<string, string> = {}): Promise<T> {
    let lastReason = 'no attempt made';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) await sleep(this.retry.delaysMs[Math.min(attempt - 2, this.retry.delaysMs.length - 1)] ?? 1000);
      let response: Response;
      try {
        response = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            accept: 'application/json',
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...extraHeaders,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.retry.timeoutMs),
        });
      } catch (error) {
        const code = errorCode(error);
        lastReason = describeFetchError(error, code);
        if (idempotent || (code !== undefined && NOT_CONNECTED.has(code))) continue;
        throw new ServerUnreachableError(this.base, attempt, lastReason);
      }
      if (response.ok) return (await response.json()) as T;
      const problem = await errorBody(response);
      // A server missing configuration (no cluster, no Prometheus) answers 503 too, but retrying cannot help.
      const permanent = problem.code.endsWith('_NOT_CONFIGURED');
      if (RETRY_STATUSES.has(response.status) && !permanent && (idempotent || response.status === 503 || response.status === 429)) {
        lastReason = `HTTP ${response.status} ${problem.message}`;
        continue;
      }
      throw new ServerRejectedError(response.status, problem.code, problem.message, problem.details);
    }
    throw new ServerUnreachableError(this.base, this.retry.attempts, lastReason);
  }
}

async function errorBody(response: Response): Promise<{ code: string; message: string; details: Array<{ path: string; problem: string }> }> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; details?: Array<{ path: string; problem: string }> } };
    if (parsed.error?.message) return { code: parsed.error.code ?? 'ERROR', message: parsed.error.message, details: parsed.error.details ?? [] };
  } catch {
    // Not our error shape (a proxy's HTML page…): fall through to the status line.
  }
  return { code: `HTTP_${response.status}`, message: `HTTP ${response.status} ${response.statusText}`.trim(), details: [] };
}

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code) return cause.code;
  return (error as { code?: string }).code;
}

function describeFetchError(error: unknown, code: string | undefined): string {
  // By shape, not instanceof: fetch's errors are created in Node's own realm.
  const { name, message, cause } = error as { name?: string; message?: string; cause?: { message?: string } };
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer within the request timeout';
  return code ? `${code}${cause?.message && !cause.message.includes(code) ? ` (${cause.message})` : ''}` : (message ?? String(error));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
