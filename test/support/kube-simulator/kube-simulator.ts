import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { applyConfiguration, deepEqual, mergeInto, recordUpdate, type Json, type JsonObject, type Ownership } from './field-ownership';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './label-selector';
import { ObjectStore, type StoredObject } from './object-store';
import { applyDefaults, validateName, validateObject, type FieldError } from './object-rules';
import { apiVersionOf, qualifiedName, RESOURCE_TYPES, typeByPath, type ResourceType } from './resource-types';
import { WorkloadController, type ImageBehaviour } from './workload-controller';
import { FaultInjector, type FaultOptions } from './fault-injector';
import { ACCESS_REVIEW_GROUPS, accessReviewDiscovery, ADMIN_USER, RbacAuthorizer, SELF_SUBJECT_ACCESS_REVIEWS, verbOf, type UserInfo } from './rbac-authorizer';
import { renderScale, requestedReplicas } from './scale-subresource';
import { toTable, wantsTable } from './table-printer';
import { servingCertificate } from './tls-certificates';

export type { ImageBehaviour } from './workload-controller';

export interface KubeSimulatorOptions {
  port?: number;
  host?: string;
  /** Bearer token the API demands (as a real cluster would); generated when not given. */
  token?: string;
  /** How long a container takes to start (and, for crashing images, to crash). */
  podStartMs?: number;
  /** Serve HTTPS with a throwaway CA (in the kubeconfig), as clusters do; kubectl sends tokens only over TLS. */
  tls?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  watch: boolean;
}

/** A Kubernetes API error as the server renders it: a v1 Status object. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
  ) {
    super(message);
  }

  body(): JsonObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const NAMESPACES = RESOURCE_TYPES.find((t) => t.kind === 'Namespace') as ResourceType;
const obj = (value: Json | undefined): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {});
const timestamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Route {
  resource: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * A Kubernetes API server for tests and for trying Switchyard without a cluster: the real REST
 * paths, verbs, status codes and Status bodies for namespaces, Services, Pods, ConfigMaps,
 * Secrets, ServiceAccounts, Deployments and ReplicaSets — create, get, list, watch, replace,
 * server-side apply, JSON/merge patch, delete with preconditions — with resourceVersion and
 * generation bookkeeping and a controller loop that runs the workloads.
 */
export class KubeSimulator {
  readonly requests: RecordedRequest[] = [];
  private readonly store = new ObjectStore();
  private readonly controller: WorkloadController;
  private readonly behaviours = new Map<string, ImageBehaviour>();
  private readonly openResponses = new Set<ServerResponse>();
  /** RBAC for the service-account tokens issued by serviceAccountKubeconfig (the admin token and anonymous requests are not checked). */
  readonly rbac = new RbacAuthorizer((kind, namespace) => this.objects(kind, namespace));
  /** The fault switch: `sim.faults.set({ resetRate: 0.1, dropWatchesWithinMs: 3000 })`. */
  readonly faults = new FaultInjector();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
    podStartMs: number,
    /** PEM of the CA behind the HTTPS certificate (undefined: plain HTTP). */
    readonly ca?: string,
  ) {
    this.controller = new WorkloadController(this.store, { podStartMs }, (image) => this.behaviourOf(image));
    for (const name of ['default', 'kube-system', 'kube-public']) this.seedNamespace(name);
  }

  static async start(options: KubeSimulatorOptions = {}): Promise<KubeSimulator> {
    const certificate = options.tls ? servingCertificate() : undefined;
    const server = certificate ? (createHttpsServer({ cert: certificate.cert, key: certificate.key }) as unknown as Server) : createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
    });
    const address = server.address() as AddressInfo;
    const simulator = new KubeSimulator(
      server,
      `${certificate ? 'https' : 'http'}://${options.host ?? '127.0.0.1'}:${address.port}`,
      options.token ?? randomBytes(16).toString('hex'),
      options.podStartMs ?? 50,
      certificate?.ca,
    );
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void simulator.handle(req, res));
    return simulator;
  }

  async close(): Promise<void> {
    this.controller.stop();
    for (const res of this.openResponses) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Test hook: containers running `image` (exact, or every tag/digest of a repository when given
   * without one) crash, fail to pull, or never become ready. Applies to pods started afterwards.
   */
  setImageBehaviour(image: string, behaviour: ImageBehaviour): void {
    this.behaviours.set(image, behaviour);
  }

  behaviourOf(image: string): ImageBehaviour {
    const exact = this.behaviours.get(image);
    if (exact) return exact;
    const repository = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
    return this.behaviours.get(repository) ?? 'ok';
  }

  /** The object as `GET` would return it, or undefined. */
  object(kind: string, namespace: string | undefined, name: string): JsonObject | undefined {
    const resource = RESOURCE_TYPES.find((t) => t.kind === kind);
    if (!resource) throw new Error(`the simulator has no kind ${kind}`);
    const stored = this.store.get(resource, namespace, name);
    return stored ? this.store.render(stored) : undefined;
  }

  objects(kind: string, namespace?: string): JsonObject[] {
    const resource = RESOURCE_TYPES.find((t) => t.kind === kind);
    if (!resource) throw new Error(`the simulator has no kind ${kind}`);
    return this.store.list(resource, namespace).map((stored) => this.store.render(stored));
  }

  /** API requests since `from` (an index into `requests`), excluding the test hooks. */
  requestCount(from = 0): number {
    return this.requests.slice(from).length;
  }

  kubeconfig(namespace = 'default', token = this.token): string {
    return stringifyYaml({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node (like kubectl's insecure port) talks plain HTTP only to a cluster marked insecure-skip-tls-verify.
      clusters: [
        {
          name: 'switchyard-simulator',
          cluster: {
            server: this.url,
            ...(this.ca ? { 'certificate-authority-data': Buffer.from(this.ca).toString('base64') } : { 'insecure-skip-tls-verify': true }),
          },
        },
      ],
      users: [{ name: 'switchyard-simulator', user: { token } }],
      contexts: [{ name: 'switchyard-simulator', context: { cluster: 'switchyard-simulator', user: 'switchyard-simulator', namespace } }],
      'current-context': 'switchyard-simulator',
    });
  }

  writeKubeconfig(file: string): void {
    writeFileSync(file, this.kubeconfig(), { mode: 0o600 });
  }

  /** A kubeconfig that authenticates as ServiceAccount `namespace/name`, whose requests RBAC decides (as in-cluster Switchyard's would be). */
  serviceAccountKubeconfig(namespace: string, name: string): string {
    return this.kubeconfig(namespace, this.rbac.issueServiceAccountToken(namespace, name));
  }

  /** Turns the fault switch (see FaultInjector); `undefined` turns it off. */
  injectFaults(options: FaultOptions | undefined): void {
    if (options) this.faults.set(options);
    else this.faults.clear();
  }

  private seedNamespace(name: string): void {
    const object: JsonObject = { metadata: { name, uid: randomUUID(), creationTimestamp: timestamp() } };
    applyDefaults(NAMESPACES, object);
    this.store.put(NAMESPACES, object, new Map());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = req.method ?? 'GET';
    let recorded: RecordedRequest | undefined;
    try {
      const body = await readBody(req);
      if (url.pathname.startsWith('/simulator/v1/')) return this.hook(method, url, body, res);
      recorded = { method, path: url.pathname, query: url.search, status: 0, watch: isWatch(url) };
      this.requests.push(recorded);
      if (this.faults.intercept(req, res, isWatch(url))) return;
      // Plain HTTP is the old insecure port: kubectl sends no credentials there, so anonymous
      // requests pass — but a wrong token is refused, so a client that sends one must send the right one.
      const authorization = req.headers.authorization;
      const user = authorization === undefined ? undefined : this.authenticate(authorization);
      const discovery = this.discovery(url.pathname);
      if (discovery) return send(res, 200, discovery, recorded);
      if (method === 'POST' && url.pathname === SELF_SUBJECT_ACCESS_REVIEWS) {
        return send(res, 201, this.rbac.review(user ?? ADMIN_USER, parseBody(body, 'application/json')), recorded);
      }
      const route = this.route(url.pathname);
      const contentType = String(req.headers['content-type'] ?? '')
        .split(';')[0]
        .trim();
      if (user) this.authorize(user, method, route, isWatch(url), contentType);
      if (route.subresource === 'scale') return this.scale(method, route, body, contentType, url, res, recorded);
      if (method === 'GET' && !isWatch(url) && wantsTable(req.headers.accept)) {
        const objects = route.name ? [this.read(route)] : this.listObjects(route, url);
        return send(res, 200, toTable(route.resource, objects, this.store.resourceVersion), recorded);
      }
      const manager = url.searchParams.get('fieldManager') ?? String(req.headers['user-agent'] ?? 'unknown').split('/')[0];
      const dryRun = url.searchParams.get('dryRun') === 'All';
      switch (method) {
        case 'GET':
          if (route.name) return send(res, 200, this.read(route), recorded);
          if (isWatch(url)) return this.watch(route, url, res, recorded);
          return send(res, 200, this.list(route, url), recorded);
        case 'POST':
          if (route.name) throw methodNotAllowed();
          return send(res, 201, this.create(route, parseBody(body, contentType), manager, dryRun), recorded);
        case 'PUT':
          if (!route.name) throw methodNotAllowed();
          return send(res, 200, this.replace(route, parseBody(body, contentType), manager, dryRun), recorded);
        case 'PATCH': {
          if (!route.name) throw methodNotAllowed();
          const { status, object } = this.patch(route, body, contentType, url, manager, dryRun);
          return send(res, status, object, recorded);
        }
        case 'DELETE':
          if (!route.name) throw methodNotAllowed();
          return send(res, 200, this.delete(route, body ? (parseBody(body, 'application/json') as JsonObject) : {}, url, dryRun), recorded);
        default:
          throw methodNotAllowed();
      }
    } catch (error) {
      const apiError =
        error instanceof ApiError
          ? error
          : error instanceof SelectorError
            ? new ApiError(400, 'BadRequest', error.message)
            : new ApiError(
                500,
                'InternalError',
                `an error on the server ("${error instanceof Error ? error.message : String(error)}") has prevented the request from succeeding`,
              );
      if (!res.headersSent) send(res, apiError.code, apiError.body(), recorded);
      else res.end();
    }
  }

  private authenticate(authorization: string): UserInfo | undefined {
    if (authorization === `Bearer ${this.token}`) return ADMIN_USER;
    const user = authorization.startsWith('Bearer ') ? this.rbac.userOf(authorization.slice('Bearer '.length)) : undefined;
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return user;
  }

  /**
   * RBAC, as the API server's authorizer runs it before any handler: 403 Forbidden with the real
   * wording. A server-side apply of an object that does not exist yet also needs `create`.
   */
  private authorize(user: UserInfo, method: string, route: Route, watch: boolean, contentType: string): void {
    const request = {
      verb: verbOf(method, route.name !== undefined, watch),
      group: route.resource.group,
      resource: route.resource.plural,
      subresource: route.subresource,
      namespace: route.resource.namespaced ? route.namespace : undefined,
      name: route.name,
    };
    const deny = (verb: string) => {
      const denied = { ...request, verb };
      throw new ApiError(403, 'Forbidden', this.rbac.forbiddenMessage(user, denied), {
        ...(route.name ? { name: route.name } : {}),
        ...(route.resource.group ? { group: route.resource.group } : {}),
        kind: route.resource.plural,
      });
    };
    if (!this.rbac.allows(user, request)) deny(request.verb);
    if (
      method === 'PATCH' &&
      contentType === 'application/apply-patch+yaml' &&
      !route.subresource &&
      !this.store.get(route.resource, route.namespace, route.name as string) &&
      !this.rbac.allows(user, { ...request, verb: 'create' })
    ) {
      deny('create');
    }
  }

  /** deployments/{name}/scale: read and write `spec.replicas` alone, as the HPA controller and `kubectl scale` do. */
  private scale(method: string, route: Route, body: string, contentType: string, url: URL, res: ServerResponse, recorded: RecordedRequest): void {
    if (route.resource.kind !== 'Deployment' && route.resource.kind !== 'ReplicaSet') throw notFoundPath();
    const main: Route = { ...route, subresource: undefined };
    if (method === 'GET') return send(res, 200, renderScale(this.read(main)), recorded);
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
    const replicas = requestedReplicas(parseBody(body, contentType.includes('yaml') ? 'application/yaml' : 'application/json'));
    if (replicas === undefined) {
      throw new ApiError(422, 'Invalid', `Scale.autoscaling "${String(route.name)}" is invalid: spec.replicas: Invalid value: must be a non-negative integer`);
    }
    const manager = url.searchParams.get('fieldManager') ?? 'kube-controller-manager';
    const { object } = this.patch(
      main,
      JSON.stringify({ spec: { replicas } }),
      'application/merge-patch+json',
      url,
      manager,
      url.searchParams.get('dryRun') === 'All',
    );
    return send(res, 200, renderScale(object), recorded);
  }

  private hook(method: string, url: URL, body: string, res: ServerResponse): void {
    if (method === 'PUT' && url.pathname === '/simulator/v1/images') {
      const { image, behaviour } = JSON.parse(body || '{}') as { image?: string; behaviour?: ImageBehaviour };
      if (!image || !['ok', 'crash', 'unpullable', 'never-ready'].includes(String(behaviour))) {
        return send(res, 400, { error: 'expected {"image": "...", "behaviour": "ok|crash|unpullable|never-ready"}' });
      }
      this.setImageBehaviour(image, behaviour as ImageBehaviour);
      return send(res, 200, { image, behaviour });
    }
    if (method === 'GET' && url.pathname === '/simulator/v1/requests') return send(res, 200, { count: this.requests.length });
    return send(res, 404, { error: 'unknown simulator hook' });
  }

  private discovery(path: string): JsonObject | undefined {
    const groupVersions = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => `${t.group}/${t.version}`))];
    const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => t.group))];
    const versionOf = (group: string) => (RESOURCE_TYPES.find((t) => t.group === group) as ResourceType).version;
    const resources = (groupVersion: string): JsonObject => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: RESOURCE_TYPES.filter((t) => apiVersionOf(t) === groupVersion).flatMap((t) => [
        {
          name: t.plural,
          singularName: t.kind.toLowerCase(),
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          ...(t.shortNames ? { shortNames: t.shortNames } : {}),
        },
        ...(t.statusSubresource
          ? [{ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }]
          : []),
        ...(t.kind === 'Deployment' || t.kind === 'ReplicaSet'
          ? [
              {
                name: `${t.plural}/scale`,
                singularName: '',
                namespaced: true,
                group: 'autoscaling',
                version: 'v1',
                kind: 'Scale',
                verbs: ['get', 'patch', 'update'],
              },
            ]
          : []),
      ]) as JsonObject[],
    });
    switch (path) {
      case '/version':
        return { major: '1', minor: '31', gitVersion: 'v1.31.0-switchyard-simulator', platform: 'linux/amd64' };
      case '/healthz':
      case '/readyz':
      case '/livez':
        return { status: 'ok' };
      case '/api':
        return {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.url.replace(/^https?:\/\//, '') }],
        };
      case '/apis':
        return {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [
            ...groups.map((name) => ({
              name,
              versions: [{ groupVersion: `${name}/${versionOf(name)}`, version: versionOf(name) }],
              preferredVersion: { groupVersion: `${name}/${versionOf(name)}`, version: versionOf(name) },
            })),
            ...ACCESS_REVIEW_GROUPS,
          ],
        };
      case '/api/v1':
        return resources('v1');
      default: {
        const review = accessReviewDiscovery(path);
        if (review) return review;
        const match = /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
        return match && groupVersions.includes(match[1]) ? resources(match[1]) : undefined;
      }
    }
  }

  private route(path: string): Route {
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let rest: string[];
    if (segments[0] === 'api' && segments[1] === 'v1') {
      group = '';
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 3) {
      group = segments[1];
      rest = segments.slice(3);
    } else throw notFoundPath();
    const version = segments[0] === 'api' ? 'v1' : segments[2];
    const lookup = (plural: string | undefined) => (plural ? typeByPath(group, version, plural) : undefined);
    if (rest[0] === 'namespaces' && rest.length >= 3 && lookup(rest[2])?.namespaced) {
      const resource = lookup(rest[2]) as ResourceType;
      if (rest.length > 5) throw notFoundPath();
      const subresource = rest[4];
      const scalable = resource.kind === 'Deployment' || resource.kind === 'ReplicaSet';
      if (subresource && !((subresource === 'status' && resource.statusSubresource) || (subresource === 'scale' && scalable))) throw notFoundPath();
      return { resource, namespace: rest[1], name: rest[3], subresource };
    }
    const resource = lookup(rest[0]);
    if (!resource || rest.length > 3) throw notFoundPath();
    if (resource.namespaced && rest[1]) throw notFoundPath();
    const subresource = rest[2];
    if (subresource && !(subresource === 'status' && resource.statusSubresource)) throw notFoundPath();
    return { resource, name: rest[1], subresource };
  }

  private read(route: Route): JsonObject {
    const stored = this.mustGet(route);
    return this.store.render(stored);
  }

  private mustGet(route: Route): StoredObject {
    const stored = this.store.get(route.resource, route.namespace, route.name as string);
    if (!stored) throw notFound(route.resource, route.name as string);
    return stored;
  }

  private listObjects(route: Route, url: URL): JsonObject[] {
    const filter = this.filter(url);
    return this.store
      .list(route.resource, route.namespace)
      .map((stored) => this.store.render(stored))
      .filter(filter);
  }

  private list(route: Route, url: URL): JsonObject {
    const items = this.listObjects(route, url).map(({ apiVersion: _a, kind: _k, ...item }) => item);
    return { kind: `${route.resource.kind}List`, apiVersion: apiVersionOf(route.resource), metadata: { resourceVersion: this.store.resourceVersion }, items };
  }

  private filter(url: URL): (object: JsonObject) => boolean {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    return (object) => matchesLabels(labels, obj(obj(object.metadata).labels) as Record<string, string>) && matchesFields(fields, object);
  }

  private watch(route: Route, url: URL, res: ServerResponse, recorded: RecordedRequest): void {
    const matches = this.filter(url);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    // The API server answers a watch's headers at once; clients block on them until then.
    res.flushHeaders();
    recorded.status = 200;
    this.openResponses.add(res);
    this.faults.armWatch(res);
    const write = (type: string, object: JsonObject) => {
      if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const started = this.store.watch(
      { resource: route.resource, namespace: route.namespace, matches, send: write },
      url.searchParams.get('resourceVersion') ?? undefined,
    );
    if ('gone' in started) {
      write('ERROR', new ApiError(410, 'Expired', started.gone).body());
      res.end();
      this.openResponses.delete(res);
      return;
    }
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? 1800);
    const timer = setTimeout(() => res.end(), Math.max(0, timeoutSeconds) * 1000);
    timer.unref();
    const stop = () => {
      clearTimeout(timer);
      started.stop();
      this.openResponses.delete(res);
    };
    res.on('close', stop);
    res.on('finish', stop);
  }

  private ensureNamespace(route: Route): void {
    if (!route.resource.namespaced) return;
    if (!this.store.get(NAMESPACES, undefined, route.namespace as string)) {
      throw new ApiError(404, 'NotFound', `namespaces "${route.namespace}" not found`, { name: route.namespace ?? '', kind: 'namespaces' });
    }
  }

  private checkTypeMeta(route: Route, body: JsonObject, required: boolean): void {
    const expected = apiVersionOf(route.resource);
    if (required && (!body.apiVersion || !body.kind)) {
      throw new ApiError(400, 'BadRequest', `Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== expected) {
      throw new ApiError(400, 'BadRequest', `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expected})`);
    }
    if (body.kind !== undefined && body.kind !== route.resource.kind) {
      throw new ApiError(400, 'BadRequest', `the kind in the data (${String(body.kind)}) does not match the expected kind (${route.resource.kind})`);
    }
    const metadata = obj(body.metadata);
    if (route.resource.namespaced && metadata.namespace !== undefined && metadata.namespace !== route.namespace) {
      throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    if (route.name !== undefined && metadata.name !== undefined && metadata.name !== route.name) {
      throw new ApiError(400, 'BadRequest', `the name of the object (${String(metadata.name)}) does not match the name on the URL (${route.name})`);
    }
  }

  /**
   * The shared end of every write: defaults, validation, generation, status kept when it is a
   * subresource, then the store (which stamps the resourceVersion and tells the watchers).
   */
  private commit(
    route: Route,
    next: JsonObject,
    before: StoredObject | undefined,
    owners: Map<string, Ownership>,
    dryRun: boolean,
    statusWrite = false,
  ): JsonObject {
    const resource = route.resource;
    const name = route.name ?? String(obj(next.metadata).name);
    const { apiVersion: _a, kind: _k, ...object } = next;
    const metadata = { ...obj(object.metadata) };
    delete metadata.managedFields;
    object.metadata = metadata;
    metadata.name = name;
    if (resource.namespaced) metadata.namespace = route.namespace ?? null;
    const previous = before?.object;
    if (previous) {
      const old = obj(previous.metadata);
      metadata.uid = old.uid ?? null;
      metadata.creationTimestamp = old.creationTimestamp ?? null;
      if (old.generation !== undefined) metadata.generation = old.generation;
      if (resource.statusSubresource && !statusWrite) object.status = previous.status ?? null;
      if (statusWrite) for (const key of Object.keys(object)) if (key !== 'metadata' && key !== 'status') object[key] = previous[key];
      if (object.status === null) delete object.status;
    } else {
      metadata.uid = randomUUID();
      metadata.creationTimestamp = timestamp();
      if (resource.generation) metadata.generation = 1;
      if (resource.statusSubresource) delete object.status;
    }
    if (metadata.labels && Object.keys(obj(metadata.labels)).length === 0) delete metadata.labels;
    // The real server decodes into typed structs: a null (kubectl sends `creationTimestamp: null`) is a zero value, omitted.
    dropNulls(object);
    applyDefaults(resource, object, previous);
    const nameError = validateName(resource, name);
    const errors: FieldError[] = [...(nameError ? [nameError] : []), ...validateObject(resource, object, previous)];
    if (errors.length) throw invalid(resource, name, errors);
    if (previous && resource.generation && !deepEqual(previous.spec, object.spec)) metadata.generation = Number(obj(previous.metadata).generation ?? 1) + 1;
    if (
      previous &&
      deepEqual(previous, { ...object, metadata: { ...metadata, resourceVersion: obj(previous.metadata).resourceVersion ?? null } }) &&
      sameOwners(before!.owners, owners)
    ) {
      return this.store.render(before!);
    }
    if (dryRun) {
      metadata.resourceVersion = obj(previous?.metadata).resourceVersion ?? null;
      if (!previous) delete metadata.resourceVersion;
      return this.store.render({ type: resource, object, owners });
    }
    const stored = this.store.put(resource, object, owners);
    this.controller.schedule();
    return this.store.render({ type: resource, object: stored, owners });
  }

  private create(route: Route, body: JsonObject, manager: string, dryRun: boolean): JsonObject {
    this.checkTypeMeta(route, body, false);
    const metadata = obj(body.metadata);
    if (!metadata.name && metadata.generateName) metadata.name = `${String(metadata.generateName)}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (!metadata.name)
      throw invalid(route.resource, '', [
        { field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' },
      ]);
    if (metadata.resourceVersion) throw new ApiError(400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
    const target: Route = { ...route, name: String(metadata.name) };
    this.ensureNamespace(target);
    if (this.store.get(route.resource, route.namespace, target.name as string)) throw alreadyExists(route.resource, target.name as string);
    const owners = recordUpdate(undefined, withoutTypeMeta(body), new Map(), manager, { apiVersion: apiVersionOf(route.resource), now: timestamp() });
    return this.commit(target, body, undefined, owners, dryRun);
  }

  private replace(route: Route, body: JsonObject, manager: string, dryRun: boolean): JsonObject {
    this.checkTypeMeta(route, body, false);
    const before = this.mustGet(route);
    const resourceVersion = obj(body.metadata).resourceVersion;
    if (!resourceVersion) {
      throw invalid(route.resource, route.name as string, [
        { field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update' },
      ]);
    }
    if (resourceVersion !== obj(before.object.metadata).resourceVersion) throw conflict(route.resource, route.name as string);
    const statusWrite = route.subresource === 'status';
    const owners = recordUpdate(before.object, withoutTypeMeta(body), before.owners, manager, {
      apiVersion: apiVersionOf(route.resource),
      now: timestamp(),
      subresource: route.subresource,
    });
    return this.commit(route, body, before, owners, dryRun, statusWrite);
  }

  private patch(route: Route, body: string, contentType: string, url: URL, manager: string, dryRun: boolean): { status: number; object: JsonObject } {
    const statusWrite = route.subresource === 'status';
    if (contentType === 'application/apply-patch+yaml') {
      if (!url.searchParams.get('fieldManager')) {
        throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
          group: 'meta.k8s.io',
          kind: 'PatchOptions',
          causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
        });
      }
      let config: JsonObject;
      try {
        config = obj(parseYaml(body) as Json);
      } catch (error) {
        throw new ApiError(400, 'BadRequest', `error decoding YAML: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.checkTypeMeta(route, config, true);
      const before = this.store.get(route.resource, route.namespace, route.name as string);
      if (!before) this.ensureNamespace(route);
      const precondition = obj(config.metadata).resourceVersion;
      if (before && precondition !== undefined && precondition !== obj(before.object.metadata).resourceVersion)
        throw conflict(route.resource, route.name as string);
      const { apiVersion: _a, kind: _k, ...applied } = config;
      const metadata = { ...obj(applied.metadata) };
      delete metadata.resourceVersion;
      delete metadata.managedFields;
      applied.metadata = metadata;
      if (route.resource.statusSubresource && !statusWrite) delete applied.status;
      const force = url.searchParams.get('force') === 'true';
      const result = applyConfiguration(before?.object, before?.owners ?? new Map(), url.searchParams.get('fieldManager') as string, applied, {
        force,
        apiVersion: apiVersionOf(route.resource),
        now: timestamp(),
      });
      if ('conflicts' in result) {
        const count = result.conflicts.length;
        const lines = result.conflicts.map((c) => `conflict with "${c.manager}": ${c.path}`);
        throw new ApiError(409, 'Conflict', `Apply failed with ${count} conflict${count === 1 ? '' : 's'}: ${lines.join('\n')}`, {
          causes: result.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.path })),
        });
      }
      const object = this.commit(
        route,
        { ...result.object, metadata: { ...obj(result.object.metadata), resourceVersion: obj(before?.object.metadata).resourceVersion ?? null } },
        before,
        result.owners,
        dryRun,
        statusWrite,
      );
      return { status: before ? 200 : 201, object };
    }
    const before = this.mustGet(route);
    const current = this.store.render(before);
    let patched: JsonObject;
    switch (contentType) {
      case 'application/json-patch+json':
        patched = jsonPatch(current, parseBody(body, 'application/json') as unknown as JsonPatchOp[]);
        break;
      case 'application/merge-patch+json':
      case 'application/strategic-merge-patch+json':
        patched = mergePatch(current, parseBody(body, 'application/json'), contentType === 'application/strategic-merge-patch+json') as JsonObject;
        break;
      default:
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
        );
    }
    // A patch that carries a resourceVersion is a precondition: a stale one conflicts, as with update.
    if (obj(patched.metadata).resourceVersion !== obj(current.metadata).resourceVersion) throw conflict(route.resource, route.name as string);
    this.checkTypeMeta(route, patched, false);
    const owners = recordUpdate(before.object, withoutTypeMeta(patched), before.owners, manager, {
      apiVersion: apiVersionOf(route.resource),
      now: timestamp(),
      subresource: route.subresource,
    });
    return { status: 200, object: this.commit(route, patched, before, owners, dryRun, statusWrite) };
  }

  private delete(route: Route, options: JsonObject, url: URL, dryRun: boolean): JsonObject {
    const stored = this.mustGet(route);
    const metadata = obj(stored.object.metadata);
    const preconditions = obj(options.preconditions);
    if (preconditions.uid !== undefined && preconditions.uid !== metadata.uid) {
      throw conflictWith(
        route.resource,
        route.name as string,
        `Precondition failed: UID in precondition: ${String(preconditions.uid)}, UID in object meta: ${String(metadata.uid)}`,
      );
    }
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== metadata.resourceVersion) {
      throw conflictWith(
        route.resource,
        route.name as string,
        `Precondition failed: ResourceVersion in precondition: ${String(preconditions.resourceVersion)}, ResourceVersion in object meta: ${String(metadata.resourceVersion)}`,
      );
    }
    const rendered = this.store.render(stored);
    if (dryRun || options.dryRun === 'All' || (Array.isArray(options.dryRun) && options.dryRun.includes('All'))) return rendered;
    const policy = String(options.propagationPolicy ?? url.searchParams.get('propagationPolicy') ?? 'Background');
    if (route.resource === NAMESPACES) {
      for (const resource of RESOURCE_TYPES.filter((t) => t.namespaced)) {
        for (const item of this.store.list(resource, route.name)) this.store.remove(resource, route.name, String(obj(item.object.metadata).name));
      }
    } else if (policy === 'Orphan') {
      for (const resource of RESOURCE_TYPES.filter((t) => t.namespaced)) {
        for (const item of this.store.list(resource, route.namespace)) {
          const refs = (obj(item.object.metadata).ownerReferences as JsonObject[] | undefined) ?? [];
          if (!refs.some((ref) => ref.uid === metadata.uid)) continue;
          const orphaned = structuredClone(item.object);
          const remaining = refs.filter((ref) => ref.uid !== metadata.uid);
          if (remaining.length) obj(orphaned.metadata).ownerReferences = remaining;
          else delete obj(orphaned.metadata).ownerReferences;
          this.store.put(resource, orphaned, item.owners);
        }
      }
    }
    this.store.remove(route.resource, route.namespace, route.name as string);
    this.controller.schedule();
    if (route.resource === NAMESPACES || route.resource.kind === 'Pod') {
      return {
        ...rendered,
        metadata: { ...obj(rendered.metadata), deletionTimestamp: timestamp() },
        ...(route.resource === NAMESPACES ? { status: { phase: 'Terminating' } } : {}),
      };
    }
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: route.name ?? '',
        ...(route.resource.group ? { group: route.resource.group } : {}),
        kind: route.resource.plural,
        uid: metadata.uid ?? '',
      },
    };
  }
}

function sameOwners(a: Map<string, Ownership>, b: Map<string, Ownership>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, o] of a) {
    const other = b.get(name);
    if (!other || other.operation !== o.operation || other.paths.size !== o.paths.size) return false;
    for (const key of o.paths.keys()) if (!other.paths.has(key)) return false;
  }
  return true;
}

function dropNulls(value: Json): void {
  if (Array.isArray(value)) value.forEach(dropNulls);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (child === null) delete value[key];
      else dropNulls(child);
    }
  }
}

function isWatch(url: URL): boolean {
  const value = url.searchParams.get('watch');
  return value === 'true' || value === '1';
}

function withoutTypeMeta(object: JsonObject): JsonObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

function send(res: ServerResponse, status: number, body: unknown, recorded?: RecordedRequest): void {
  if (recorded) recorded.status = status;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 3 * 1024 * 1024) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(body: string, contentType: string): JsonObject {
  try {
    const parsed = (contentType.includes('yaml') ? parseYaml(body) : JSON.parse(body || 'null')) as Json;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('the body is not an object');
    return parsed as JsonObject;
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `the object provided is unrecognized: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

function details(resource: ResourceType, name: string): JsonObject {
  return { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural };
}

function notFound(resource: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedName(resource)} "${name}" not found`, details(resource, name));
}

function alreadyExists(resource: ResourceType, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedName(resource)} "${name}" already exists`, details(resource, name));
}

function conflict(resource: ResourceType, name: string): ApiError {
  return conflictWith(resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
}

function conflictWith(resource: ResourceType, name: string, reason: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(resource)} "${name}": ${reason}`, details(resource, name));
}

function invalid(resource: ResourceType, name: string, errors: FieldError[]): ApiError {
  const kind = resource.group ? `${resource.kind}.${resource.group}` : resource.kind;
  const list = errors.map((e) => `${e.field}: ${e.message}`);
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`, {
    name,
    ...(resource.group ? { group: resource.group } : {}),
    kind: resource.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test' | 'move' | 'copy';
  path: string;
  value?: Json;
  from?: string;
}

/** RFC 6902, as the API server applies it; a failed `test` or a bad path is a 422. */
function jsonPatch(document: JsonObject, ops: JsonPatchOp[]): JsonObject {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'json patch must be a list of operations');
  let root: Json = structuredClone(document);
  const reject = (message: string) => new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
  const tokens = (pointer: string) => {
    if (pointer === '') return [];
    if (!pointer.startsWith('/')) throw reject(`invalid path ${pointer}`);
    return pointer
      .slice(1)
      .split('/')
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const resolve = (pointer: string): { parent: Json; key: string } => {
    const parts = tokens(pointer);
    let parent: Json = root;
    for (const part of parts.slice(0, -1)) {
      const next: Json | undefined = Array.isArray(parent) ? parent[Number(part)] : obj(parent)[part];
      if (next === undefined || next === null || typeof next !== 'object') throw reject(`path ${pointer} does not exist`);
      parent = next;
    }
    return { parent, key: parts[parts.length - 1] };
  };
  const get = (pointer: string): Json | undefined => {
    let current: Json | undefined = root;
    for (const part of tokens(pointer)) current = Array.isArray(current) ? current[Number(part)] : obj(current)[part];
    return current;
  };
  const add = (pointer: string, value: Json) => {
    if (pointer === '') {
      root = value;
      return;
    }
    const { parent, key } = resolve(pointer);
    if (Array.isArray(parent)) {
      const index = key === '-' ? parent.length : Number(key);
      if (!(index >= 0 && index <= parent.length)) throw reject(`index ${key} out of range`);
      parent.splice(index, 0, value);
    } else obj(parent)[key] = value;
  };
  const remove = (pointer: string) => {
    const { parent, key } = resolve(pointer);
    if (Array.isArray(parent)) {
      if (Number(key) >= parent.length) throw reject(`path ${pointer} does not exist`);
      parent.splice(Number(key), 1);
    } else {
      if (!(key in obj(parent))) throw reject(`path ${pointer} does not exist`);
      delete obj(parent)[key];
    }
  };
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        add(op.path, structuredClone(op.value ?? null));
        break;
      case 'remove':
        remove(op.path);
        break;
      case 'replace':
        if (get(op.path) === undefined) throw reject(`path ${op.path} does not exist`);
        remove(op.path);
        add(op.path, structuredClone(op.value ?? null));
        break;
      case 'test':
        if (!deepEqual(get(op.path), op.value)) throw reject(`testing value ${op.path} failed`);
        break;
      case 'move': {
        const value = get(op.from ?? '');
        if (value === undefined) throw reject(`path ${op.from} does not exist`);
        remove(op.from ?? '');
        add(op.path, value);
        break;
      }
      case 'copy': {
        const value = get(op.from ?? '');
        if (value === undefined) throw reject(`path ${op.from} does not exist`);
        add(op.path, structuredClone(value));
        break;
      }
      default:
        throw reject(`unknown operation ${String((op as { op?: unknown }).op)}`);
    }
  }
  return obj(root);
}

/** RFC 7386 (null deletes); the strategic flavour merges containers and the like by their keys. */
function mergePatch(target: Json, patch: Json, strategic: boolean, listName?: string): Json {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return strategic && Array.isArray(patch) && Array.isArray(target) ? mergeInto(target, patch, listName) : patch;
  }
  const result: JsonObject = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value, strategic, key);
  }
  return result;
}
