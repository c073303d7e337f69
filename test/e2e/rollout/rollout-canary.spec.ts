import { ApiClient } from '../../support/api-client';
import type { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { FixtureExporter, PrivatePrometheus } from '../../support/prometheus';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
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
  requestSummary,
  rolloutOf,
  startCluster,
  startRegistry,
  WebhookReceiver,
} from './rollout-fixture';
import type { PrivateRegistry } from '../deploy/private-registry';

const ready = requireTool('prometheus', 'prometheus');

/**
 * Canary analysis against a real Prometheus (scraping every second a fixture exporter whose
 * canary and stable series the tests control) and the Kubernetes simulator.
 */
(ready ? describe : describe.skip)('canary rollouts with automated analysis', () => {
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

  const canary = { interval: '1s', iterations: 2, minSamples: 20, failureLimit: 0 };
  const image = (service: string, n: number) => `${repositoryOf(service)}@${digest(n)}`;
  const release = (service: string, n: number) => publishRelease(ci, service, `main.${n}`, digest(n), pipelineFor(service, { canary }), manifestsFor(service));
  const start = async (id: string) => {
    const res = await ci.post(`/api/v1/releases/${id}/rollout`, {});
    expect(res.status).toBe(201);
    return res.body;
  };
  const approve = async (id: string, comment: string) => {
    const res = await approver.post(`/api/v1/releases/${id}/approve`, { comment });
    expect(res.status).toBe(200);
    return res.body;
  };
  /** The first release of a service: no stable Deployment yet, so production skips the canary. */
  const firstRelease = async (service: string) => {
    const id = await release(service, 1);
    await start(id);
    await rolloutOf(admin, id, atGate('production'), 'the first release at the gate');
    await approve(id, 'first deploy');
    const done = await rolloutOf(admin, id, ended, 'the first release');
    expect(done.status).toBe('succeeded');
    expect(done.steps.filter((s: any) => s.status === 'skipped').map((s: any) => [s.kind, s.message])).toEqual([
      ['canary', `no stable Deployment ${service} in ${service}-prod yet: first deploy, nothing to compare a canary with`],
      ['analysis', `no stable Deployment ${service} in ${service}-prod yet: first deploy, nothing to compare a canary with`],
    ]);
    return id;
  };
  const samples = (service: string) => `sum(increase(http_requests_total{service="${service}",track="canary"}[1m]))`;
  const errorRate = (service: string, track: string) =>
    `sum(rate(http_requests_total{service="${service}",track="${track}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="${service}",track="${track}"}[1m]))`;

  beforeAll(async () => {
    [cluster, hooks, exporter, registry] = await Promise.all([startCluster(), WebhookReceiver.start(), FixtureExporter.start(), startRegistry()]);
    sim = cluster.sim;
    prometheus = await PrivatePrometheus.start([exporter.target]);
    server = await startTestServer({
      redis: 'none',
      env: { KUBECONFIG: cluster.kubeconfig, PROMETHEUS_URL: prometheus.url, WEBHOOK_URLS: hooks.url, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' },
    });
    admin = new ApiClient(server.url, server.adminToken);
    ci = admin.withToken(await admin.token_('ci-jenkins', ['deploy']));
    approver = admin.withToken(await admin.token_('release-manager', ['approve']));
    for (const service of ['quotes', 'orders', 'alerts']) await registerPolicy(admin, service);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await Promise.all([cluster?.dispose(), hooks?.stop(), prometheus?.stop(), exporter?.stop(), registry?.stop()]);
  });

  it('promotes a good canary: canary deployed, measured every interval, verdict Successful, stable updated, canary removed', async () => {
    const service = 'quotes';
    exporter.setTraffic(service, 'stable', { rps: 200, errorRate: 0 });
    exporter.setTraffic(service, 'canary', { rps: 200, errorRate: 0 });
    await firstRelease(service);
    const id = await release(service, 2);
    const requestsBefore = sim.requests.length;
    const rollout = await start(id);
    expect(rollout.steps.map((s: any) => `${s.kind}:${s.environment}`)).toEqual([
      'deploy:staging',
      'gate:production',
      'canary:production',
      'analysis:production',
      'promote:production',
    ]);
    const waiting = await rolloutOf(admin, id, atGate('production'), 'the gate');
    // The approver sees the analysis that will run and the canary that will be created.
    expect(waiting.gate.plan.canary).toMatchObject({
      deployment: `${service}-canary`,
      replicas: 1,
      analysis: { interval: '1s', iterations: 2, minSamples: 20, failureLimit: 0 },
    });
    expect(waiting.gate.plan.objects.map((o: any) => `${o.action} ${o.kind}/${o.name}`)).toEqual([
      `update Service/${service}`,
      `update Deployment/${service}`,
      `create Deployment/${service}-canary`,
    ]);
    // The Service only changes in the release it is annotated with.
    expect(waiting.gate.plan.objects[0].changes.map((c: any) => c.path)).toEqual([
      'metadata.annotations.switchyard.dev/release',
      'metadata.annotations.switchyard.dev/version',
    ]);
    await prometheus.waitForValue(samples(service), (v) => v >= 20);

    const approvedAt = Date.now();
    await approve(id, 'staging is green');
    // While the analysis runs, the canary serves beside the untouched stable track.
    const analysing = await rolloutOf(admin, id, (r) => r.steps[3].status === 'running', 'the analysis to start');
    expect(analysing.steps[2]).toMatchObject({ status: 'succeeded', message: `${service}-canary is ready (1 replica)` });
    const canaryDeployment = sim.object('Deployment', `${service}-prod`, `${service}-canary`);
    expect(canaryDeployment?.metadata).toMatchObject({ labels: { app: service, track: 'canary' }, annotations: { 'switchyard.dev/release': id } });
    expect((canaryDeployment?.spec as any).template.spec.containers[0].image).toBe(image(service, 2));
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));

    const done = await rolloutOf(admin, id, ended, 'promotion');
    const toProductionMs = Date.parse(done.finishedAt) - approvedAt;
    process.stdout.write(`figure: approval → production with a canary analysed 2 × 1 s: ${toProductionMs} ms\n`);
    process.stdout.write(
      `figure: Kubernetes API calls for a canary release (staging, gate plan, canary, analysis, promote): ${requestSummary(sim, requestsBefore)}\n`,
    );
    expect(done.status).toBe('succeeded');
    expect(done.verdict).toMatchObject({ verdict: 'Successful', iterations: 2, failures: 0, inconclusive: 0 });
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 2));
    expect(sim.object('Deployment', `${service}-prod`, `${service}-canary`)).toBeUndefined();
    expect(done.steps[4]).toMatchObject({ kind: 'promote', status: 'succeeded', message: `production runs main.2; canary ${service}-canary removed` });

    const { body: measured } = await admin.get(`/api/v1/rollouts/${rollout.id}/measurements`);
    const measurements = measured.environments[0].measurements;
    expect(measured.environments.map((e: any) => e.environment)).toEqual(['production']);
    expect(measurements.map((m: any) => [m.iteration, m.metric, m.outcome])).toEqual([
      [1, 'error-rate', 'successful'],
      [2, 'error-rate', 'successful'],
    ]);
    for (const m of measurements) {
      expect(m).toMatchObject({
        canary: 0,
        stable: 0,
        threshold: { max: 0.01, maxRatio: 1.5, minSamples: 20 },
        query: expect.stringContaining(`service="${service}",track="canary"`),
      });
      expect(m.samples).toBeGreaterThanOrEqual(20);
    }
    // Measurements are an interval apart.
    expect(Date.parse(measurements[1].measuredAt) - Date.parse(measurements[0].measuredAt)).toBeGreaterThanOrEqual(900);

    const audit = await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${service}/${id}`)}&action=rollout.verdict`);
    expect(audit.body.items).toEqual([
      expect.objectContaining({ actor: 'system:rollout', environment: 'production', after: expect.objectContaining({ verdict: 'Successful' }) }),
    ]);
    expect((await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${service}/${id}`)}&action=rollout.promoted`)).body.items).toHaveLength(1);
    await hooks.waitFor('success', (e) => e.rolloutId === rollout.id && e.event === 'rollout.succeeded');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`switchyard_canary_verdicts_total\\{service="${service}",environment="production",verdict="Successful"\\} 1`));
    expect(metrics).toMatch(
      new RegExp(`switchyard_rollout_step_duration_seconds_count\\{service="${service}",environment="production",step="analysis",outcome="succeeded"\\} 1`),
    );
  });

  it('rolls back a canary at 5 % errors against 0.1 % on stable, naming the metric; production keeps the old image', async () => {
    const service = 'orders';
    exporter.setTraffic(service, 'stable', { rps: 200, errorRate: 0.001 });
    exporter.setTraffic(service, 'canary', { rps: 200, errorRate: 0.05 });
    await firstRelease(service);
    const id = await release(service, 2);
    const rollout = await start(id);
    await rolloutOf(admin, id, atGate('production'), 'the gate');
    await prometheus.waitForValue(errorRate(service, 'canary'), (v) => v > 0.03);
    await prometheus.waitForValue(samples(service), (v) => v >= 20);
    await approve(id, 'looks fine in staging');

    const failed = await rolloutOf(admin, id, ended, 'the canary to be rolled back');
    expect(failed.status).toBe('failed');
    expect(failed.verdict).toMatchObject({
      verdict: 'Failed',
      metric: 'error-rate',
      query: expect.stringContaining(`service="${service}",track="canary"`),
      threshold: { max: 0.01, maxRatio: 1.5, minSamples: 20 },
      failures: 1,
    });
    expect(failed.verdict.values.canary).toBeCloseTo(0.05, 2);
    expect(failed.verdict.values.stable).toBeCloseTo(0.001, 3);
    expect(failed.verdict.reason).toMatch(
      /^error-rate 0\.0\d+ is above max 0\.01 \(query: sum\(rate\(http_requests_total\{service="orders",track="canary",code=~"5\.\."\}\[1m\]\)\) .*\); 1 failed iteration, failureLimit 0$/,
    );
    expect(failed.error).toBe(`Failed: ${failed.verdict.reason}`);
    expect(failed.steps.map((s: any) => `${s.kind}:${s.status}`)).toEqual([
      'deploy:succeeded',
      'gate:succeeded',
      'canary:succeeded',
      'analysis:failed',
      'promote:pending',
      'rollback:succeeded',
    ]);
    expect(failed.steps[5].message).toBe(`canary ${service}-canary deleted; production still runs ${image(service, 1)}`);
    // Production never ran the release; the canary is gone.
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));
    expect(sim.object('Deployment', `${service}-prod`, `${service}-canary`)).toBeUndefined();
    expect((await admin.get(`/api/v1/services/${service}/environments/production`)).body.current.imageDigest).toBe(digest(1));

    const { body: measured } = await admin.get(`/api/v1/rollouts/${rollout.id}/measurements`);
    const firstFailure = measured.environments[0].measurements.find((m: any) => m.outcome === 'failed');
    const rollbackDoneMs = Date.parse(failed.steps[5].finishedAt) - Date.parse(firstFailure.measuredAt);
    process.stdout.write(`figure: first failed measurement → rollback complete (canary deleted, rollout failed): ${rollbackDoneMs} ms\n`);
    expect(rollbackDoneMs).toBeLessThan(5000);

    const verdictEvent = (await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${service}/${id}`)}&action=rollout.verdict`)).body.items[0];
    expect(verdictEvent.after).toMatchObject({ verdict: 'Failed', metric: 'error-rate', threshold: { max: 0.01, maxRatio: 1.5, minSamples: 20 } });
    const rolledBack = (await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${service}/${id}`)}&action=rollout.rolled-back`)).body.items[0];
    expect(rolledBack).toMatchObject({ actor: 'system:rollout', environment: 'production', meta: expect.objectContaining({ trigger: 'automatic' }) });
    const failure = await hooks.waitFor('failure', (e) => e.rolloutId === rollout.id && e.event === 'rollout.failed');
    expect(failure.text).toContain(`${service} main.2 failed in production: Failed: error-rate`);
    await hooks.waitFor('rollback', (e) => e.rolloutId === rollout.id && e.event === 'rollout.rolled-back');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`switchyard_canary_verdicts_total\\{service="${service}",environment="production",verdict="Failed"\\} 1`));
    expect(metrics).toMatch(new RegExp(`switchyard_rollbacks_total\\{service="${service}",environment="production",trigger="automatic"\\} 1`));
  });

  it('holds a canary nobody calls as Inconclusive and waits for a person; abort then removes it', async () => {
    const service = 'alerts';
    exporter.setTraffic(service, 'stable', { rps: 200, errorRate: 0 });
    exporter.setTraffic(service, 'canary', { rps: 0, errorRate: 0 });
    await firstRelease(service);
    const id = await release(service, 2);
    const rollout = await start(id);
    await rolloutOf(admin, id, atGate('production'), 'the gate');
    await approve(id, 'go');

    const held = await rolloutOf(admin, id, (r) => r.status === 'waiting' && r.gate?.kind === 'inconclusive', 'the inconclusive hold');
    expect(held.gate).toMatchObject({ environment: 'production', step: 'analysis', kind: 'inconclusive' });
    expect(held.verdict).toMatchObject({ verdict: 'Inconclusive', metric: 'error-rate', values: { samples: 0 }, inconclusive: 2, failures: 0 });
    expect(held.verdict.reason).toBe('the canary served 0 requests, fewer than minSamples 20; 2 of 2 iterations inconclusive — a person decides');
    // Holding means holding: the canary stays, production is untouched, nothing moves on its own.
    expect(sim.object('Deployment', `${service}-prod`, `${service}-canary`)).toBeDefined();
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));
    const hook = await hooks.waitFor('inconclusive hold', (e) => e.rolloutId === rollout.id && e.event === 'gate.waiting' && e.detail?.gate === 'inconclusive');
    expect(hook.text).toBe(
      `${service} main.2: the canary analysis in production is inconclusive (${held.verdict.reason}); approve to promote or abort to roll back`,
    );

    const aborting = await approver.post(`/api/v1/releases/${id}/abort`, { comment: 'no traffic to judge by; retry tomorrow' });
    expect(aborting.status).toBe(200);
    expect(aborting.body.abortRequested).toMatchObject({ actor: 'token:release-manager', comment: 'no traffic to judge by; retry tomorrow' });
    const aborted = await rolloutOf(admin, id, ended, 'the abort');
    expect(aborted.status).toBe('aborted');
    expect(aborted.error).toBe(`aborted by token:release-manager: no traffic to judge by; retry tomorrow (canary ${service}-canary deleted)`);
    expect(sim.object('Deployment', `${service}-prod`, `${service}-canary`)).toBeUndefined();
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));
    await hooks.waitFor('aborted', (e) => e.rolloutId === rollout.id && e.event === 'rollout.aborted');
  });
});
