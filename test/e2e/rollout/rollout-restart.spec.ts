import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dropSchema } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import { FixtureExporter, PrivatePrometheus } from '../../support/prometheus';
import { requireTool } from '../../support/system-tool';
import { newTestDatabase, startTestServer, waitFor, type TestServer } from '../../support/test-server';
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
} from './rollout-fixture';

const ready = requireTool('prometheus', 'prometheus');

(ready ? describe : describe.skip)('a server restart in the middle of a canary analysis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let exporter: FixtureExporter;
  let prometheus: PrivatePrometheus;
  let registry: PrivateRegistry;

  beforeAll(async () => {
    [cluster, exporter, registry] = await Promise.all([startCluster(), FixtureExporter.start(), startRegistry()]);
    prometheus = await PrivatePrometheus.start([exporter.target]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([cluster?.dispose(), prometheus?.stop(), exporter?.stop(), registry?.stop()]);
  });

  it('resumes the analysis from its recorded iteration on the restarted server, without redeploying the canary', async () => {
    const service = 'restart-demo';
    const database = newTestDatabase();
    const adminToken = `sy_test_${randomBytes(18).toString('base64url')}`;
    const env = {
      KUBECONFIG: cluster.kubeconfig,
      PROMETHEUS_URL: prometheus.url,
      ROLLOUT_POLL_INTERVAL: '200ms',
      ROLLOUT_LEASE: '5s',
      SWITCHYARD_ADMIN_TOKEN: adminToken,
    };
    const pipeline = pipelineFor(service, { canary: { interval: '1s', iterations: 4, minSamples: 20 } });
    exporter.setTraffic(service, 'stable', { rps: 200, errorRate: 0 });
    exporter.setTraffic(service, 'canary', { rps: 200, errorRate: 0 });
    const open = new Set<TestServer>();
    try {
      const first = await startTestServer({ redis: 'none', database, env });
      open.add(first);
      let admin = new ApiClient(first.url, adminToken);
      const ciToken = await admin.token_('ci-jenkins', ['deploy']);
      const ci = admin.withToken(ciToken);
      // Four-eyes: not the admin token that created the CI token, but another approver.
      const approver = admin.withToken(await admin.token_('release-manager', ['approve']));
      await registerPolicy(admin, service);
      const go = async (id: string) => {
        expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
        await rolloutOf(admin, id, atGate('production'), 'the gate');
        expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment: 'go' })).status).toBe(200);
      };
      const base = await publishRelease(ci, service, 'main.1', digest(1), pipeline, manifestsFor(service));
      await go(base);
      expect((await rolloutOf(admin, base, ended, 'the first release')).status).toBe('succeeded');
      await prometheus.waitForValue(`sum(increase(http_requests_total{service="${service}",track="canary"}[1m]))`, (v) => v >= 20);

      const id = await publishRelease(ci, service, 'main.2', digest(2), pipeline, manifestsFor(service));
      await go(id);
      const rolloutId = (await admin.get(`/api/v1/releases/${id}/rollout`)).body.id as string;
      await waitFor(
        async () => ((await admin.get(`/api/v1/rollouts/${rolloutId}/measurements`)).body.environments[0]?.measurements.length ?? 0) >= 1,
        15_000,
        'the first measurement',
      );
      const before = (await admin.get(`/api/v1/releases/${id}/rollout`)).body;
      expect(before.steps[3]).toMatchObject({ kind: 'analysis', status: 'running' });

      // The server stops mid-analysis (its lease is handed back on the way out) and another starts on the same database.
      await first.close();
      open.delete(first);
      const second = await startTestServer({ redis: 'none', database, env });
      open.add(second);
      admin = new ApiClient(second.url, adminToken);

      const done = await rolloutOf(admin, id, ended, 'the resumed rollout', 30_000);
      expect(done.status).toBe('succeeded');
      expect(done.verdict).toMatchObject({ verdict: 'Successful', iterations: 4 });
      // Same analysis step, resumed: not restarted, and every iteration measured exactly once.
      expect(done.steps[3].startedAt).toBe(before.steps[3].startedAt);
      const measurements = (await admin.get(`/api/v1/rollouts/${rolloutId}/measurements`)).body.environments[0].measurements;
      expect(measurements.map((m: any) => m.iteration)).toEqual([1, 2, 3, 4]);
      const gaps = measurements.slice(1).map((m: any, i: number) => Date.parse(m.measuredAt) - Date.parse(measurements[i].measuredAt));
      process.stdout.write(
        `restart: measurement gaps ${gaps.join(', ')} ms (interval 1000 ms, server restarted after iteration ${before.steps[3].message?.match(/iteration (\d+)/)?.[1]})\n`,
      );
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(900);
      // The canary was deployed once, before the restart.
      const applied = (await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${service}/${id}`)}&action=rollout.applied&limit=50`)).body.items;
      expect(applied.filter((e: any) => e.meta.step === 'canary')).toHaveLength(1);
      expect(imageIn(cluster.sim, `${service}-prod`, service)).toBe(`${repositoryOf(service)}@${digest(2)}`);
      expect(cluster.sim.object('Deployment', `${service}-prod`, `${service}-canary`)).toBeUndefined();
    } finally {
      for (const server of open) await server.close();
      if (database.url) await dropSchema(database.url, database.schema);
      rmSync(database.dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
