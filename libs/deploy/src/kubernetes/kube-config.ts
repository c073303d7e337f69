import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';

/** Where the cluster is and how to authenticate: everything the client needs, already read from disk. */
export interface KubeTarget {
  server: string;
  ca?: Buffer;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  /** Re-read on use: projected service-account tokens rotate. */
  tokenFile?: string;
  username?: string;
  password?: string;
  /** The context's namespace (informational; manifests name their own). */
  namespace?: string;
  /** For logs and errors: `kubeconfig /path (context c)` or `in-cluster service account`. */
  source: string;
}

export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}

/** The part of AppConfig that decides where Kubernetes is. */
export interface KubeAccess {
  /** KUBECONFIG: one or more files (':'-separated), merged as kubectl merges them. */
  kubeconfig?: string;
  /** $HOME, for ~/.kube/config when KUBECONFIG is unset. */
  home?: string;
  /** KUBERNETES_SERVICE_HOST/PORT, set inside a pod. */
  inCluster?: { host: string; port: string };
  /** Override of the kubeconfig's current-context. */
  context?: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Resolves the cluster the way `KubeConfig.loadFromDefault()` does: KUBECONFIG, else
 * ~/.kube/config, else the in-cluster service account. Undefined when none is available.
 */
export function resolveKubeTarget(access: KubeAccess, serviceAccountDir = SERVICE_ACCOUNT_DIR): KubeTarget | undefined {
  if (access.kubeconfig) {
    const files = access.kubeconfig.split(':').filter(Boolean);
    const present = files.filter((file) => existsSync(file));
    if (present.length === 0) throw new KubeConfigError(`KUBECONFIG names ${files.join(', ')}, but no such file exists`);
    return loadKubeconfig(present, access.context);
  }
  if (access.home) {
    const file = join(access.home, '.kube', 'config');
    if (existsSync(file)) return loadKubeconfig([file], access.context);
  }
  if (access.inCluster && existsSync(join(serviceAccountDir, 'token'))) return inClusterTarget(access.inCluster, serviceAccountDir);
  return undefined;
}

export function inClusterTarget(where: { host: string; port: string }, serviceAccountDir = SERVICE_ACCOUNT_DIR): KubeTarget {
  const host = where.host.includes(':') ? `[${where.host}]` : where.host;
  const namespaceFile = join(serviceAccountDir, 'namespace');
  return {
    server: `https://${host}:${where.port}`,
    ca: readFileSync(join(serviceAccountDir, 'ca.crt')),
    insecureSkipTlsVerify: false,
    tokenFile: join(serviceAccountDir, 'token'),
    namespace: existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined,
    source: 'in-cluster service account',
  };
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  value: T;
}

type Entry = Record<string, unknown>;

/** Reads and merges kubeconfig files (first definition of a name wins, as in kubectl) and picks the context. */
export function loadKubeconfig(files: string[], contextOverride?: string): KubeTarget {
  const clusters = new Map<string, Named<Entry> & { dir: string }>();
  const users = new Map<string, Named<Entry> & { dir: string }>();
  const contexts = new Map<string, Entry>();
  let currentContext: string | undefined;
  for (const file of files) {
    let document: Entry;
    try {
      document = (parse(readFileSync(file, 'utf8')) ?? {}) as Entry;
    } catch (error) {
      throw new KubeConfigError(`${file}: not a kubeconfig (${error instanceof Error ? error.message : String(error)})`);
    }
    const dir = dirname(resolve(file));
    for (const item of list(document.clusters))
      if (!clusters.has(String(item.name))) clusters.set(String(item.name), { name: String(item.name), value: entry(item.cluster), dir });
    for (const item of list(document.users))
      if (!users.has(String(item.name))) users.set(String(item.name), { name: String(item.name), value: entry(item.user), dir });
    for (const item of list(document.contexts)) if (!contexts.has(String(item.name))) contexts.set(String(item.name), entry(item.context));
    if (!currentContext && typeof document['current-context'] === 'string' && document['current-context']) currentContext = document['current-context'];
  }
  const where = files.join(':');
  const contextName = contextOverride ?? currentContext;
  if (!contextName) throw new KubeConfigError(`${where}: no current-context`);
  const context = contexts.get(contextName);
  if (!context) throw new KubeConfigError(`${where}: context "${contextName}" is not defined`);
  const cluster = clusters.get(String(context.cluster));
  if (!cluster) throw new KubeConfigError(`${where}: context "${contextName}" names cluster "${String(context.cluster)}", which is not defined`);
  const server = cluster.value.server;
  if (typeof server !== 'string' || !/^https?:\/\//.test(server)) throw new KubeConfigError(`${where}: cluster "${cluster.name}" has no http(s) server URL`);
  const user = context.user === undefined ? undefined : users.get(String(context.user));
  if (context.user !== undefined && !user)
    throw new KubeConfigError(`${where}: context "${contextName}" names user "${String(context.user)}", which is not defined`);
  const u = user?.value ?? {};
  if (u.exec || u['auth-provider']) {
    throw new KubeConfigError(
      `${where}: user "${user?.name}" authenticates through ${u.exec ? 'an exec credential plugin' : 'an auth-provider'}, which Switchyard does not run; use a token (a ServiceAccount token works) or a client certificate`,
    );
  }
  const file = (value: unknown, base: string) => (typeof value === 'string' && value ? readFileSync(isAbsolute(value) ? value : join(base, value)) : undefined);
  const data = (value: unknown) => (typeof value === 'string' && value ? Buffer.from(value, 'base64') : undefined);
  return {
    server: server.replace(/\/+$/, ''),
    ca: data(cluster.value['certificate-authority-data']) ?? file(cluster.value['certificate-authority'], cluster.dir),
    insecureSkipTlsVerify: cluster.value['insecure-skip-tls-verify'] === true,
    tlsServerName: typeof cluster.value['tls-server-name'] === 'string' ? cluster.value['tls-server-name'] : undefined,
    cert: user ? (data(u['client-certificate-data']) ?? file(u['client-certificate'], user.dir)) : undefined,
    key: user ? (data(u['client-key-data']) ?? file(u['client-key'], user.dir)) : undefined,
    token: typeof u.token === 'string' && u.token ? u.token : undefined,
    tokenFile: typeof u.tokenFile === 'string' && u.tokenFile && user ? (isAbsolute(u.tokenFile) ? u.tokenFile : join(user.dir, u.tokenFile)) : undefined,
    username: typeof u.username === 'string' ? u.username : undefined,
    password: typeof u.password === 'string' ? u.password : undefined,
    namespace: typeof context.namespace === 'string' ? context.namespace : undefined,
    source: `kubeconfig ${where} (context ${contextName})`,
  };
}

function list(value: unknown): Entry[] {
  return Array.isArray(value) ? (value.filter((item) => typeof item === 'object' && item !== null) as Entry[]) : [];
}

function entry(value: unknown): Entry {
  return typeof value === 'object' && value !== null ? (value as Entry) : {};
}
