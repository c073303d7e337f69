import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { requireTool } from '../../support/system-tool';
import { waitFor } from '../../support/test-server';

const KUSTOMIZE_DIR = resolve(__dirname, '../../../deploy/kubernetes');

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** kubectl, asynchronously: the simulator answers from this very process. */
function kubectl(args: string[], kubeconfig?: string): Promise<Run> {
  // A private discovery cache: a cache left by another simulator on the same port would mislead kubectl.
  const cluster = kubeconfig ? ['--kubeconfig', kubeconfig, '--cache-dir', join(kubeconfig, '../kube-cache')] : [];
  return new Promise((done) => {
    execFile('kubectl', [...cluster, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function render(dir: string): Promise<Manifest[]> {
  const run = await kubectl(['kustomize', dir]);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return parseAllDocuments(run.stdout).map((doc) => doc.toJSON() as Manifest);
}

const find = (manifests: Manifest[], kind: string, name: string): Manifest => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not rendered (have: ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')})`);
  return found;
};

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

const haveKubectl = requireTool('kubectl', 'kubernetes-client');
const describeWithKubectl = haveKubectl ? describe : describe.skip;

describeWithKubectl('deploy/kubernetes (Kustomize) on the Kubernetes API simulator', () => {
  let sim: KubeSimulator;
  let dir: string;
  let kubeconfig: string;
  /** `apiVersion/kind` the simulator serves (its discovery); the rest are checked as rendered. */
  let served: Set<string>;

  beforeAll(async () => {
    sim = await KubeSimulator.start({ podStartMs: 20 });
    dir = mkdtempSync(join(tmpdir(), 'switchyard-kustomize-'));
    kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig);
    const resources = await kubectl(['api-resources', '--no-headers'], kubeconfig);
    served = new Set(
      resources.stdout
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .map((columns) => `${columns[columns.length - 3]}/${columns[columns.length - 1]}`),
    );
    expect(served).toContain('apps/v1/Deployment');
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What an operator does: apply server-side, then wait for every Deployment to be available. */
  async function applyAndWait(manifests: Manifest[]): Promise<void> {
    const file = join(dir, `applied-${Date.now()}.json`);
    const applicable = manifests.filter((m) => served.has(`${m.apiVersion}/${m.kind}`));
    const renderedOnly = [...new Set(manifests.filter((m) => !applicable.includes(m)).map((m) => m.kind))];
    if (renderedOnly.length > 0) process.stdout.write(`not served by the simulator, checked as rendered: ${renderedOnly.join(', ')}\n`);
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: applicable }));
    const applied = await kubectl(['apply', '--server-side', '--validate=false', '--field-manager=kustomize-test', '-f', file], kubeconfig);
    expect(applied.stderr).toBe('');
    expect(applied.status).toBe(0);
    for (const deployment of applicable.filter((m) => m.kind === 'Deployment')) {
      const rollout = await kubectl(['-n', 'switchyard', 'rollout', 'status', `deployment/${deployment.metadata.name}`, '--timeout=30s'], kubeconfig);
      expect(rollout.stdout).toContain('successfully rolled out');
      await waitFor(
        () => {
          const live = sim.object('Deployment', 'switchyard', deployment.metadata.name) as Manifest | undefined;
          const available = live?.status?.conditions?.find((c: { type: string }) => c.type === 'Available')?.status === 'True';
          return available && live?.status?.availableReplicas === deployment.spec.replicas;
        },
        10_000,
        `${deployment.metadata.name} available with ${deployment.spec.replicas} replicas`,
      );
    }
  }

  function expectRestrictedPod(deployment: Manifest): void {
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    for (const container of pod.containers) {
      expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container.resources.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    }
  }

  function configOf(manifests: Manifest[]): Record<string, string> {
    const server = find(manifests, 'Deployment', 'switchyard-server');
    const name = server.spec.template.spec.containers[0].envFrom[0].configMapRef.name as string;
    return find(manifests, 'ConfigMap', name).data as Record<string, string>;
  }

  it('demo: one server replica on embedded storage, never two pods on its files; applies and becomes available', async () => {
    const manifests = await render(join(KUSTOMIZE_DIR, 'overlays/demo'));
    const server = find(manifests, 'Deployment', 'switchyard-server');
    expect(server.spec.replicas).toBe(1);
    expect(server.spec.strategy).toEqual({ type: 'Recreate' });
    expect(configOf(manifests).SWITCHYARD_REPLICAS).toBe('1');
    expectRestrictedPod(server);
    expect(manifests.filter((m) => m.kind === 'PodDisruptionBudget')).toEqual([]);

    await applyAndWait(manifests);
    expect(sim.objects('Pod', 'switchyard').filter((pod: any) => pod.metadata.labels['app.kubernetes.io/component'] === 'server')).toHaveLength(1);
  }, 120_000);

  it('production: three replicas with a PDB, probes, resources, restricted pods, secrets by reference; applies and becomes available', async () => {
    const manifests = await render(join(KUSTOMIZE_DIR, 'overlays/production'));
    const server = find(manifests, 'Deployment', 'switchyard-server');
    expect(server.spec.replicas).toBe(3);
    // The server's own check (SWITCHYARD_REPLICAS > 1 needs DATABASE_URL and REDIS_URL) reads this.
    expect(configOf(manifests).SWITCHYARD_REPLICAS).toBe(String(server.spec.replicas));
    expect(server.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const container = server.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    expectRestrictedPod(server);
    expectRestrictedPod(find(manifests, 'Deployment', 'switchyard-proxy'));

    // Never a secret value in git: no Secret object is rendered, only references to one.
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    const fromSecret = Object.fromEntries(container.env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(fromSecret.DATABASE_URL).toMatchObject({ name: 'switchyard', key: 'DATABASE_URL' });
    expect(fromSecret.REDIS_URL).toMatchObject({ name: 'switchyard', key: 'REDIS_URL' });
    expect(JSON.stringify(manifests)).not.toMatch(/postgres(ql)?:\/\/|redis:\/\//);

    const pdb = find(manifests, 'PodDisruptionBudget', 'switchyard-server');
    expect(pdb.metadata.namespace).toBe('switchyard');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(selects(pdb.spec.selector.matchLabels, server.spec.template.metadata.labels)).toBe(true);
    const service = find(manifests, 'Service', 'switchyard');
    expect(selects(service.spec.selector, server.spec.template.metadata.labels)).toBe(true);

    // The server runs as the RBAC's ServiceAccount, and the ClusterRoleBinding names it.
    expect(server.spec.template.spec.serviceAccountName).toBe('switchyard');
    find(manifests, 'ServiceAccount', 'switchyard');
    expect(find(manifests, 'ClusterRoleBinding', 'switchyard-namespaces').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'switchyard', namespace: 'switchyard' },
    ]);

    // The proxy reads its routes from a ConfigMap mounted as a directory (updates reach it in place).
    const proxy = find(manifests, 'Deployment', 'switchyard-proxy');
    const routesVolume = proxy.spec.template.spec.volumes.find((v: any) => v.configMap);
    const routes = find(manifests, 'ConfigMap', routesVolume.configMap.name);
    expect(routes.metadata.name).toBe('switchyard-proxy-routes');
    expect(routes.data['routes.yml']).toContain('routes:');
    expect(proxy.spec.template.spec.containers[0].volumeMounts[0]).toEqual({ name: 'routes', mountPath: '/etc/switchyard/routes', readOnly: true });
    expect(proxy.spec.template.spec.containers[0].args.slice(0, 2)).toEqual(['--config', '/etc/switchyard/routes/routes.yml']);
    // Its admin port is reachable inside the cluster (probes), so production requires its token.
    expect(proxy.spec.template.spec.containers[0].env).toEqual([
      { name: 'SWITCHYARD_PROXY_ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'switchyard', key: 'SWITCHYARD_PROXY_ADMIN_TOKEN', optional: false } } },
    ]);

    // As the README says: the Secret first (created by the operator, never from git), then the overlay.
    const secret = await kubectl(
      [
        '-n',
        'switchyard',
        'create',
        'secret',
        'generic',
        'switchyard',
        '--from-literal=DATABASE_URL=postgres://db/x',
        '--from-literal=REDIS_URL=redis://r:6379',
        '--from-literal=SWITCHYARD_PROXY_ADMIN_TOKEN=an-admin-token-of-32-characters',
        '--dry-run=client',
        '-o',
        'json',
      ],
      kubeconfig,
    );
    await applyAndWait([find(manifests, 'Namespace', 'switchyard'), JSON.parse(secret.stdout) as Manifest]);
    await applyAndWait(manifests);
    const serverPods = sim.objects('Pod', 'switchyard').filter((pod: any) => pod.metadata.labels['app.kubernetes.io/component'] === 'server');
    expect(serverPods).toHaveLength(3);
  }, 120_000);

  it('the optional ServiceMonitor and Ingress components render against the server Service', async () => {
    const overlay = join(dir, 'with-components');
    mkdirSync(overlay);
    // Kustomize takes other kustomizations by relative path only.
    const from = (target: string) => relative(overlay, join(KUSTOMIZE_DIR, target));
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'namespace: switchyard',
        'resources:',
        `  - ${from('overlays/production')}`,
        'components:',
        `  - ${from('components/service-monitor')}`,
        `  - ${from('components/ingress')}`,
        '',
      ].join('\n'),
    );
    const manifests = await render(overlay);
    const service = find(manifests, 'Service', 'switchyard');
    const monitor = find(manifests, 'ServiceMonitor', 'switchyard');
    expect(monitor.metadata.namespace).toBe('switchyard');
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels!)).toBe(true);
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
    const ingress = find(manifests, 'Ingress', 'switchyard');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'switchyard', port: { name: 'http' } });
    expect(service.spec.ports.map((p: any) => p.name)).toContain('http');
    await applyAndWait(manifests);
  }, 120_000);
});
