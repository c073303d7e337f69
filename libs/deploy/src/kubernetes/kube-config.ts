import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * Where the cluster is and how to authenticate, as a @kubernetes/client-node KubeConfig with its
 * context chosen. Credentials (tokens, token files, client certificates, exec plugins) are the
 * library's to apply on every request, so rotated tokens and expiring exec credentials are re-read.
 */
export interface KubeTarget {
  kubeConfig: KubeConfig;
  server: string;
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
 * Resolves the cluster the way `KubeConfig.loadFromDefault()` does — KUBECONFIG, else
 * ~/.kube/config, else the in-cluster service account — but from the validated configuration
 * (loadFromDefault reads process.env itself) and with kubectl's merge rules. Undefined when none is available.
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

/** The pod's service account, as `KubeConfig.loadFromCluster()` sets it up (the token file is re-read on use: projected tokens rotate). */
export function inClusterTarget(where: { host: string; port: string }, serviceAccountDir = SERVICE_ACCOUNT_DIR): KubeTarget {
  const host = where.host.includes(':') ? `[${where.host}]` : where.host;
  const namespaceFile = join(serviceAccountDir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  const server = `https://${host}:${where.port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'inCluster', server, caFile: join(serviceAccountDir, 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: join(serviceAccountDir, 'token') } } }],
    contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', namespace }],
    currentContext: 'inClusterContext',
  });
  return { kubeConfig, server, namespace, source: 'in-cluster service account' };
}

/**
 * Reads kubeconfig files with KubeConfig.loadFromFile and merges them as kubectl does (the first
 * definition of a name and the first current-context win; client-node's mergeConfig lets the last
 * win and throws on duplicates), then checks the chosen context names a cluster and user that exist,
 * so a typo fails at boot instead of as an anonymous request.
 */
export function loadKubeconfig(files: string[], contextOverride?: string): KubeTarget {
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: '' });
  for (const file of files) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'EACCES' || code === 'EISDIR' || code === 'EPERM' ? `cannot be read (${message(error)})` : `is not a kubeconfig (${message(error)})`;
      throw new KubeConfigError(`${file} ${reason}`);
    }
    for (const cluster of one.getClusters()) if (!merged.getCluster(cluster.name)) merged.addCluster(cluster);
    for (const user of one.getUsers()) if (!merged.getUser(user.name)) merged.addUser(user);
    for (const context of one.getContexts()) if (!merged.getContextObject(context.name)) merged.addContext(context);
    if (!merged.getCurrentContext() && one.getCurrentContext()) merged.setCurrentContext(one.getCurrentContext());
  }
  // A trailing slash would double the one every request path starts with.
  merged.clusters = merged.clusters.map((cluster) => ({ ...cluster, server: cluster.server.replace(/\/+$/, '') }));
  const where = files.join(':');
  const contextName = contextOverride ?? merged.getCurrentContext();
  if (!contextName) throw new KubeConfigError(`${where}: no current-context`);
  const context = merged.getContextObject(contextName);
  if (!context) throw new KubeConfigError(`${where}: context "${contextName}" is not defined`);
  merged.setCurrentContext(contextName);
  const cluster = merged.getCluster(context.cluster);
  if (!cluster) throw new KubeConfigError(`${where}: context "${contextName}" names cluster "${context.cluster}", which is not defined`);
  if (!/^https?:\/\//.test(cluster.server)) throw new KubeConfigError(`${where}: cluster "${cluster.name}" has no http(s) server URL`);
  if (context.user && !merged.getUser(context.user))
    throw new KubeConfigError(`${where}: context "${contextName}" names user "${context.user}", which is not defined`);
  return {
    kubeConfig: merged,
    server: cluster.server,
    namespace: context.namespace,
    source: `kubeconfig ${where} (context ${contextName})`,
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
