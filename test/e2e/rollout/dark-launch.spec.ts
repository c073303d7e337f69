import http from 'node:http';
import type { ConnectedProxy } from '../../../apps/proxy/src/connected-proxy';
import { ApiClient } from '../../support/api-client';
import { ServiceNetwork } from '../../support/kube-simulator/service-network';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import type { PrivateRegistry } from '../deploy/private-registry';
import { startFixtures, type Fixtures } from '../mirror/fixture-services';
import { darkLaunchPipeline, ROUTE, startProductionProxy, userTraffic } from './dark-launch-fixture';
import {
  atGate,
  digest,
  ended,
  imageIn,
  manifestsFor,
  publishRelease,
  registerPolicy,
  repositoryOf,
  rolloutOf,
  startCluster,
  startRegistry,
  WebhookReceiver,
} from './rollout-fixture';

const SERVICE = 'quotes';
const NAMESPACE = `${SERVICE}-prod`;
/** Requests reach the proxy addressed to the Service's cluster name, as the route created for it matches. */
const HOST = `${SERVICE}.${NAMESPACE}.svc`;
const FLAG = `mirror.${ROUTE}`;

/**
 * The dark-launch stage against the Kubernetes simulator (whose pods are played by the mirror
 * suites' fixture upstreams), a real connected proxy, and real PostgreSQL and Redis: a release
 * whose candidate changes `price` never reaches a user, too little traffic waits for a person.
 */
describe('rollout: dark launch before any user traffic', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let network: ServiceNetwork;
  let registry: PrivateRegistry;
  let fixtures: Fixtures<'live' | 'changed' | 'same'>;
  let hooks: WebhookReceiver;
  let server: TestServer;
  let admin: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  let proxy: ConnectedProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const image = (n: number) => `${repositoryOf(SERVICE)}@${digest(n)}`;

  const start = async (id: string) => expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
  const approve = async (id: string, comment: string) => expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment })).status).toBe(200);
  const darkLaunchStep = (rollout: any) => rollout.steps.find((step: any) => step.kind === 'dark-launch' && step.environment === 'production');
  const flagServe = async () => (await admin.get(`/api/v1/flags/${FLAG}`)).body.environments.production;
  const route = async () => (await admin.get(`/api/v1/mirror/routes/${ROUTE}`)).body.route;

  beforeAll(async () => {
    [cluster, registry, hooks, fixtures] = await Promise.all([
      startCluster(),
      startRegistry(),
      WebhookReceiver.start(),
      startFixtures({ live: 'primary', changed: 'changed', same: 'match' }),
    ]);
    network = new ServiceNetwork(cluster.sim);
    // Release 1 is live; release 2 returns another price; releases 3 and 4 answer as release 1 does.
    network.play(image(1), fixtures.urls.live);
    network.play(image(2), fixtures.urls.changed);
    network.play(image(3), fixtures.urls.same);
    network.play(image(4), fixtures.urls.same);
    await network.addressOf(NAMESPACE, SERVICE);
    await network.addressOf(NAMESPACE, `${SERVICE}-shadow`);
    server = await startTestServer({ env: { KUBECONFIG: cluster.kubeconfig, WEBHOOK_URLS: hooks.url, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' } });
    admin = new ApiClient(server.url, server.adminToken);
    ci = admin.withToken(await admin.token_('ci-jenkins', ['deploy']));
    approver = admin.withToken(await admin.token_('release-manager', ['approve']));
    await registerPolicy(admin, SERVICE);
    // The team's route, with its endpoint templates; the dark launch keeps it and only moves its candidate
    // and sampling (the restart suite covers a route the stage creates itself).
    const route = await admin.post('/api/v1/mirror/routes', {
      name: ROUTE,
      match: { host: HOST },
      primary: `http://${HOST}`,
      candidate: `http://${HOST}`,
      sample: { flag: FLAG, bucketBy: 'header:x-user-id' },
      endpoints: ['/quotes/:symbol'],
      verdict: { minCompared: 100, maxMismatchPercent: 0.1 },
    });
    expect(route.status).toBe(201);
    proxy = await startProductionProxy(server.url, await admin.token_('quotes-proxy', ['sdk:production', `mirror:report:${ROUTE}`]), network);

    // Release 1 goes live: the first deploy of production has nothing to mirror, so its dark launch is skipped.
    const first = await publishRelease(ci, SERVICE, 'main.1', digest(1), darkLaunchPipeline(SERVICE, { sample: '100%' }), manifestsFor(SERVICE));
    await start(first);
    await rolloutOf(admin, first, atGate('production'), 'the first release at the production gate');
    expect(darkLaunchStep((await admin.get(`/api/v1/releases/${first}/rollout`)).body)).toMatchObject({ status: 'skipped' });
    await approve(first, 'first release');
    expect((await rolloutOf(admin, first, ended, 'the first release')).status).toBe('succeeded');
    // Server start (migrations) and two rollouts on a loaded machine take longer than Jest's default.
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await proxy?.close();
    await server?.close();
    await Promise.all([network?.close(), cluster?.dispose(), registry?.stop(), hooks?.stop(), fixtures?.close()]);
  });

  it('refuses a pipeline whose darkLaunch samples more than 100 %, naming the field', async () => {
    const res = await ci.post(`/api/v1/services/${SERVICE}/releases`, {
      version: 'main.bad',
      gitSha: '4f2a9c1e0d6b',
      branch: 'main',
      pipeline: darkLaunchPipeline(SERVICE, { sample: '150%', minCompared: 0 }),
      manifests: manifestsFor(SERVICE),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([{ path: 'pipeline.deploy.environments[1].darkLaunch.minCompared', problem: 'must be >= 1' }]),
    );
    const sample = await ci.post(`/api/v1/services/${SERVICE}/releases`, {
      version: 'main.bad2',
      gitSha: '4f2a9c1e0d6b',
      branch: 'main',
      pipeline: darkLaunchPipeline(SERVICE, { sample: '150%' }),
      manifests: manifestsFor(SERVICE),
    });
    expect(sample.status).toBe(400);
    expect(sample.body.error.details).toEqual([
      { path: 'pipeline.deploy.environments[1].darkLaunch.sample', problem: 'must be more than 0% and at most 100% (got 150%)' },
    ]);
  });

  it('stops a release whose candidate returns another price at the dark launch: no user ever reaches it', async () => {
    const id = await publishRelease(
      ci,
      SERVICE,
      'main.2',
      digest(2),
      darkLaunchPipeline(SERVICE, { sample: '100%', minCompared: 200, maxMismatch: '0.1%', timeout: '60s' }),
      manifestsFor(SERVICE),
    );
    await start(id);
    const mirroring = await rolloutOf(admin, id, (r) => Boolean(darkLaunchStep(r)?.detail?.window), 'the dark launch to start mirroring', 30_000);
    expect(darkLaunchStep(mirroring).detail).toMatchObject({
      route: ROUTE,
      shadow: { deployment: `${SERVICE}-shadow`, namespace: NAMESPACE, url: `http://${SERVICE}-shadow.${NAMESPACE}.svc` },
      sample: 100,
      minCompared: 200,
      maxMismatch: 0.1,
    });
    // The shadow runs the release; no Service of the environment selects it, its own Service does.
    const shadowPods = cluster.sim.objects('Pod', NAMESPACE).filter((pod: any) => pod.spec.containers[0].image === image(2));
    expect(shadowPods.length).toBeGreaterThan(0);
    const userService = cluster.sim.object('Service', NAMESPACE, SERVICE) as any;
    for (const pod of shadowPods as any[]) {
      expect(Object.entries(userService.spec.selector).every(([key, value]) => pod.metadata.labels[key] === value)).toBe(false);
    }
    await waitFor(
      () => proxy.routes().find((r) => r.name === ROUTE)?.candidate === `http://${SERVICE}-shadow.${NAMESPACE}.svc`,
      10_000,
      'the proxy to mirror to the shadow',
    );
    await waitFor(() => proxy.flags.getBooleanValue(FLAG, false, { targetingKey: 'user-1' }), 10_000, 'the proxy to see sampling at 100 %');

    let decided: any;
    const mirroringSince = performance.now();
    const sent = await userTraffic(
      proxy,
      HOST,
      async () => {
        const res = await admin.get(`/api/v1/releases/${id}/rollout`);
        decided = ended(res.body) ? res.body : undefined;
        return decided !== undefined;
      },
      4000,
      agent,
    );
    decided ??= await rolloutOf(admin, id, ended, 'the verdict', 30_000);
    process.stdout.write(
      `dark launch: fail verdict ${Math.round(performance.now() - mirroringSince)} ms after mirroring began; ${sent} user requests, ${darkLaunchStep(decided).detail.verdict.compared} comparisons in the window (minCompared 200)\n`,
    );
    expect(decided.status).toBe('failed');
    const step = darkLaunchStep(decided);
    expect(step.status).toBe('failed');
    expect(step.detail.verdict).toMatchObject({ outcome: 'fail', mismatchPercent: 100, reportUrl: `/dark-launch?route=${ROUTE}` });
    expect(step.detail.verdict.reason).toMatch(/^`\$\.price` differs in 100\.0 % of [\d,]+ comparisons on GET \/quotes\/:symbol; the limit is 0\.1 %$/);
    expect(step.detail.verdict.endpoints[0]).toMatchObject({ endpoint: 'GET /quotes/:symbol', fields: [{ path: '$.price', percent: 100 }] });
    expect(step.detail.verdict.compared).toBeGreaterThanOrEqual(200);
    expect(decided.error).toContain('`$.price` differs');
    // Stopped before the gate: production was never asked for, and still runs release 1.
    expect(decided.steps.filter((s: any) => s.environment === 'production' && s.kind !== 'dark-launch').every((s: any) => s.status === 'pending')).toBe(true);
    expect(imageIn(cluster.sim, NAMESPACE, SERVICE)).toBe(image(1));

    // No pod of release 2 ever received user traffic: the user-facing Service only ever reached release 1,
    // and every request the candidate saw was a shadow copy from the proxy.
    const traffic = network.traffic(NAMESPACE);
    expect(traffic.filter((entry) => entry.service === SERVICE).every((entry) => entry.image === image(1))).toBe(true);
    expect(traffic.filter((entry) => entry.service === SERVICE).reduce((n, entry) => n + entry.requests, 0)).toBeGreaterThanOrEqual(sent);
    expect(traffic.filter((entry) => entry.service === `${SERVICE}-shadow`).every((entry) => entry.image === image(2))).toBe(true);
    const candidateCalls = await fixtures.requests('changed');
    expect(candidateCalls.length).toBeGreaterThanOrEqual(200);
    expect(candidateCalls.every((call) => call.headers['x-switchyard-shadow'] === '1')).toBe(true);
    const counters = await proxy.metrics.registry.getSingleMetric('switchyard_mirror_requests_total')!.get();
    const compared = counters.values.find((v) => v.labels.route === ROUTE && v.labels.outcome === 'compared')?.value ?? 0;
    expect(compared).toBeGreaterThanOrEqual(200);
    expect((await proxy.metrics.registry.getSingleMetric('switchyard_proxy_primary_errors_total')!.get()).values.every((v) => v.value === 0)).toBe(true);

    // The shadow is gone, and the route costs nothing any more: sampling 0, candidate back on the live version.
    expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    expect(cluster.sim.object('Service', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    expect(await flagServe()).toMatchObject({ defaultServe: { variant: 'off' } });
    expect((await route()).candidate).toBe(`http://${SERVICE}.${NAMESPACE}.svc`);

    // Why, on the timeline and in a webhook.
    const audit = (await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${SERVICE}/${id}`)}&limit=100`)).body.items as any[];
    const verdict = audit.find((event) => event.action === 'rollout.dark-launch.verdict');
    expect(verdict).toMatchObject({ actor: 'system:rollout', environment: 'production', after: { verdict: 'fail', reason: step.detail.verdict.reason } });
    expect(audit.map((event) => event.action)).toEqual(
      expect.arrayContaining(['rollout.dark-launch.started', 'rollout.dark-launch.verdict', 'rollout.failed']),
    );
    const routeEvents = (await admin.get(`/api/v1/audit?target=mirror-route:${ROUTE}&limit=100`)).body.items as any[];
    expect(routeEvents.map((event) => event.action)).toEqual(expect.arrayContaining(['mirror-route.created', 'mirror-route.updated', 'mirror.verdict']));
    expect(routeEvents.filter((event) => event.action === 'mirror-route.updated').every((event) => event.environment === 'production')).toBe(true);
    expect(routeEvents.find((event) => event.action === 'mirror.verdict' && event.after.verdict === 'fail')).toMatchObject({ environment: 'production' });
    const hook = await hooks.waitFor('the dark-launch verdict', (event) => event.event === 'rollout.dark-launch.verdict' && event.rolloutId === decided.id);
    expect(hook.text).toContain('`$.price` differs in 100.0 %');
    expect(hook.detail.verdict).toMatchObject({ outcome: 'fail' });
  }, 120_000);

  it('waits for a person when too little traffic was mirrored; approve continues, and the shadow is already gone', async () => {
    const id = await publishRelease(
      ci,
      SERVICE,
      'main.3',
      digest(3),
      darkLaunchPipeline(SERVICE, { sample: '10%', minCompared: 500, timeout: '2s' }),
      manifestsFor(SERVICE),
    );
    await start(id);
    const waiting = await rolloutOf(
      admin,
      id,
      (r) => r.status === 'waiting' && darkLaunchStep(r)?.status === 'waiting',
      'the inconclusive dark launch',
      30_000,
    );
    expect(waiting.gate).toMatchObject({ environment: 'production', step: 'dark-launch', kind: 'inconclusive' });
    expect(darkLaunchStep(waiting).detail.verdict).toMatchObject({ outcome: 'insufficient-data', compared: 0 });
    expect(darkLaunchStep(waiting).detail.verdict.reason).toBe(
      `only 0 of the 500 comparisons needed arrived on route ${ROUTE} within 2s (sampling 10.0 % of users); send more traffic through the proxy or raise sample, then approve to continue or abort`,
    );
    expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    expect(await flagServe()).toMatchObject({ defaultServe: { variant: 'off' } });
    await hooks.waitFor('the gate webhook', (event) => event.event === 'gate.waiting' && event.rolloutId === waiting.id && event.detail.step === 'dark-launch');

    await approve(id, 'traffic is low at night; the diff in staging was clean');
    await rolloutOf(admin, id, atGate('production'), 'the production approval gate');
    await approve(id, 'ship it');
    const done = await rolloutOf(admin, id, ended, 'the release', 30_000);
    expect(done.status).toBe('succeeded');
    expect(darkLaunchStep(done).status).toBe('succeeded');
    expect(imageIn(cluster.sim, NAMESPACE, SERVICE)).toBe(image(3));
  }, 90_000);

  it('cleans up when a person aborts at an inconclusive dark launch', async () => {
    const id = await publishRelease(
      ci,
      SERVICE,
      'main.4',
      digest(4),
      darkLaunchPipeline(SERVICE, { sample: '10%', minCompared: 500, timeout: '1s' }),
      manifestsFor(SERVICE),
    );
    await start(id);
    await rolloutOf(admin, id, (r) => r.status === 'waiting' && darkLaunchStep(r)?.status === 'waiting', 'the inconclusive dark launch', 30_000);
    expect((await approver.post(`/api/v1/releases/${id}/abort`, { comment: 'not without a real comparison' })).status).toBe(200);
    const done = await rolloutOf(admin, id, ended, 'the aborted release', 20_000);
    expect(done.status).toBe('aborted');
    expect(darkLaunchStep(done).status).toBe('aborted');
    expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    expect(cluster.sim.object('Service', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    expect(await flagServe()).toMatchObject({ defaultServe: { variant: 'off' } });
    expect(imageIn(cluster.sim, NAMESPACE, SERVICE)).toBe(image(3));
  }, 60_000);
});
