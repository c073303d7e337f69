import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  Watch,
  type KubernetesObject,
  type ResponseContext,
  type V1APIResource,
} from '@kubernetes/client-node';
import type { KubeTarget } from './kube-config';
import { resourceInfo, resourcePath, type KubeObject, type ObjectRef } from './kube-resources';

/** The reason of a KubeApiError when no request could be made: the credentials (an exec plugin, a token file) failed. */
export const CREDENTIALS_FAILED = 'CredentialsFailed';

/** The field manager that owns what Switchyard applies. */
export const FIELD_MANAGER = 'switchyard';

/** A v1 Status from the API server (or a transport failure, with status 0). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
    /** Seconds the server asked us to wait (429/503 Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /**
   * Worth retrying: no answer (reset, refused, timeout), throttling, or a server-side failure.
   * Never read as "the object is gone": only a 404 or a DELETED event says that.
   */
  get transient(): boolean {
    if (this.reason === CREDENTIALS_FAILED) return false;
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface KubeList {
  items: KubeObject[];
  resourceVersion: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: KubeObject;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface KubeClientOptions {
  /** Called after every request with its verb and HTTP status (0: no answer), for metrics. */
  onRequest?: (verb: string, status: number) => void;
  /** Backoff for transient failures; about 20 s in all by default, which outlasts an API server restart. */
  retry?: Partial<RetryPolicy>;
}

type Verb = 'get' | 'list' | 'watch' | 'create' | 'apply' | 'delete' | 'probe';

const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 100, maxDelayMs: 5000 };

/**
 * KubernetesObjectApi with the fixed kind table of kube-resources.ts instead of API discovery (one
 * request fewer per kind, and an unknown kind is caught when the release is created), and with
 * responses returned as the server's JSON: the typed deserializer would turn timestamps into Dates
 * and drop fields the models do not know, and the plans and rollbacks work on the raw objects.
 */
class SwitchyardObjectApi extends KubernetesObjectApi {
  static forTarget(target: KubeTarget): SwitchyardObjectApi {
    return target.kubeConfig.makeApiClient(SwitchyardObjectApi);
  }

  protected override resource(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    const info = resourceInfo(apiVersion, kind);
    return Promise.resolve(info ? { name: info.plural, namespaced: info.namespaced, kind, singularName: kind.toLowerCase(), verbs: [] } : undefined);
  }

  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return (text ? JSON.parse(text) : {}) as T;
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not a Status (a proxy's error page): keep the text.
    }
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', body, response.headers);
  }
}

/**
 * Switchyard's one way to a cluster, on @kubernetes/client-node: server-side apply as field manager
 * `switchyard`, list + watch with resourceVersion, deletes with preconditions. Every request is
 * retried with backoff on transient failures (ADR 0006), and a Deployment that a
 * HorizontalPodAutoscaler scales is applied without `spec.replicas`, so the release leaves the
 * autoscaler's count alone.
 */
export class KubeClient {
  private readonly objects: SwitchyardObjectApi;
  private readonly retry: RetryPolicy;
  private requests = 0;
  private readonly watches = new Set<AbortController>();

  constructor(
    readonly target: KubeTarget,
    private readonly options: KubeClientOptions = {},
  ) {
    this.objects = SwitchyardObjectApi.forTarget(target);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** Requests made so far (every verb, retries and watches included). */
  get requestCount(): number {
    return this.requests;
  }

  close(): void {
    for (const watch of this.watches) watch.abort();
    this.watches.clear();
  }

  /**
   * One request, no retries: that the API server answers and accepts the credentials (an exec
   * plugin runs here). For readiness: says why not, at once.
   */
  async probe(): Promise<void> {
    await this.call('probe', 'GET', '/version', () => this.target.kubeConfig.makeApiClient(VersionApi).getCode(), { attempts: 1 });
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return asKubeObject(
        await this.call('get', 'GET', resourcePath(ref), () =>
          this.objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name ?? '', namespace: ref.namespace } }),
        ),
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async list(ref: ObjectRef, selectors: { labelSelector?: string; fieldSelector?: string } = {}): Promise<KubeList> {
    const list = (await this.call('list', 'GET', resourcePath({ ...ref, name: undefined }), () =>
      this.objects.list(ref.apiVersion, ref.kind, ref.namespace, undefined, undefined, undefined, selectors.fieldSelector, selectors.labelSelector),
    )) as unknown as { metadata?: { resourceVersion?: string }; items?: KubeObject[] };
    // List items come without apiVersion/kind; put them back so items are whole objects.
    const items = (list.items ?? []).map((item) => ({ ...item, apiVersion: item.apiVersion ?? ref.apiVersion, kind: item.kind ?? ref.kind }));
    return { items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** POST; a retry after a lost answer may meet the object it created (409 AlreadyExists), which callers treat as done. */
  async create(object: KubeObject): Promise<KubeObject> {
    return asKubeObject(
      await this.call('create', 'POST', resourcePath({ ...object, namespace: object.metadata.namespace, name: undefined }), () =>
        this.objects.create(asClientObject(object), undefined, undefined, FIELD_MANAGER),
      ),
    );
  }

  /**
   * Server-side apply as field manager `switchyard`. `force` (the default) takes over fields another
   * manager set — the manifests are the source of truth — except `spec.replicas` of a Deployment an
   * autoscaler scales, which is left out of the apply so the autoscaler keeps owning it.
   */
  async apply(object: KubeObject, options: { dryRun?: boolean; force?: boolean } = {}): Promise<KubeObject> {
    const body = structuredClone(object);
    if (body.kind === 'Deployment' && body.spec && 'replicas' in body.spec && (await this.autoscaled(body))) delete body.spec.replicas;
    return asKubeObject(
      await this.call('apply', 'PATCH', resourcePath(refOfObject(body)), () =>
        this.objects.patch(
          asClientObject(body),
          undefined,
          options.dryRun ? 'All' : undefined,
          FIELD_MANAGER,
          options.force ?? true,
          PatchStrategy.ServerSideApply,
        ),
      ),
    );
  }

  /** Whether a HorizontalPodAutoscaler in the Deployment's namespace targets it. */
  async autoscaled(deployment: KubeObject): Promise<boolean> {
    const namespace = deployment.metadata.namespace;
    if (!namespace) return false;
    let hpas: KubeList;
    try {
      hpas = await this.list({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace });
    } catch (error) {
      // Without `list` on autoscalers (an older RBAC), or on a cluster without autoscaling/v2, there is no way to know; keep the manifest's count.
      if (error instanceof KubeApiError && (error.status === 403 || error.status === 404)) return false;
      throw error;
    }
    return hpas.items.some((hpa) => {
      const target = (hpa.spec?.scaleTargetRef ?? {}) as { kind?: string; name?: string; apiVersion?: string };
      return target.kind === 'Deployment' && target.name === deployment.metadata.name && (target.apiVersion ?? 'apps/v1').startsWith('apps/');
    });
  }

  /** Deletes; false when it was already gone. Preconditions make it a 409 when the object is not the one we meant. */
  async delete(
    ref: ObjectRef,
    options: { uid?: string; resourceVersion?: string; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {},
  ): Promise<boolean> {
    const preconditions = options.uid || options.resourceVersion ? { preconditions: { uid: options.uid, resourceVersion: options.resourceVersion } } : {};
    const policy = options.propagationPolicy ?? 'Background';
    try {
      await this.call('delete', 'DELETE', resourcePath(ref), () =>
        this.objects.delete(
          { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
          undefined,
          undefined,
          undefined,
          undefined,
          policy,
          { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy, ...preconditions },
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return false;
      throw error;
    }
  }

  /**
   * Streams watch events (client-node's Watch) until the server ends the watch ('closed': watch again
   * from the last resourceVersion), a 410 ERROR event says the resourceVersion is too old ('gone':
   * list again), or the signal aborts. A dropped connection rejects with a transient KubeApiError.
   */
  async watch(
    ref: ObjectRef,
    options: { resourceVersion?: string; labelSelector?: string; fieldSelector?: string; timeoutSeconds?: number; signal?: AbortSignal },
    onEvent: (event: WatchEvent) => void,
  ): Promise<'closed' | 'gone' | 'aborted'> {
    const path = resourcePath({ ...ref, name: undefined });
    if (options.signal?.aborted) return 'aborted';
    this.requests += 1;
    const query = {
      allowWatchBookmarks: true,
      resourceVersion: options.resourceVersion || undefined,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      timeoutSeconds: options.timeoutSeconds ?? 300,
    };
    return new Promise((resolve, reject) => {
      let outcome: 'closed' | 'gone' | 'aborted' = 'closed';
      let failure: KubeApiError | Error | undefined;
      let controller: AbortController | undefined;
      let settled = false;
      const onAbort = () => {
        outcome = 'aborted';
        controller?.abort();
        settle();
      };
      const settle = () => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        if (controller) this.watches.delete(controller);
        if (outcome === 'aborted') resolve('aborted');
        else if (failure) reject(failure);
        else resolve(outcome);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const stop = () => controller?.abort();
      new Watch(this.target.kubeConfig)
        .watch(
          path,
          query,
          (type: string, object: KubeObject & { code?: number; reason?: string; message?: string }) => {
            if (settled || failure || outcome === 'gone') return;
            if (type === 'ERROR') {
              if (object.code === 410) outcome = 'gone';
              else failure = new KubeApiError(object.code ?? 500, object.reason ?? 'Unknown', object.message ?? 'watch error', 'GET', path);
              stop();
              return;
            }
            try {
              onEvent({ type: type as WatchEvent['type'], object });
            } catch (error) {
              failure = error instanceof Error ? error : new Error(String(error));
              stop();
            }
          },
          (error: unknown) => {
            if (!failure && !(outcome === 'gone') && error) failure = toKubeError(error, 'GET', path);
            this.options.onRequest?.('watch', failure instanceof KubeApiError ? failure.status : 200);
            settle();
          },
        )
        .then(
          (started) => {
            controller = started;
            if (settled) return;
            this.watches.add(started);
            if (options.signal?.aborted) onAbort();
          },
          (error: unknown) => {
            failure = toKubeError(error, 'GET', path);
            settle();
          },
        );
    });
  }

  /** One API call with metrics and retries: transient failures back off (honouring Retry-After) up to the policy's attempts. */
  private async call<T>(verb: Verb, method: string, path: string, send: () => Promise<T>, override: Partial<RetryPolicy> = {}): Promise<T> {
    const policy = { ...this.retry, ...override };
    for (let attempt = 1; ; attempt++) {
      this.requests += 1;
      try {
        const result = await send();
        this.options.onRequest?.(verb, verb === 'create' ? 201 : 200);
        return result;
      } catch (raw) {
        const error = toKubeError(raw, method, path);
        this.options.onRequest?.(verb, error.status);
        if (!error.transient || attempt >= policy.attempts) throw error;
        const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        const wait = error.retryAfterSeconds !== undefined ? Math.min(error.retryAfterSeconds * 1000, 30_000) : backoff / 2 + Math.random() * (backoff / 2);
        await sleep(wait);
      }
    }
  }
}

// client-node types timestamps as Dates; SwitchyardObjectApi hands back the server's JSON, where they are strings.
function asKubeObject(object: KubernetesObject): KubeObject {
  return object as unknown as KubeObject;
}

function asClientObject(object: KubeObject): KubernetesObject {
  return structuredClone(object) as unknown as KubernetesObject;
}

function refOfObject(object: KubeObject): ObjectRef {
  return { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
}

/** client-node's ApiException (HTTP answer) or undici's `fetch failed` (no answer) as a KubeApiError. */
export function toKubeError(error: unknown, method: string, path: string): KubeApiError {
  if (error instanceof KubeApiError) return error;
  if (error instanceof ApiException) {
    const status = error.code;
    const body = error.body as { kind?: string; reason?: string; message?: string } | string | undefined;
    const retryAfter = Number((error.headers as Record<string, string> | undefined)?.['retry-after']);
    const fromStatus = typeof body === 'object' && body !== null && body.kind === 'Status';
    return new KubeApiError(
      status,
      fromStatus ? (body.reason ?? 'Unknown') : 'Unknown',
      fromStatus ? (body.message ?? `HTTP ${status}`) : typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${status}`,
      method,
      path,
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    );
  }
  const statusCode = (error as { statusCode?: number } | undefined)?.statusCode;
  if (typeof statusCode === 'number') return new KubeApiError(statusCode, 'Unknown', `${method} ${path}: HTTP ${statusCode}`, method, path);
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const name = error instanceof Error ? error.name : '';
  const network = (error instanceof TypeError && cause !== undefined) || name === 'TimeoutError' || name === 'AbortError';
  if (!network) {
    // client-node applies credentials before it sends: an exec plugin that exits non-zero or a token file that cannot be read lands here.
    const detail = (error instanceof Error ? error.message : String(error)).trim() || 'no message';
    return new KubeApiError(0, CREDENTIALS_FAILED, `cannot get credentials for the Kubernetes API: ${detail}`, method, path);
  }
  const code = cause?.code ?? (name === 'TimeoutError' ? 'Timeout' : name === 'AbortError' ? 'Aborted' : 'Unreachable');
  const detail = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new KubeApiError(0, code, `${method} ${path}: ${detail}`, method, path);
}
