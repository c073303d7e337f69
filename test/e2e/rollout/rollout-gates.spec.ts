import { runCli } from '../../../apps/cli/src/switchyard-cli';
import { ApiClient } from '../../support/api-client';
import type { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
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

/**
 * Rollouts without canary analysis, against the Kubernetes simulator: staging, the approval gate,
 * production; locks and supersede; a crash-looping image failing fast; abort; manual rollback.
 */
describe('rollouts through staging and an approval gate', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let sim: KubeSimulator;
  let hooks: WebhookReceiver;
  let server: TestServer;
  let admin: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  let approverToken: string;
  let registry: PrivateRegistry;

  const image = (service: string, n: number) => `${repositoryOf(service)}@${digest(n)}`;
  const release = (service: string, n: number) => publishRelease(ci, service, `main.${n}`, digest(n), pipelineFor(service), manifestsFor(service));
  const start = async (id: string, body: Record<string, unknown> = {}) => {
    const res = await ci.post(`/api/v1/releases/${id}/rollout`, body);
    expect(res.status).toBe(201);
    return res.body;
  };
  /** Releases version n of a service all the way to production (one approval). */
  const toProduction = async (service: string, n: number) => {
    const id = await release(service, n);
    await start(id);
    await rolloutOf(admin, id, atGate('production'), `release ${n} of ${service} at the production gate`);
    expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment: `ship ${n}` })).status).toBe(200);
    const done = await rolloutOf(admin, id, ended, `release ${n} of ${service} to finish`);
    expect(done.status).toBe('succeeded');
    return id;
  };

  beforeAll(async () => {
    [cluster, hooks, registry] = await Promise.all([startCluster(), WebhookReceiver.start(), startRegistry()]);
    sim = cluster.sim;
    server = await startTestServer({
      redis: 'none',
      env: { KUBECONFIG: cluster.kubeconfig, WEBHOOK_URLS: hooks.url, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' },
    });
    admin = new ApiClient(server.url, server.adminToken);
    ci = admin.withToken(await admin.token_('ci-jenkins', ['deploy']));
    approverToken = await admin.token_('release-manager', ['approve']);
    approver = admin.withToken(approverToken);
    for (const service of ['checkout', 'payments', 'inventory', 'ledger']) await registerPolicy(admin, service);
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([cluster?.dispose(), hooks?.stop(), registry?.stop()]);
  });

  it('takes a release through staging to the gate, shows the plan, and reaches production with one approval', async () => {
    const service = 'checkout';
    const id = await release(service, 1);
    const requestsBefore = sim.requests.length;
    const started = await start(id);
    expect(started).toMatchObject({
      kind: 'release',
      releaseId: id,
      service,
      version: 'main.1',
      image: image(service, 1),
      status: 'running',
      createdBy: 'token:ci-jenkins',
    });
    expect(started.steps.map((s: any) => `${s.kind}:${s.environment}:${s.status}`)).toEqual([
      'deploy:staging:pending',
      'gate:production:pending',
      'deploy:production:pending',
    ]);

    const waiting = await rolloutOf(admin, id, atGate('production'), 'the production gate');
    expect(waiting.steps[0]).toMatchObject({ status: 'succeeded', message: 'staging runs main.1' });
    // Staging runs the release by digest, in a namespace the rollout created.
    expect(imageIn(sim, `${service}-staging`, service)).toBe(image(service, 1));
    expect(sim.object('Namespace', undefined, `${service}-staging`)?.metadata).toMatchObject({ labels: { 'app.kubernetes.io/managed-by': 'switchyard' } });
    expect(sim.object('Deployment', `${service}-staging`, service)?.metadata).toMatchObject({
      annotations: { 'switchyard.dev/release': id, 'switchyard.dev/version': 'main.1' },
    });
    // The approver sees what production will get: nothing exists there yet.
    expect(waiting.gate).toMatchObject({ environment: 'production', kind: 'approval', plan: { environment: 'production', namespaceExists: false } });
    expect(waiting.gate.plan.objects.map((o: any) => `${o.action} ${o.kind}/${o.name}`)).toEqual([`create Service/${service}`, `create Deployment/${service}`]);
    expect(sim.object('Deployment', `${service}-prod`, service)).toBeUndefined();
    const gateHook = await hooks.waitFor('gate waiting', (e) => e.rolloutId === started.id && e.event === 'gate.waiting');
    expect(gateHook).toMatchObject({
      text: `${service} main.1 is waiting for approval to deploy to production`,
      environment: 'production',
      version: 'main.1',
      contentType: 'application/json',
    });

    // Approving needs the approve scope: a CI token with deploy is refused.
    expect((await ci.post(`/api/v1/releases/${id}/approve`, { comment: 'me' })).status).toBe(403);
    const silent = await approver.post(`/api/v1/releases/${id}/approve`, {});
    expect(silent.status).toBe(400);
    expect(silent.body.error.details).toContainEqual({ path: 'comment', problem: 'must say why' });
    const approved = await approver.post(`/api/v1/releases/${id}/approve`, { comment: 'staging smoke tests passed' });
    expect(approved.status).toBe(200);
    expect(approved.body.decisions).toEqual([
      expect.objectContaining({ action: 'approve', actor: 'token:release-manager', comment: 'staging smoke tests passed', environment: 'production' }),
    ]);
    const done = await rolloutOf(admin, id, ended, 'production');
    expect(done.status).toBe('succeeded');
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));
    expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment: 'again' })).status).toBe(409);
    process.stdout.write(
      `figure: Kubernetes API calls for a release through staging, a gate (with its dry-run plan) and production, no canary: ${requestSummary(sim, requestsBefore)}\n`,
    );

    const environment = await admin.get(`/api/v1/services/${service}/environments/production`);
    expect(environment.body).toMatchObject({
      service,
      environment: 'production',
      namespace: `${service}-prod`,
      current: { kind: 'release', releaseId: id, version: 'main.1', image: image(service, 1), imageDigest: digest(1), deployedBy: 'token:ci-jenkins' },
      activeRollout: null,
    });
    expect((await admin.get(`/api/v1/services/${service}/environments`)).body.items.map((e: any) => [e.environment, e.current.imageDigest])).toEqual([
      ['production', digest(1)],
      ['staging', digest(1)],
    ]);
    await hooks.waitFor('success', (e) => e.rolloutId === started.id && e.event === 'rollout.succeeded');

    const audit = await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${service}/${id}`)}&limit=100`);
    const actions = [...audit.body.items]
      .sort((a: any, b: any) => Number(a.id) - Number(b.id))
      .map((e: any) => `${e.action}${e.environment ? `@${e.environment}` : ''}`);
    expect(actions.filter((a: string) => a.startsWith('rollout.'))).toEqual([
      'rollout.started',
      'rollout.applied@staging',
      'rollout.deployed@staging',
      'rollout.gate.waiting@production',
      'rollout.gate.approved@production',
      'rollout.applied@production',
      'rollout.deployed@production',
      'rollout.succeeded',
    ]);
    const approval = audit.body.items.find((e: any) => e.action === 'rollout.gate.approved');
    expect(approval).toMatchObject({ actor: 'token:release-manager', meta: { comment: 'staging smoke tests passed', imageDigest: digest(1) } });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`switchyard_rollout_step_duration_seconds_count\\{service="${service}",environment="staging",step="deploy",outcome="succeeded"\\} 1`),
    );
    expect(metrics).toMatch(
      new RegExp(`switchyard_rollout_step_duration_seconds_count\\{service="${service}",environment="production",step="gate",outcome="succeeded"\\} 1`),
    );
    expect(metrics).toMatch(new RegExp(`switchyard_rollouts_total\\{service="${service}",kind="release",outcome="succeeded"\\} 1`));
    expect(metrics).toMatch(/switchyard_kubernetes_requests_total\{verb="apply",code="(200|201)"\} \d+/);
  });

  it('answers 409 to a second rollout of the same service; supersede aborts the older one; abort at the gate leaves production untouched', async () => {
    const service = 'checkout';
    const second = await release(service, 2);
    const third = await release(service, 3);
    const older = await start(second);
    await rolloutOf(admin, second, atGate('production'), 'release 2 at the gate');

    const refused = await ci.post(`/api/v1/releases/${third}/rollout`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'CONFLICT',
      message: `${service}/production is locked by release main.2 (${second}), waiting at gate in production; wait for it, abort it, or pass supersede: true`,
      lock: { service, environment: 'production', rolloutId: older.id, releaseId: second, status: 'waiting' },
    });

    const newer = await start(third, { supersede: true });
    const superseded = (await admin.get(`/api/v1/rollouts/${older.id}`)).body;
    expect(superseded).toMatchObject({ status: 'superseded', supersededBy: newer.id, error: `superseded by release main.3 (${third})` });
    expect(superseded.steps[1]).toMatchObject({ kind: 'gate', status: 'aborted' });

    await rolloutOf(admin, third, atGate('production'), 'release 3 at the gate');
    expect(imageIn(sim, `${service}-staging`, service)).toBe(image(service, 3));
    const aborted = await approver.post(`/api/v1/releases/${third}/abort`, { comment: 'holding for the change freeze' });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({ status: 'aborted', error: 'aborted by token:release-manager: holding for the change freeze' });
    // Production never saw 2 or 3.
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));
    expect((await admin.get(`/api/v1/services/${service}/environments/production`)).body.current.imageDigest).toBe(digest(1));
    expect((await approver.post(`/api/v1/releases/${third}/abort`, { comment: 'again' })).status).toBe(409);
    const audit = await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${service}/${third}`)}&action=rollout.aborted`);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        actor: 'token:release-manager',
        environment: 'production',
        meta: expect.objectContaining({ comment: 'holding for the change freeze' }),
      }),
    ]);
    await hooks.waitFor('aborted', (e) => e.rolloutId === newer.id && e.event === 'rollout.aborted');
  });

  it('fails a crash-looping release in staging within seconds (not the 600 s deadline) and puts staging back', async () => {
    const service = 'payments';
    await toProduction(service, 1);
    sim.setImageBehaviour(image(service, 2), 'crash');
    const id = await release(service, 2);
    const started = Date.now();
    const rollout = await start(id);
    const failed = await rolloutOf(admin, id, ended, 'the crash-looping release to fail');
    const failedAfterMs = Date.now() - started;
    process.stdout.write(`figure: crash-looping image failed staging after ${failedAfterMs} ms (progressDeadlineSeconds 600)\n`);
    expect(failedAfterMs).toBeLessThan(10_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(
      new RegExp(`^deployment "${service}": pod ${service}-\\w+-\\w+ container ${service} is in CrashLoopBackOff: back-off 10s restarting failed container`),
    );
    expect(failed.steps.map((s: any) => `${s.kind}:${s.environment}:${s.status}`)).toEqual([
      'deploy:staging:failed',
      'gate:production:pending',
      'deploy:production:pending',
      'rollback:staging:succeeded',
    ]);
    expect(failed.steps[0].detail.pods).toEqual([expect.objectContaining({ reason: 'CrashLoopBackOff', container: service })]);
    // kubectl's rollback: the ReplicaSet that ran release 1 is scaled back up, under a new revision.
    expect(failed.steps[3].message).toMatch(
      new RegExp(`^restored main\\.1 \\(${image(service, 1).replace(/[.]/g, '\\.')}\\) from ReplicaSet ${service}-\\w+ \\(revision 1\\)$`),
    );
    await waitFor(() => imageIn(sim, `${service}-staging`, service) === image(service, 1) || undefined, 5000, 'staging back on release 1');
    const replicaSets = sim.objects('ReplicaSet', `${service}-staging`);
    expect(replicaSets).toHaveLength(2);
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));
    const staging = (await admin.get(`/api/v1/services/${service}/environments/staging`)).body;
    expect(staging.history.map((h: any) => `${h.kind} ${h.version} ${h.imageDigest}`)).toEqual([`rollback main.1 ${digest(1)}`, `release main.1 ${digest(1)}`]);
    expect(staging.history[0]).toMatchObject({ deployedBy: 'system:rollout', reason: expect.stringContaining('CrashLoopBackOff') });
    await hooks.waitFor('failure', (e) => e.rolloutId === rollout.id && e.event === 'rollout.failed');
    const rolledBack = await hooks.waitFor('rollback', (e) => e.rolloutId === rollout.id && e.event === 'rollout.rolled-back');
    expect(rolledBack.text).toMatch(new RegExp(`^${service} was rolled back in staging to main\\.1 `));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`switchyard_rollbacks_total\\{service="${service}",environment="staging",trigger="automatic"\\} 1`));
  });

  it('aborting a release while staging waits for it puts staging back on the previous release', async () => {
    const service = 'inventory';
    await toProduction(service, 1);
    sim.setImageBehaviour(image(service, 2), 'never-ready');
    const id = await release(service, 2);
    await start(id);
    await rolloutOf(
      admin,
      id,
      (r) => r.steps[0].status === 'running' && /waiting for the rollout|Waiting for deployment/.test(r.steps[0].message ?? ''),
      'staging to wait',
    );
    expect(imageIn(sim, `${service}-staging`, service)).toBe(image(service, 2));
    const requested = await approver.post(`/api/v1/releases/${id}/abort`, { comment: 'pods never get ready' });
    expect(requested.body).toMatchObject({ status: 'running', abortRequested: { actor: 'token:release-manager', comment: 'pods never get ready' } });
    const aborted = await rolloutOf(admin, id, ended, 'the abort');
    expect(aborted.status).toBe('aborted');
    expect(aborted.error).toMatch(
      new RegExp(
        `^aborted by token:release-manager: pods never get ready \\(restored main\\.1 \\(${image(service, 1).replace(/[.]/g, '\\.')}\\) from ReplicaSet`,
      ),
    );
    expect(aborted.steps[0]).toMatchObject({ kind: 'deploy', environment: 'staging', status: 'aborted' });
    expect(imageIn(sim, `${service}-staging`, service)).toBe(image(service, 1));
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));
  });

  it('plans against the cluster, approves through the CLI, and rolls production back to the previous digest with `switchyard rollback`', async () => {
    const service = 'ledger';
    const first = await toProduction(service, 1);
    const second = await release(service, 2);
    await start(second);
    await rolloutOf(admin, second, atGate('production'), 'release 2 at the gate');

    const plan = await approver.post(`/api/v1/releases/${second}/plan`, { environment: 'production' });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ releaseId: second, service, version: 'main.2', image: image(service, 2) });
    const [production] = plan.body.environments;
    expect(production).toMatchObject({ environment: 'production', namespace: `${service}-prod`, namespaceExists: true, approval: 'required', canary: null });
    expect(production.objects.map((o: any) => `${o.action} ${o.kind}/${o.name}`)).toEqual([`update Service/${service}`, `update Deployment/${service}`]);
    const deployment = production.objects[1];
    expect(deployment.changes).toEqual(
      expect.arrayContaining([
        { path: `spec.template.spec.containers[${service}].image`, before: image(service, 1), after: image(service, 2) },
        { path: 'metadata.annotations.switchyard.dev/version', before: 'main.1', after: 'main.2' },
      ]),
    );
    // A dry run changes nothing.
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));

    const cli = async (args: string[], token = approverToken) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, {
        env: { SWITCHYARD_URL: server.url, SWITCHYARD_TOKEN: token },
        cwd: process.cwd(),
        stdout: { write: (text: string) => (stdout += text), isTTY: false },
        stderr: { write: (text: string) => (stderr += text) },
      });
      return { code, stdout, stderr };
    };
    expect(await cli(['approve', second])).toMatchObject({ code: 2, stderr: 'switchyard: approve: --comment is required (it is kept in the audit trail)\n' });
    const approved = await cli(['approve', second, '--comment', 'canary-free service, staging fine']);
    expect(approved).toMatchObject({ code: 0, stderr: '' });
    expect(approved.stdout).toContain(`approved: release ${second} (${service} main.2)`);
    expect((await rolloutOf(admin, second, ended, 'release 2')).status).toBe('succeeded');
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 2));

    const rolledBack = await cli([
      'rollback',
      service,
      '--environment',
      'production',
      '--reason',
      'p99 latency doubled',
      '--wait',
      '--wait-timeout-ms',
      '15000',
    ]);
    expect(rolledBack).toMatchObject({ code: 0, stderr: '' });
    expect(rolledBack.stdout).toMatch(new RegExp(`^rollout [0-9a-f-]+  rollback to ${service} main\\.1  succeeded`));
    expect(imageIn(sim, `${service}-prod`, service)).toBe(image(service, 1));
    const history = (await admin.get(`/api/v1/services/${service}/environments/production`)).body;
    expect(history.current).toMatchObject({
      kind: 'rollback',
      releaseId: first,
      version: 'main.1',
      imageDigest: digest(1),
      deployedBy: 'token:release-manager',
      reason: 'p99 latency doubled',
    });
    expect(history.history.map((h: any) => `${h.kind} ${h.version} ${h.imageDigest}`)).toEqual([
      `rollback main.1 ${digest(1)}`,
      `release main.2 ${digest(2)}`,
      `release main.1 ${digest(1)}`,
    ]);
    const audit = await admin.get(`/api/v1/audit?target=${encodeURIComponent(`environment:${service}/production`)}&action=environment.rolled-back`);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        actor: 'token:release-manager',
        environment: 'production',
        before: { image: image(service, 2) },
        after: { image: image(service, 1), imageDigest: digest(1), version: 'main.1', releaseId: first },
        meta: expect.objectContaining({ trigger: 'manual', reason: 'p99 latency doubled' }),
      }),
    ]);
    await hooks.waitFor('manual rollback', (e) => e.event === 'rollout.rolled-back' && e.service === service && e.detail?.trigger === 'manual');

    // Rollback is refused while a rollout holds the environment, and needs a reason.
    const third = await release(service, 3);
    await start(third);
    await rolloutOf(admin, third, atGate('production'), 'release 3 at the gate');
    const locked = await approver.post(`/api/v1/services/${service}/environments/production/rollback`, { reason: 'x' });
    expect(locked.status).toBe(409);
    expect(locked.body.error.message).toMatch(new RegExp(`^${service}/production is locked by release main\\.3`));
    expect((await approver.post(`/api/v1/services/${service}/environments/production/rollback`, {})).status).toBe(400);
    expect((await approver.post(`/api/v1/releases/${third}/abort`, { comment: 'not today' })).status).toBe(200);
    expect((await approver.post(`/api/v1/services/nope/environments/production/rollback`, { reason: 'x' })).status).toBe(404);
  });
});
