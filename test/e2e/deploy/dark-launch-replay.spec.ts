import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureHeaderLine, encodeBody, type CaptureRecordLine, type CaptureRouteLine } from '@switchyard/mirror';
import { REPLAY_CONNECT_TO } from '../../../apps/server/src/mirror/mirror-replay.service';
import { ApiClient } from '../../support/api-client';
import { ServiceNetwork } from '../../support/kube-simulator/service-network';
import { startTestServer, type TestServer } from '../../support/test-server';
import { startFixtures, type Fixtures } from '../mirror/fixture-services';
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
import type { PrivateRegistry } from './private-registry';

const SERVICE = 'quotes';
const NAMESPACE = `${SERVICE}-staging`;
const ROUTE = 'quotes';
const CAPTURE = 'staging/quotes';
const EXCHANGES = 150;
const SYMBOLS = 25;

/** The pipeline of rollout-fixture with a replayed dark launch in staging (where no users are). */
function replayPipeline(darkLaunch: Record<string, unknown>): Record<string, unknown> {
  const pipeline = pipelineFor(SERVICE) as { deploy: { environments: Array<Record<string, unknown>> } };
  pipeline.deploy.environments[0] = {
    ...pipeline.deploy.environments[0],
    darkLaunch: { route: ROUTE, minCompared: 100, maxMismatch: '0.1%', timeout: '60s', replay: { capture: CAPTURE, speed: 4 }, ...darkLaunch },
  };
  return pipeline;
}

/**
 * A capture as the proxy's recorder writes it: the live version's real answers to GET
 * /quotes/:symbol, 4 ms apart (so 0.6 s at the captured pace).
 */
async function recordCapture(dir: string, live: string, spacingMs = 4, count = EXCHANGES): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const route: CaptureRouteLine = {
    type: 'route',
    name: ROUTE,
    endpoints: ['/quotes/:symbol'],
    compare: { ignore: [], unorderedArrays: [], headers: [] },
    verdict: { minCompared: 100, maxMismatchPercent: 0.1 },
    noise: { relativePercent: 50, absolutePercent: 1 },
    maxBodyBytes: 1_048_576,
    redact: { headers: [], paths: [] },
  };
  const records: CaptureRecordLine[] = [];
  for (let i = 0; i < count; i++) {
    const url = `/quotes/S${i % SYMBOLS}`;
    const res = await fetch(`${live}${url}`);
    records.push({
      type: 'exchange',
      route: ROUTE,
      offsetMs: i * spacingMs,
      request: { method: 'GET', url, headers: { accept: 'application/json', 'x-user-id': `user-${i}` }, body: {} },
      primary: {
        status: res.status,
        headers: { 'content-type': res.headers.get('content-type') ?? '' },
        body: encodeBody(Buffer.from(await res.arrayBuffer())),
        ms: 2,
      },
    });
  }
  const lines = [captureHeaderLine(new Date(), 1), route, ...records].map((line) => JSON.stringify(line));
  writeFileSync(join(dir, '00000001.ndjson'), `${lines.join('\n')}\n`);
}

/**
 * `darkLaunch.replay` against the Kubernetes simulator (pods played by the mirror suites' fixture
 * upstreams), real PostgreSQL and Redis: in staging, with no users to mirror, the server replays a
 * recorded capture against the shadow and the stable Service, and the same window, report and
 * verdict gate the release — an identical candidate goes on, one that changes `price` stops there.
 */
describe('rollout: a dark launch replaying a capture in staging', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let network: ServiceNetwork;
  let registry: PrivateRegistry;
  let fixtures: Fixtures<'live' | 'same' | 'changed'>;
  let server: TestServer;
  let admin: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  let captureRoot: string;
  const image = (n: number) => `${repositoryOf(SERVICE)}@${digest(n)}`;

  const start = async (id: string) => expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
  const approve = async (id: string, comment: string) => expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment })).status).toBe(200);
  const darkLaunchStep = (rollout: any) => rollout.steps.find((step: any) => step.kind === 'dark-launch' && step.environment === 'staging');
  /** Replayed requests the release-2 fixture answered as the shadow (it also plays the stable Service once release 2 is live). */
  const replayedToShadow = async () =>
    (await fixtures.requests('same')).filter(
      (call) => call.headers['x-switchyard-replay'] === '1' && call.headers.host === `${SERVICE}-shadow.${NAMESPACE}.svc`,
    ).length;
  const after = (rollout: any) => rollout.steps.slice(rollout.steps.indexOf(darkLaunchStep(rollout)) + 1);

  beforeAll(async () => {
    [cluster, registry, fixtures] = await Promise.all([startCluster(), startRegistry(), startFixtures({ live: 'primary', same: 'match', changed: 'changed' })]);
    network = new ServiceNetwork(cluster.sim);
    // Release 1 is live; release 2 answers as it does (bar timestamps and ids); release 3 returns another price.
    network.play(image(1), fixtures.urls.live);
    network.play(image(2), fixtures.urls.same);
    network.play(image(3), fixtures.urls.changed);
    await network.addressOf(NAMESPACE, SERVICE);
    await network.addressOf(NAMESPACE, `${SERVICE}-shadow`);
    captureRoot = mkdtempSync(join(tmpdir(), 'captures-'));
    await recordCapture(join(captureRoot, CAPTURE), fixtures.urls.live);
    // Ten minutes of captured traffic, one request every 30 s: only an abort ends it early.
    await recordCapture(join(captureRoot, 'staging/slow'), fixtures.urls.live, 30_000, 20);
    // The server reaches `<svc>.<ns>.svc` through the simulator's service network, as the proxy does in the mirror suites.
    const serviceNetwork = {
      module: class ServiceNetworkModule {},
      global: true,
      providers: [{ provide: REPLAY_CONNECT_TO, useValue: (url: string) => network.resolve(url) }],
      exports: [REPLAY_CONNECT_TO],
    };
    server = await startTestServer({
      env: { KUBECONFIG: cluster.kubeconfig, CAPTURE_ROOT: captureRoot, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' },
      modules: [serviceNetwork],
    });
    admin = new ApiClient(server.url, server.adminToken);
    ci = admin.withToken(await admin.token_('ci-jenkins', ['deploy']));
    approver = admin.withToken(await admin.token_('release-manager', ['approve']));
    await registerPolicy(admin, SERVICE);
    // The team's route with its endpoint templates; the stage keeps it and only moves its candidate.
    const route = await admin.post('/api/v1/mirror/routes', {
      name: ROUTE,
      match: { host: `${SERVICE}.${NAMESPACE}.svc` },
      primary: `http://${SERVICE}.${NAMESPACE}.svc`,
      candidate: `http://${SERVICE}.${NAMESPACE}.svc`,
      sample: { flag: `mirror.${ROUTE}`, bucketBy: 'header:x-user-id' },
      endpoints: ['/quotes/:symbol'],
      verdict: { minCompared: 100, maxMismatchPercent: 0.1 },
    });
    expect(route.status).toBe(201);

    // Release 1 goes live: the first deploy of staging has nothing to compare with, so its dark launch is skipped.
    const first = await publishRelease(ci, SERVICE, 'main.1', digest(1), replayPipeline({}), manifestsFor(SERVICE));
    await start(first);
    await rolloutOf(admin, first, atGate('production'), 'the first release at the production gate', 30_000);
    expect(darkLaunchStep((await admin.get(`/api/v1/releases/${first}/rollout`)).body)).toMatchObject({ status: 'skipped' });
    await approve(first, 'first release');
    expect((await rolloutOf(admin, first, ended, 'the first release', 30_000)).status).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await Promise.all([network?.close(), cluster?.dispose(), registry?.stop(), fixtures?.close()]);
    if (captureRoot) rmSync(captureRoot, { recursive: true, force: true });
  });

  it('refuses a capture outside CAPTURE_ROOT when the pipeline is validated, naming the field', async () => {
    for (const capture of ['../etc', '/etc/passwd', 'staging/../../etc']) {
      const res = await ci.post(`/api/v1/services/${SERVICE}/releases`, {
        version: 'main.bad',
        gitSha: '4f2a9c1e0d6b',
        branch: 'main',
        pipeline: replayPipeline({ replay: { capture } }),
        manifests: manifestsFor(SERVICE),
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        { path: 'pipeline.deploy.environments[0].darkLaunch.replay.capture', problem: expect.stringContaining('CAPTURE_ROOT') },
      ]);
    }
  });

  it('fails the stage with one sentence when the capture is not there, before deploying anything', async () => {
    const id = await publishRelease(ci, SERVICE, 'main.missing', digest(2), replayPipeline({ replay: { capture: 'staging/nope' } }), manifestsFor(SERVICE));
    await start(id);
    const done = await rolloutOf(admin, id, ended, 'the failed release', 30_000);
    expect(done.status).toBe('failed');
    expect(darkLaunchStep(done)).toMatchObject({ status: 'failed', message: 'capture staging/nope does not exist under CAPTURE_ROOT' });
    expect(done.error).toBe('dark launch in staging failed: capture staging/nope does not exist under CAPTURE_ROOT');
    expect(after(done).every((step: any) => step.status === 'pending')).toBe(true);
    expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
  }, 60_000);

  it('passes an identical candidate on the replayed capture and moves on to the next step', async () => {
    const id = await publishRelease(ci, SERVICE, 'main.2', digest(2), replayPipeline({}), manifestsFor(SERVICE));
    await start(id);
    const startedAt = performance.now();
    const gated = await rolloutOf(admin, id, (r) => atGate('production')(r) || ended(r), 'the staging dark launch to pass', 60_000);
    const step = darkLaunchStep(gated);
    process.stdout.write(
      `replayed dark launch: ${step.detail.replay.sent} exchanges in ${step.detail.replay.durationMs} ms; pass ${Math.round(performance.now() - startedAt)} ms after the rollout started\n`,
    );
    expect(gated.status).toBe('waiting');
    expect(step.status).toBe('succeeded');
    expect(step.detail).toMatchObject({
      route: ROUTE,
      shadow: { deployment: `${SERVICE}-shadow`, namespace: NAMESPACE, url: `http://${SERVICE}-shadow.${NAMESPACE}.svc` },
      replay: { capture: CAPTURE, route: ROUTE, speed: 4, exchanges: EXCHANGES, sent: EXCHANGES },
      verdict: { outcome: 'pass', compared: EXCHANGES, mismatchPercent: 0, reportUrl: `/dark-launch?route=${ROUTE}` },
    });
    // The next step ran: staging now runs release 2.
    expect(imageIn(cluster.sim, NAMESPACE, SERVICE)).toBe(image(2));
    // Every replayed request reached the shadow (release 2), marked as a replay; the stable Service answered the same requests for noise.
    expect(await replayedToShadow()).toBe(EXCHANGES);
    const stableCalls = (await fixtures.requests('live')).filter((call) => call.headers['x-switchyard-replay'] === '1');
    expect(stableCalls.length).toBe(EXCHANGES);
    expect(stableCalls.every((call) => call.headers.host === `${SERVICE}.${NAMESPACE}.svc`)).toBe(true);
    // The report is where a live dark launch's is, and the shadow is gone.
    const report = (await admin.get(`/api/v1/mirror/reports?route=${ROUTE}`)).body.routes[0];
    expect(report.totals.compared).toBeGreaterThanOrEqual(EXCHANGES);
    expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    await approve(id, 'ship it');
    expect((await rolloutOf(admin, id, ended, 'release 2', 30_000)).status).toBe('succeeded');
  }, 90_000);

  it('stops the replay when a person aborts the release, and removes the shadow', async () => {
    const id = await publishRelease(
      ci,
      SERVICE,
      'main.slow',
      digest(2),
      replayPipeline({ timeout: '10m', replay: { capture: 'staging/slow', speed: 1 } }),
      manifestsFor(SERVICE),
    );
    const before = await replayedToShadow();
    await start(id);
    const replaying = await rolloutOf(admin, id, (r) => darkLaunchStep(r)?.detail?.progress?.compared >= 1, 'the first replayed comparison', 30_000);
    expect(darkLaunchStep(replaying).message).toMatch(/^1 comparisons replayed from staging\/slow on route quotes, 0 differing$/);
    const abortedAt = performance.now();
    expect((await approver.post(`/api/v1/releases/${id}/abort`, { comment: 'enough' })).status).toBe(200);
    const done = await rolloutOf(admin, id, ended, 'the aborted release', 30_000);
    process.stdout.write(`replay abort: release ended ${Math.round(performance.now() - abortedAt)} ms after the abort request\n`);
    expect(done.status).toBe('aborted');
    expect(darkLaunchStep(done).status).toBe('aborted');
    expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    // One of the twenty captured requests reached the shadow: the abort ended the ten-minute replay.
    expect((await replayedToShadow()) - before).toBe(1);
    expect(imageIn(cluster.sim, NAMESPACE, SERVICE)).toBe(image(2));
  }, 60_000);

  it('ends the replay at the timeout and waits for a person when too little was compared', async () => {
    const id = await publishRelease(
      ci,
      SERVICE,
      'main.short',
      digest(2),
      replayPipeline({ timeout: '1s', replay: { capture: 'staging/slow', speed: 1 } }),
      manifestsFor(SERVICE),
    );
    const before = await replayedToShadow();
    await start(id);
    const waiting = await rolloutOf(admin, id, (r) => r.status === 'waiting' && darkLaunchStep(r)?.status === 'waiting', 'the inconclusive replay', 30_000);
    const step = darkLaunchStep(waiting);
    expect(step.detail.replay).toMatchObject({ exchanges: 20, sent: 1 });
    expect(step.detail.verdict).toMatchObject({ outcome: 'insufficient-data', compared: 1 });
    expect(step.detail.verdict.reason).toBe(
      'only 1 of the 100 comparisons needed came from replaying staging/slow on route quotes (the timeout 1s ended it after 1 of 20 captured exchanges); record a longer capture, raise replay.speed or timeout, then approve to continue or abort',
    );
    expect((await replayedToShadow()) - before).toBe(1);
    expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    expect((await approver.post(`/api/v1/releases/${id}/abort`, { comment: 'record more first' })).status).toBe(200);
    expect((await rolloutOf(admin, id, ended, 'the aborted release', 20_000)).status).toBe('aborted');
  }, 60_000);

  it('stops a candidate that changes a field at the replayed dark launch, naming the field', async () => {
    const id = await publishRelease(ci, SERVICE, 'main.3', digest(3), replayPipeline({}), manifestsFor(SERVICE));
    await start(id);
    const done = await rolloutOf(admin, id, ended, 'the verdict', 60_000);
    expect(done.status).toBe('failed');
    const step = darkLaunchStep(done);
    expect(step.status).toBe('failed');
    expect(step.detail.verdict).toMatchObject({ outcome: 'fail', mismatchPercent: 100, compared: EXCHANGES });
    expect(step.detail.verdict.reason).toBe(`\`$.price\` differs in 100.0 % of ${EXCHANGES} comparisons on GET /quotes/:symbol; the limit is 0.1 %`);
    expect(step.detail.verdict.endpoints[0]).toMatchObject({ endpoint: 'GET /quotes/:symbol', fields: [{ path: '$.price', percent: 100 }] });
    expect(done.error).toContain('`$.price` differs');
    // Stopped before the next step: staging still runs release 2, and the shadow is gone.
    expect(after(done).every((s: any) => s.status === 'pending')).toBe(true);
    expect(imageIn(cluster.sim, NAMESPACE, SERVICE)).toBe(image(2));
    expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
    expect(cluster.sim.object('Service', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
  }, 90_000);
});
