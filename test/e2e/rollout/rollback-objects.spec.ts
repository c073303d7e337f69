import { Database } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import type { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { FixtureExporter, PrivatePrometheus } from '../../support/prometheus';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import {
  atGate,
  digest,
  ended,
  imageIn,
  pipelineFor,
  publishRelease,
  registerPolicy,
  repositoryOf,
  rolloutOf,
  startCluster,
  startRegistry,
  WebhookReceiver,
} from './rollout-fixture';
import type { PrivateRegistry } from '../deploy/private-registry';

const ready = requireTool('prometheus', 'prometheus');

/** The Secret's value in release n: long and unique, so finding it anywhere in a response is meaningful. */
const password = (service: string, n: number) => `pw-${service}-release-${n}-c0rrect-h0rse`;
const base64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * Release n's manifests for both environments: a ConfigMap and a Secret the Deployment reads, and
 * from release 2 on a Service too (the object a rollback to release 1 must delete).
 */
function manifests(service: string, n: number): any[] {
  return ['staging', 'production'].flatMap((environment) => [
    {
      environment,
      file: `deploy/${environment}/config.yaml`,
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${service}-settings` },
        data: n === 1 ? { mode: 'careful' } : { mode: `bold-${n}`, 'added-in': String(n) },
      },
    },
    {
      environment,
      file: `deploy/${environment}/secret.yaml`,
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${service}-credentials` },
        type: 'Opaque',
        data: { password: base64(password(service, n)) },
      },
    },
    {
      environment,
      file: `deploy/${environment}/deployment.yaml`,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: service, labels: { app: service, track: 'stable' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: service, track: 'stable' } },
          template: {
            metadata: { labels: { app: service, track: 'stable' } },
            spec: {
              containers: [
                {
                  name: service,
                  image: `${repositoryOf(service)}:latest`,
                  envFrom: [{ configMapRef: { name: `${service}-settings` } }, { secretRef: { name: `${service}-credentials` } }],
                },
              ],
            },
          },
        },
      },
    },
    ...(n >= 2
      ? [
          {
            environment,
            file: `deploy/${environment}/service.yaml`,
            object: {
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: service },
              spec: { selector: { app: service }, ports: [{ port: 80, targetPort: 8080 }] },
            },
          },
        ]
      : []),
  ]);
}

/**
 * Rollback restores every object the release applied, not only its Deployments, and deletes what
 * the newer release created; Secrets are restored with their values, which no API response shows.
 */
(ready ? describe : describe.skip)('rollback restores every object of the release', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let sim: KubeSimulator;
  let hooks: WebhookReceiver;
  let exporter: FixtureExporter;
  let prometheus: PrivatePrometheus;
  let server: TestServer;
  let admin: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  let registry: PrivateRegistry;
  /** Every body the rollout and environment endpoints answered, for the Secret check. */
  const seen: string[] = [];

  const canary = { interval: '1s', iterations: 2, minSamples: 20, failureLimit: 0 };
  const image = (service: string, n: number) => `${repositoryOf(service)}@${digest(n)}`;
  const release = (service: string, n: number, withCanary: boolean) =>
    publishRelease(ci, service, `main.${n}`, digest(n), pipelineFor(service, withCanary ? { canary } : {}), manifests(service, n));
  const get = async (path: string) => {
    const res = await admin.get(path);
    seen.push(JSON.stringify(res.body));
    return res.body;
  };
  const watch = async (id: string, accept: (rollout: any) => boolean, what: string) => {
    const rollout = await rolloutOf(admin, id, accept, what);
    seen.push(JSON.stringify(rollout));
    return rollout;
  };
  const start = async (id: string) => {
    const res = await ci.post(`/api/v1/releases/${id}/rollout`, {});
    expect(res.status).toBe(201);
    seen.push(JSON.stringify(res.body));
    return res.body;
  };
  const approve = async (id: string) => {
    const res = await approver.post(`/api/v1/releases/${id}/approve`, { comment: 'ship it' });
    expect(res.status).toBe(200);
    seen.push(JSON.stringify(res.body));
  };
  const toProduction = async (service: string, n: number, withCanary: boolean) => {
    const id = await release(service, n, withCanary);
    await start(id);
    await watch(id, atGate('production'), `release ${n} at the gate`);
    await approve(id);
    expect((await watch(id, ended, `release ${n}`)).status).toBe('succeeded');
    return id;
  };
  const configIn = (namespace: string, service: string) => (sim.object('ConfigMap', namespace, `${service}-settings`) as any)?.data;
  const passwordIn = (namespace: string, service: string) => {
    const secret = sim.object('Secret', namespace, `${service}-credentials`) as any;
    return secret?.data?.password ? Buffer.from(secret.data.password, 'base64').toString() : undefined;
  };
  /** No release's Secret value, plain or base64, in anything the API or a webhook said. */
  const expectNoSecretValues = async (service: string) => {
    await get(`/api/v1/services/${service}/environments`);
    await get(`/api/v1/services/${service}/environments/production`);
    await get(`/api/v1/services/${service}/environments/staging`);
    const rollouts = await get(`/api/v1/rollouts?service=${service}&limit=50`);
    for (const rollout of rollouts.items) await get(`/api/v1/rollouts/${rollout.id}`);
    const said = [...seen, ...hooks.received.map((e) => JSON.stringify(e))].join('\n');
    for (const n of [1, 2]) {
      expect(said).not.toContain(password(service, n));
      expect(said).not.toContain(base64(password(service, n)));
    }
  };

  beforeAll(async () => {
    [cluster, hooks, exporter, registry] = await Promise.all([startCluster(), WebhookReceiver.start(), FixtureExporter.start(), startRegistry()]);
    sim = cluster.sim;
    prometheus = await PrivatePrometheus.start([exporter.target]);
    server = await startTestServer({
      redis: 'none',
      env: { KUBECONFIG: cluster.kubeconfig, PROMETHEUS_URL: prometheus.url, WEBHOOK_URLS: hooks.url, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s', SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') },
    });
    admin = new ApiClient(server.url, server.adminToken);
    ci = admin.withToken(await admin.token_('ci-jenkins', ['deploy']));
    approver = admin.withToken(await admin.token_('release-manager', ['approve']));
    for (const service of ['billing', 'search', 'pricing', 'ledger']) await registerPolicy(admin, service);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await Promise.all([cluster?.dispose(), hooks?.stop(), prometheus?.stop(), exporter?.stop(), registry?.stop()]);
  });

  it('a manual rollback to release 1 re-applies its ConfigMap and Secret and deletes the Service release 2 added', async () => {
    const service = 'billing';
    const namespace = `${service}-prod`;
    const first = await toProduction(service, 1, false);
    const second = await toProduction(service, 2, false);
    expect(configIn(namespace, service)).toEqual({ mode: 'bold-2', 'added-in': '2' });
    expect(passwordIn(namespace, service)).toBe(password(service, 2));
    expect(sim.object('Service', namespace, service)).toBeDefined();
    // The rollout still shows its plan, with the Secret's keys and a hash of each value in place of the value.
    const shown = (await get(`/api/v1/releases/${second}/rollout`)).plan.environments[1].objects.find((o: any) => o.kind === 'Secret');
    expect(shown.data).toEqual({ password: expect.stringMatching(/^sha256:[0-9a-f]{16}$/) });

    const requested = await approver.post(`/api/v1/services/${service}/environments/production/rollback`, { reason: 'release 2 config is wrong' });
    expect(requested.status).toBe(202);
    seen.push(JSON.stringify(requested.body));
    const done = await waitFor(
      async () => {
        const rollout = await get(`/api/v1/rollouts/${requested.body.id}`);
        return ['succeeded', 'failed'].includes(rollout.status) ? rollout : undefined;
      },
      20_000,
      'the rollback',
    );
    expect(done.status).toBe('succeeded');
    expect(done.steps[0].detail).toMatchObject({
      reapplied: [`ConfigMap/${service}-settings`, `Secret/${service}-credentials`],
      removed: [`Service/${service}`],
    });
    expect(done.steps[0].message).toMatch(/^restored main\.1 .*; deleted Service\/billing$/);

    // Release 1's objects as they were: data, the key release 2 added gone, the Secret's value, the annotations.
    expect(imageIn(sim, namespace, service)).toBe(image(service, 1));
    expect(configIn(namespace, service)).toEqual({ mode: 'careful' });
    expect(passwordIn(namespace, service)).toBe(password(service, 1));
    expect(sim.object('ConfigMap', namespace, `${service}-settings`)?.metadata).toMatchObject({
      annotations: { 'switchyard.dev/release': first, 'switchyard.dev/version': 'main.1' },
    });
    expect(sim.object('Service', namespace, service)).toBeUndefined();
    // Staging was not part of the rollback.
    expect(sim.object('Service', `${service}-staging`, service)).toBeDefined();

    const environment = await get(`/api/v1/services/${service}/environments/production`);
    expect(environment.current).toMatchObject({ kind: 'rollback', releaseId: first });
    // The history shows which Secret a release carried (keys only) and where its values are kept.
    expect(environment.current.objects.find((o: any) => o.kind === 'Secret')).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: expect.objectContaining({ name: `${service}-credentials` }),
      type: 'Opaque',
      keys: ['password'],
      valuesFrom: { rolloutId: expect.any(String), environment: 'production' },
    });
    const audit = await admin.get(`/api/v1/audit?target=${encodeURIComponent(`environment:${service}/production`)}&action=environment.rolled-back`);
    expect(audit.body.items[0].after).toMatchObject({ releaseId: first, version: 'main.1' });
    expect(audit.body.items[0].meta).toMatchObject({
      reapplied: [`ConfigMap/${service}-settings`, `Secret/${service}-credentials`],
      removed: [`Service/${service}`],
    });
    seen.push(JSON.stringify(audit.body));
    await expectNoSecretValues(service);
  });

  it('an automatic rollback after a failed promote in the canary environment restores the config and deletes the new Service', async () => {
    const service = 'search';
    const namespace = `${service}-prod`;
    exporter.setTraffic(service, 'stable', { rps: 200, errorRate: 0 });
    exporter.setTraffic(service, 'canary', { rps: 200, errorRate: 0 });
    const first = await toProduction(service, 1, true);
    const id = await release(service, 2, true);
    await start(id);
    await watch(id, atGate('production'), 'release 2 at the gate');
    await prometheus.waitForValue(`sum(increase(http_requests_total{service="${service}",track="canary"}[1m]))`, (v) => v >= 20);
    await approve(id);
    // The canary passes; the stable track's new pods then crash, so the promote fails after it applied everything.
    await watch(id, (r) => r.steps[3]?.status === 'running', 'the analysis');
    expect(configIn(namespace, service)).toEqual({ mode: 'careful' });
    sim.setImageBehaviour(image(service, 2), 'crash');
    const failed = await watch(id, ended, 'the failed promote');
    expect(failed.status).toBe('failed');
    expect(failed.steps.map((s: any) => `${s.kind}:${s.environment}:${s.status}`)).toEqual([
      'deploy:staging:succeeded',
      'gate:production:succeeded',
      'canary:production:succeeded',
      'analysis:production:succeeded',
      'promote:production:failed',
      'rollback:production:succeeded',
    ]);
    expect(failed.steps[5].detail).toMatchObject({
      reapplied: [`ConfigMap/${service}-settings`, `Secret/${service}-credentials`],
      removed: [`Service/${service}`],
    });
    await waitFor(() => imageIn(sim, namespace, service) === image(service, 1) || undefined, 5000, 'production back on release 1');
    expect(configIn(namespace, service)).toEqual({ mode: 'careful' });
    expect(passwordIn(namespace, service)).toBe(password(service, 1));
    expect(sim.object('Service', namespace, service)).toBeUndefined();
    expect(sim.object('Deployment', namespace, `${service}-canary`)).toBeUndefined();
    expect((await get(`/api/v1/services/${service}/environments/production`)).current).toMatchObject({ kind: 'rollback', releaseId: first });
    await hooks.waitFor('rollback', (e) => e.rolloutId === failed.id && e.event === 'rollout.rolled-back');
    await expectNoSecretValues(service);
  });

  it('a failed canary leaves the stable objects alone: release 1 config stays, no Service appears, the canary is gone', async () => {
    const service = 'pricing';
    const namespace = `${service}-prod`;
    exporter.setTraffic(service, 'stable', { rps: 200, errorRate: 0 });
    exporter.setTraffic(service, 'canary', { rps: 200, errorRate: 0 });
    await toProduction(service, 1, true);
    const id = await release(service, 2, true);
    await start(id);
    await watch(id, atGate('production'), 'release 2 at the gate');
    // Staging ran release 2 fine; in production its canary crash-loops.
    sim.setImageBehaviour(image(service, 2), 'crash');
    await approve(id);
    const failed = await watch(id, ended, 'the failed canary');
    expect(failed.status).toBe('failed');
    expect(failed.steps.map((s: any) => `${s.kind}:${s.environment}:${s.status}`)).toEqual([
      'deploy:staging:succeeded',
      'gate:production:succeeded',
      'canary:production:failed',
      'analysis:production:pending',
      'promote:production:pending',
      'rollback:production:succeeded',
    ]);
    // The canary step applies only <primary>-canary: release 2's ConfigMap, Secret and Service never reached production.
    expect(configIn(namespace, service)).toEqual({ mode: 'careful' });
    expect(passwordIn(namespace, service)).toBe(password(service, 1));
    expect(sim.object('Service', namespace, service)).toBeUndefined();
    expect(sim.object('Deployment', namespace, `${service}-canary`)).toBeUndefined();
    expect(imageIn(sim, namespace, service)).toBe(image(service, 1));
    expect(configIn(`${service}-staging`, service)).toEqual({ mode: 'bold-2', 'added-in': '2' });
    await expectNoSecretValues(service);
  });

  it('history recorded before objects were kept rolls back its Deployments only, as before', async () => {
    const service = 'ledger';
    const namespace = `${service}-prod`;
    await toProduction(service, 1, false);
    await toProduction(service, 2, false);
    // What rows written before migration 1764340000000 look like.
    await server.app.get(Database).transaction((manager) => manager.query(`UPDATE environment_deployments SET objects = NULL WHERE service = $1`, [service]));
    const requested = await approver.post(`/api/v1/services/${service}/environments/production/rollback`, { reason: 'legacy history' });
    expect(requested.status).toBe(202);
    const done = await waitFor(
      async () => {
        const rollout = await get(`/api/v1/rollouts/${requested.body.id}`);
        return ['succeeded', 'failed'].includes(rollout.status) ? rollout : undefined;
      },
      20_000,
      'the rollback',
    );
    expect(done.status).toBe('succeeded');
    expect(done.steps[0].detail).toMatchObject({ reapplied: [], removed: [] });
    expect(imageIn(sim, namespace, service)).toBe(image(service, 1));
    // Nothing recorded says what release 1's config was, so it is left as it is rather than guessed.
    expect(configIn(namespace, service)).toEqual({ mode: 'bold-2', 'added-in': '2' });
    expect(sim.object('Service', namespace, service)).toBeDefined();
    const environment = await get(`/api/v1/services/${service}/environments/production`);
    expect(environment.current).toMatchObject({ kind: 'rollback', version: 'main.1' });
    expect(environment.current.objects).toBeUndefined();
  });
});
