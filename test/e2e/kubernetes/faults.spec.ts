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

const RELEASES = 20;

/**
 * A flaky API server: one request in ten has its connection reset, and every watch is cut within
 * a second. Retries with backoff and re-list + re-watch must carry every release through;
 * nothing may be read as "gone" and rolled back.
 */
describe('rollouts against an API server that resets connections and drops watches', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let sim: KubeSimulator;
  let server: TestServer;
  let api: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  let registry: PrivateRegistry;

  beforeAll(async () => {
    // Pods take most of a second to start, so every wait spans watch drops.
    [cluster, registry] = await Promise.all([startCluster(800), startRegistry()]);
    sim = cluster.sim;
    server = await startTestServer({ redis: 'none', env: { KUBECONFIG: cluster.kubeconfig, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' } });
    api = new ApiClient(server.url, server.adminToken);
    ci = api.withToken(await api.token_('ci', ['deploy']));
    approver = api.withToken(await api.token_('release-manager', ['approve']));
    await registerPolicy(api, 'orders');
  });
  afterAll(async () => {
    sim?.injectFaults(undefined);
    await server?.close();
    await Promise.all([cluster?.dispose(), registry?.stop()]);
  });

  it(`takes ${RELEASES} releases in a row to production, none rolled back`, async () => {
    sim.injectFaults({ resetRate: 0.1, dropWatchesWithinMs: 1000 });
    const started = Date.now();
    for (let n = 1; n <= RELEASES; n++) {
      const id = await publishRelease(ci, 'orders', `main.${n}`, digest(n), pipelineFor('orders'), manifestsFor('orders'));
      expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
      await rolloutOf(api, id, atGate('production'), `release ${n} at the gate`, 30_000);
      expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment: `ship ${n}` })).status).toBe(200);
      const done = await rolloutOf(api, id, ended, `release ${n} to finish`, 30_000);
      expect({ n, status: done.status }).toEqual({ n, status: 'succeeded' });
      expect(done.steps.filter((s: any) => s.kind === 'rollback' && s.status !== 'skipped' && s.status !== 'pending')).toEqual([]);
      expect(imageIn(sim, 'orders-prod', 'orders')).toBe(`${repositoryOf('orders')}@${digest(n)}`);
    }
    const elapsed = Date.now() - started;
    const counts = { ...sim.faults.counts };
    sim.injectFaults(undefined);
    process.stdout.write(
      `figure: ${RELEASES} releases through a flaky API server in ${Math.round(elapsed / 1000)} s (${counts.resets} connections reset, ${counts.watchesDropped} watches dropped, ${sim.requests.length} requests)\n`,
    );
    // The faults did happen: otherwise this test shows nothing.
    expect(counts.resets).toBeGreaterThan(10);
    expect(counts.watchesDropped).toBeGreaterThan(0);
  }, 600_000);
});
