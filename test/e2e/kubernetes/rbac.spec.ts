import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@switchyard/deploy';
import { ApiClient } from '../../support/api-client';
import type { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { startTestServer, type TestServer } from '../../support/test-server';
import type { PrivateRegistry } from '../deploy/private-registry';
import {
  atGate,
  digest,
  ended,
  imageIn,
  manifestsFor,
  pipelineFor,
  publishRelease,
  registerPolicy,
  repositoryOf,
  rolloutOf,
  startCluster,
  startRegistry,
} from '../rollout/rollout-fixture';
import { adminClient, applyShippedRbac, writeServiceAccountKubeconfig } from './kube-fixture';

/**
 * The server runs as ServiceAccount switchyard/switchyard with exactly deploy/rbac applied, in a
 * simulator that enforces RBAC as the API server does: what a real cluster would accept or refuse.
 */
describe('rollouts under the shipped RBAC', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let sim: KubeSimulator;
  let admin: KubeClient;
  let server: TestServer;
  let api: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  let registry: PrivateRegistry;
  let dir: string;

  const release = (service: string, n: number) => publishRelease(ci, service, `main.${n}`, digest(n), pipelineFor(service), manifestsFor(service));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-rbac-'));
    [cluster, registry] = await Promise.all([startCluster(), startRegistry()]);
    sim = cluster.sim;
    admin = adminClient(sim, dir);
    await applyShippedRbac(admin, ['ledger-staging', 'ledger-prod']);
    await applyShippedRbac(admin, ['audit-staging', 'audit-prod'], { withoutVerb: 'create' });
    server = await startTestServer({
      redis: 'none',
      env: { KUBECONFIG: writeServiceAccountKubeconfig(sim, dir), ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' },
    });
    api = new ApiClient(server.url, server.adminToken);
    ci = api.withToken(await api.token_('ci', ['deploy']));
    approver = api.withToken(await api.token_('release-manager', ['approve']));
    for (const service of ['ledger', 'audit']) await registerPolicy(api, service);
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([cluster?.dispose(), registry?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a first and a second release to production with nothing refused', async () => {
    const from = sim.requests.length;
    for (const n of [1, 2]) {
      const id = await release('ledger', n);
      expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
      await rolloutOf(api, id, atGate('production'), `ledger ${n} at the gate`);
      // The approver's plan is a server-side dry run: it needs patch (and create for what is new) too.
      const plan = await api.post(`/api/v1/releases/${id}/plan`, {});
      expect(plan.status).toBe(200);
      expect(JSON.stringify(plan.body)).not.toContain('forbidden');
      expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment: 'ship' })).status).toBe(200);
      expect((await rolloutOf(api, id, ended, `ledger ${n} done`)).status).toBe('succeeded');
      expect(imageIn(sim, 'ledger-prod', 'ledger')).toBe(`${repositoryOf('ledger')}@${digest(n)}`);
    }
    const refused = sim.requests.slice(from).filter((r) => r.status === 401 || r.status === 403);
    expect(refused).toEqual([]);
  });

  it('without `create` fails at once, naming the verb and the resource, and retries nothing', async () => {
    const from = sim.requests.length;
    const id = await release('audit', 1);
    const started = Date.now();
    expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
    const done = await rolloutOf(api, id, ended, 'the refused rollout');
    const elapsed = Date.now() - started;
    expect(done.status).toBe('failed');
    const text = JSON.stringify(done);
    expect(text).toMatch(
      /(deployments\.apps \\"audit\\"|services \\"audit\\") is forbidden: User \\"system:serviceaccount:switchyard:switchyard\\" cannot create resource \\"(deployments|services)\\" in API group \\"(apps)?\\" in the namespace \\"audit-staging\\"/,
    );
    // At once: one refused request, no backoff (a 403 is not transient).
    const refused = sim.requests.slice(from).filter((r) => r.status === 403);
    expect(refused).toHaveLength(1);
    expect(elapsed).toBeLessThan(5000);
    // Nothing was created, so there is nothing to roll back.
    expect(sim.objects('Deployment', 'audit-staging')).toEqual([]);
    expect(sim.objects('Service', 'audit-staging')).toEqual([]);
  });
});
