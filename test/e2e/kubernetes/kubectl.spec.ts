import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@switchyard/deploy';
import { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { requireTool } from '../../support/system-tool';
import { adminClient, applyShippedRbac, writeServiceAccountKubeconfig } from './kube-fixture';

const kubectlInstalled = requireTool('kubectl', 'kubernetes-client');

/**
 * The simulator checked against a client nobody here wrote: the real kubectl, over TLS (kubectl
 * sends no token over plain HTTP), as the shipped ServiceAccount under the shipped RBAC and as admin.
 */
(kubectlInstalled ? describe : describe.skip)('the simulator, driven by kubectl', () => {
  let sim: KubeSimulator;
  let admin: KubeClient;
  let dir: string;
  let adminConfig: string;
  let saConfig: string;

  const kubectl = (config: string, ...args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      // Asynchronously: the simulator answers from this very process.
      execFile('kubectl', ['--kubeconfig', config, ...args], { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const deployment = (name: string, image: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-kubectl-'));
    sim = await KubeSimulator.start({ tls: true, podStartMs: 30 });
    admin = adminClient(sim, dir);
    adminConfig = join(dir, 'admin.kubeconfig');
    saConfig = writeServiceAccountKubeconfig(sim, dir);
    await applyShippedRbac(admin, ['shop']);
    await applyShippedRbac(admin, ['locked'], { withoutVerb: 'create' });
    writeFileSync(join(dir, 'web.json'), JSON.stringify(deployment('web', 'registry.example/web:1')));
    for (const n of [1, 2]) writeFileSync(join(dir, `api-${n}.json`), JSON.stringify(deployment('api', `registry.example/api:${n}`)));
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers `auth can-i` from Roles and bindings, as the API server does', async () => {
    const can = (...args: string[]) => kubectl(saConfig, 'auth', 'can-i', ...args);
    expect(await can('create', 'deployments.apps', '-n', 'shop')).toMatchObject({ status: 0, stdout: 'yes\n' });
    expect(await can('watch', 'pods', '-n', 'shop')).toMatchObject({ status: 0, stdout: 'yes\n' });
    expect(await can('create', 'deployments.apps', '-n', 'locked')).toMatchObject({ status: 1, stdout: 'no\n' });
    expect(await can('delete', 'secrets', '-n', 'shop')).toMatchObject({ status: 1, stdout: 'no\n' });
    expect(await can('get', 'deployments.apps', '-n', 'kube-system')).toMatchObject({ status: 1, stdout: 'no\n' });
    expect(await can('create', 'namespaces')).toMatchObject({ status: 0, stdout: 'yes\n' });
  });

  it('applies server-side, waits for the rollout and prints the usual columns; a missing verb is a 403 in the real words', async () => {
    const applied = await kubectl(
      saConfig,
      '-n',
      'shop',
      'apply',
      '--server-side',
      '--validate=false',
      '--field-manager=switchyard',
      '-f',
      join(dir, 'web.json'),
    );
    expect(applied).toMatchObject({ status: 0, stdout: 'deployment.apps/web serverside-applied\n', stderr: '' });
    expect((await kubectl(saConfig, '-n', 'shop', 'rollout', 'status', 'deployment/web', '--timeout=20s')).stdout).toContain(
      'deployment "web" successfully rolled out',
    );

    const wide = await kubectl(saConfig, '-n', 'shop', 'get', 'deployments', '-o', 'wide');
    expect(wide.status).toBe(0);
    const [header, row] = wide.stdout.trim().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(row.split(/\s+/)).toEqual(['web', '2/2', '2', '2', expect.stringMatching(/^\d+s$/), 'web', 'registry.example/web:1', 'app=web']);
    const pods = await kubectl(saConfig, '-n', 'shop', 'get', 'pods');
    expect(pods.stdout.split('\n')[0].split(/\s{2,}/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(
      pods.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/\s+/).slice(1, 3)),
    ).toEqual([
      ['1/1', 'Running'],
      ['1/1', 'Running'],
    ]);

    // The scale subresource, as `kubectl scale` (and an HPA) use it; the admin may, the deployer may not.
    expect(await kubectl(adminConfig, '-n', 'shop', 'scale', 'deployment/web', '--replicas=3')).toMatchObject({
      status: 0,
      stdout: 'deployment.apps/web scaled\n',
    });
    expect(sim.object('Deployment', 'shop', 'web')?.spec).toMatchObject({ replicas: 3 });
    const scaleRefused = await kubectl(saConfig, '-n', 'shop', 'scale', 'deployment/web', '--replicas=1');
    expect(scaleRefused.status).toBe(1);
    expect(scaleRefused.stderr).toContain('cannot patch resource "deployments/scale" in API group "apps" in the namespace "shop"');

    const refused = await kubectl(
      saConfig,
      '-n',
      'locked',
      'apply',
      '--server-side',
      '--validate=false',
      '--field-manager=switchyard',
      '-f',
      join(dir, 'web.json'),
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      'Error from server (Forbidden): deployments.apps "web" is forbidden: User "system:serviceaccount:switchyard:switchyard" cannot create resource "deployments" in API group "apps" in the namespace "locked"',
    );
    expect(sim.object('Deployment', 'locked', 'web')).toBeUndefined();
  });

  it('rolls back with `rollout undo` to the previous revision, and shows what happened as events', async () => {
    const image = () => (sim.object('Deployment', 'shop', 'api')?.spec as any).template.spec.containers[0].image as string;
    for (const n of [1, 2]) {
      const applied = await kubectl(adminConfig, '-n', 'shop', 'apply', '--server-side', '--validate=false', '-f', join(dir, `api-${n}.json`));
      expect(applied).toMatchObject({ status: 0, stderr: '' });
      expect((await kubectl(adminConfig, '-n', 'shop', 'rollout', 'status', 'deployment/api', '--timeout=20s')).stdout).toContain(
        'deployment "api" successfully rolled out',
      );
    }
    expect(image()).toBe('registry.example/api:2');

    // kubectl reads the revisions from the Deployment's ReplicaSets (deployment.kubernetes.io/revision).
    const history = await kubectl(adminConfig, '-n', 'shop', 'rollout', 'history', 'deployment/api');
    expect(history.status).toBe(0);
    expect(
      history.stdout
        .split('\n')
        .filter((line) => /^\d+\s/.test(line))
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(['1', '2']);

    // …and patches the pod template of the previous one back onto the Deployment.
    const undone = await kubectl(adminConfig, '-n', 'shop', 'rollout', 'undo', 'deployment/api');
    expect(undone).toMatchObject({ status: 0, stdout: 'deployment.apps/api rolled back\n' });
    expect((await kubectl(adminConfig, '-n', 'shop', 'rollout', 'status', 'deployment/api', '--timeout=20s')).stdout).toContain(
      'deployment "api" successfully rolled out',
    );
    expect(image()).toBe('registry.example/api:1');
    // Revision 1's ReplicaSet is reused as revision 3, as the deployment controller does.
    const replicaSets = sim.objects('ReplicaSet', 'shop').filter((rs: any) => rs.metadata.labels.app === 'api') as any[];
    expect(replicaSets).toHaveLength(2);
    const revisions = replicaSets.map((rs) => [
      rs.spec.template.spec.containers[0].image,
      rs.metadata.annotations['deployment.kubernetes.io/revision'],
      rs.spec.replicas,
    ]);
    expect(revisions.sort()).toEqual([
      ['registry.example/api:1', '3', 2],
      ['registry.example/api:2', '2', 0],
    ]);
    const after = await kubectl(adminConfig, '-n', 'shop', 'rollout', 'history', 'deployment/api');
    expect(
      after.stdout
        .split('\n')
        .filter((line) => /^\d+\s/.test(line))
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(['2', '3']);

    // The controllers' events, as `kubectl get events` and `kubectl describe` print them.
    const events = await kubectl(adminConfig, '-n', 'shop', 'get', 'events');
    expect(events.status).toBe(0);
    const lines = events.stdout.trim().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    const api2 = replicaSets.find((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'] === '2').metadata.name;
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`Normal\\s+ScalingReplicaSet\\s+deployment/api\\s+Scaled down replica set ${api2} to 0 from \\d`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(/Normal\s+SuccessfulCreate\s+replicaset\/api-\w+\s+Created pod: api-\w+-\w+/));
    expect(lines).toContainEqual(expect.stringMatching(/Normal\s+Started\s+pod\/api-\w+-\w+\s+Started container web/));
    const described = await kubectl(adminConfig, '-n', 'shop', 'describe', 'deployment', 'api');
    expect(described.status).toBe(0);
    const section = described.stdout.slice(described.stdout.indexOf('Events:'));
    expect(section).toMatch(/Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set api-\w+ to 2 from 0/);
    // Only this Deployment's events: describe selects them by involvedObject.
    expect(section).not.toContain('deployment/web');
    expect(section).not.toContain('SuccessfulCreate');
  });
});
