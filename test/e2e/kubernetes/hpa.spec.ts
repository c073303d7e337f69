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
import { adminClient } from './kube-fixture';

/** A Deployment scaled by a HorizontalPodAutoscaler: a release changes its image and leaves its replica count alone. */
describe('an autoscaled Deployment through a release', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let sim: KubeSimulator;
  let admin: KubeClient;
  let server: TestServer;
  let api: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  let registry: PrivateRegistry;
  let dir: string;

  const service = 'catalog';
  const manifests = () => [
    ...manifestsFor(service, { replicas: 2 }),
    ...['staging', 'production'].map((environment) => ({
      environment,
      file: `deploy/${environment}/hpa.yaml`,
      object: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: service },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: service },
          minReplicas: 2,
          maxReplicas: 10,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        },
      },
    })),
  ];
  const toProduction = async (n: number) => {
    const id = await publishRelease(ci, service, `main.${n}`, digest(n), pipelineFor(service), manifests());
    expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
    await rolloutOf(api, id, atGate('production'), `release ${n} at the gate`);
    expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment: 'ship' })).status).toBe(200);
    expect((await rolloutOf(api, id, ended, `release ${n}`)).status).toBe('succeeded');
  };
  /** What the HPA controller does when load rises: an Update of the scale subresource, as kube-controller-manager. */
  const autoscale = async (namespace: string, replicas: number) => {
    const res = await fetch(`${sim.url}/apis/apps/v1/namespaces/${namespace}/deployments/${service}/scale?fieldManager=kube-controller-manager`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: service, namespace }, spec: { replicas } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { spec: { replicas: number } }).spec.replicas).toBe(replicas);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-hpa-'));
    [cluster, registry] = await Promise.all([startCluster(), startRegistry()]);
    sim = cluster.sim;
    admin = adminClient(sim, dir);
    server = await startTestServer({ redis: 'none', env: { KUBECONFIG: cluster.kubeconfig, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' } });
    api = new ApiClient(server.url, server.adminToken);
    ci = api.withToken(await api.token_('ci', ['deploy']));
    approver = api.withToken(await api.token_('release-manager', ['approve']));
    await registerPolicy(api, service);
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([cluster?.dispose(), registry?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the replica count the autoscaler set, at every moment of the release', async () => {
    await toProduction(1);
    await autoscale(`${service}-prod`, 6);
    await autoscale(`${service}-staging`, 4);

    // Every state of the production Deployment during the next release, as a watch sees it.
    const seen: number[] = [];
    const stop = new AbortController();
    const live = await admin.list({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `${service}-prod` }, { fieldSelector: `metadata.name=${service}` });
    const watching = admin.watch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: `${service}-prod` },
      { fieldSelector: `metadata.name=${service}`, resourceVersion: live.resourceVersion, signal: stop.signal },
      (event) => seen.push(Number(event.object.spec?.replicas)),
    );
    await toProduction(2);
    stop.abort();
    await watching;

    expect(imageIn(sim, `${service}-prod`, service)).toBe(`${repositoryOf(service)}@${digest(2)}`);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([6]));
    expect(sim.object('Deployment', `${service}-prod`, service)?.spec).toMatchObject({ replicas: 6 });
    expect(sim.object('Deployment', `${service}-staging`, service)?.spec).toMatchObject({ replicas: 4 });
    // The autoscaler owns the count; Switchyard owns the rest of what it applies.
    const owners = (sim.object('Deployment', `${service}-prod`, service)?.metadata as any).managedFields as Array<{ manager: string; fieldsV1: any }>;
    expect(owners.find((m) => m.manager === 'switchyard')?.fieldsV1?.['f:spec']?.['f:replicas']).toBeUndefined();
    expect(owners.find((m) => m.manager === 'kube-controller-manager')?.fieldsV1?.['f:spec']?.['f:replicas']).toBeDefined();
  });
});
