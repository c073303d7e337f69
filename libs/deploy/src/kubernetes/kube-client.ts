import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeTarget } from './kube-config';
import { resourcePath, type KubeObject, type ObjectRef } from './kube-resources';

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
  ) {
    super(message);
    this.name = 'KubeApiError';
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

export interface KubeClientOptions {
  /** Per-request timeout (watches excepted). */
  timeoutMs?: number;
  /** Called after every request with its verb and HTTP status (0: no answer), for metrics. */
  onRequest?: (verb: string, status: number) => void;
}

type Verb = 'get' | 'list' | 'watch' | 'create' | 'apply' | 'patch' | 'delete';

/**
 * A small Kubernetes REST client over node:http/https, speaking the same paths and content types
 * as @kubernetes/client-node. That package (2.x) cannot be loaded on Node 20: its undici 8
 * dependency needs zlib's zstd (Node ≥ 22). Switchyard uses a handful of verbs, so this is the
 * whole client: get, list, create, server-side apply, JSON patch, delete and watch.
 */
export class KubeClient {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly secure: boolean;
  private requests = 0;

  constructor(
    readonly target: KubeTarget,
    private readonly options: KubeClientOptions = {},
  ) {
    this.secure = target.server.startsWith('https:');
    this.agent = this.secure
      ? new HttpsAgent({
          keepAlive: true,
          ca: target.ca,
          cert: target.cert,
          key: target.key,
          rejectUnauthorized: !target.insecureSkipTlsVerify,
          servername: target.tlsServerName,
        })
      : new HttpAgent({ keepAlive: true });
  }

  /** Requests made so far (every verb, watches included). */
  get requestCount(): number {
    return this.requests;
  }

  close(): void {
    this.agent.destroy();
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await this.request<KubeObject>('get', 'GET', resourcePath(ref));
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async list(ref: ObjectRef, selectors: { labelSelector?: string; fieldSelector?: string } = {}): Promise<KubeList> {
    const query = new URLSearchParams();
    if (selectors.labelSelector) query.set('labelSelector', selectors.labelSelector);
    if (selectors.fieldSelector) query.set('fieldSelector', selectors.fieldSelector);
    const list = await this.request<{ metadata?: { resourceVersion?: string }; items?: KubeObject[] }>(
      'list',
      'GET',
      withQuery(resourcePath({ ...ref, name: undefined }), query),
    );
    // List items come without apiVersion/kind; put them back so items are whole objects.
    const items = (list.items ?? []).map((item) => ({ ...item, apiVersion: item.apiVersion ?? ref.apiVersion, kind: item.kind ?? ref.kind }));
    return { items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  create(object: KubeObject): Promise<KubeObject> {
    return this.request('create', 'POST', resourcePath({ ...object, namespace: object.metadata.namespace, name: undefined }), { body: object });
  }

  /** Server-side apply as field manager `switchyard`, taking ownership of conflicting fields (the manifests are the source of truth). */
  apply(object: KubeObject, options: { dryRun?: boolean; force?: boolean } = {}): Promise<KubeObject> {
    const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: String(options.force ?? true) });
    if (options.dryRun) query.set('dryRun', 'All');
    const path = resourcePath({ apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name });
    // JSON is YAML, so the apply body needs no YAML serializer.
    return this.request('apply', 'PATCH', withQuery(path, query), { body: object, contentType: 'application/apply-patch+yaml' });
  }

  jsonPatch(ref: ObjectRef, operations: Array<{ op: string; path: string; value?: unknown }>): Promise<KubeObject> {
    return this.request('patch', 'PATCH', withQuery(resourcePath(ref), new URLSearchParams({ fieldManager: FIELD_MANAGER })), {
      body: operations,
      contentType: 'application/json-patch+json',
    });
  }

  /** Deletes; false when it was already gone. Preconditions make it a 409 when the object is not the one we meant. */
  async delete(
    ref: ObjectRef,
    options: { uid?: string; resourceVersion?: string; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {},
  ): Promise<boolean> {
    const preconditions = options.uid || options.resourceVersion ? { preconditions: { uid: options.uid, resourceVersion: options.resourceVersion } } : {};
    try {
      await this.request('delete', 'DELETE', resourcePath(ref), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: options.propagationPolicy ?? 'Background', ...preconditions },
      });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return false;
      throw error;
    }
  }

  /**
   * Streams watch events until the server ends the watch, the signal aborts, or an ERROR event
   * arrives (`gone` for 410: the resourceVersion is too old, list again).
   */
  async watch(
    ref: ObjectRef,
    options: { resourceVersion?: string; labelSelector?: string; fieldSelector?: string; timeoutSeconds?: number; signal?: AbortSignal },
    onEvent: (event: WatchEvent) => void,
  ): Promise<'closed' | 'gone' | 'aborted'> {
    const query = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true' });
    if (options.resourceVersion) query.set('resourceVersion', options.resourceVersion);
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    query.set('timeoutSeconds', String(options.timeoutSeconds ?? 300));
    const path = withQuery(resourcePath({ ...ref, name: undefined }), query);
    if (options.signal?.aborted) return 'aborted';
    const response = await this.open('watch', 'GET', path, { signal: options.signal, timeoutMs: 0 });
    if (response.statusCode !== 200) {
      const text = await readAll(response);
      throw this.errorFrom('GET', path, response.statusCode ?? 0, text);
    }
    return new Promise((resolve, reject) => {
      let buffer = '';
      let outcome: 'closed' | 'gone' | 'aborted' = 'closed';
      const onAbort = () => {
        outcome = 'aborted';
        response.destroy();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          let event: { type: string; object: KubeObject & { code?: number; reason?: string; message?: string } };
          try {
            event = JSON.parse(line) as typeof event;
          } catch {
            continue;
          }
          if (event.type === 'ERROR') {
            if (event.object.code === 410) outcome = 'gone';
            else {
              response.destroy();
              reject(new KubeApiError(event.object.code ?? 500, event.object.reason ?? 'Unknown', event.object.message ?? 'watch error', 'GET', path));
              return;
            }
            response.destroy();
            return;
          }
          try {
            onEvent(event as WatchEvent);
          } catch (error) {
            response.destroy();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
        }
      });
      const finish = () => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', () => finish());
    });
  }

  private async request<T>(verb: Verb, method: string, path: string, options: { body?: unknown; contentType?: string } = {}): Promise<T> {
    const response = await this.open(verb, method, path, { body: options.body, contentType: options.contentType, timeoutMs: this.options.timeoutMs ?? 30_000 });
    const text = await readAll(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw this.errorFrom(method, path, status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  private open(
    verb: Verb,
    method: string,
    path: string,
    options: { body?: unknown; contentType?: string; signal?: AbortSignal; timeoutMs: number },
  ): Promise<IncomingMessage> {
    this.requests += 1;
    const url = new URL(path, `${this.target.server}/`);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'switchyard' };
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const token = this.target.tokenFile ? readFileSync(this.target.tokenFile, 'utf8').trim() : this.target.token;
    if (token) headers.authorization = `Bearer ${token}`;
    else if (this.target.username !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${this.target.username}:${this.target.password ?? ''}`).toString('base64')}`;
    const send = this.secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.agent, signal: options.signal }, (response) => {
        this.options.onRequest?.(verb, response.statusCode ?? 0);
        resolve(response);
      });
      if (options.timeoutMs > 0) {
        req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer from the Kubernetes API within ${options.timeoutMs} ms`)));
      }
      req.on('error', (error: NodeJS.ErrnoException) => {
        this.options.onRequest?.(verb, 0);
        if (error.name === 'AbortError') reject(error);
        else reject(new KubeApiError(0, error.code ?? 'Unreachable', `${method} ${url.pathname}: ${error.message}`, method, path));
      });
      req.end(body);
    });
  }

  private errorFrom(method: string, path: string, status: number, text: string): KubeApiError {
    let reason = 'Unknown';
    let message = text.slice(0, 500) || `HTTP ${status}`;
    try {
      const parsed = JSON.parse(text) as { kind?: string; reason?: string; message?: string };
      if (parsed.kind === 'Status') {
        reason = parsed.reason ?? reason;
        message = parsed.message ?? message;
      }
    } catch {
      // Not a Status (a proxy's page): keep the text.
    }
    return new KubeApiError(status, reason, message, method, path);
  }
}

function withQuery(path: string, query: URLSearchParams): string {
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}
