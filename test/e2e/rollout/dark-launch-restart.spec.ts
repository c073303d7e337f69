import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { rmSync } from 'node:fs';
import { dropSchema } from '@switchyard/persistence';
import type { ConnectedProxy } from '../../../apps/proxy/src/connected-proxy';
import { ApiClient } from '../../support/api-client';
import { ServiceNetwork } from '../../support/kube-simulator/service-network';
import { newTestDatabase, startTestServer, waitFor, type TestServer } from '../../support/test-server';
import type { PrivateRegistry } from '../deploy/private-registry';
import { startFixtures, type Fixtures } from '../mirror/fixture-services';
import { darkLaunchPipeline, FrontDoor, ROUTE, startProductionProxy, userTraffic } from './dark-launch-fixture';
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
} from './rollout-fixture';

const SERVICE = 'quotes';
const NAMESPACE = `${SERVICE}-prod`;
const HOST = `${SERVICE}.${NAMESPACE}.svc`;

/**
 * The server stops in the middle of a dark launch and another starts on the same database: the
 * stage resumes where it was — same shadow, same report window, the comparisons from before the
 * restart still counted — and a good release passes on to the gate. The mirror route does not
 * exist beforehand: the stage creates it (and its sampling flag).
 */
describe('a server restart in the middle of a dark launch', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let network: ServiceNetwork;
  let registry: PrivateRegistry;
  let fixtures: Fixtures<'live' | 'same'>;
  let door: FrontDoor;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const image = (n: number) => `${repositoryOf(SERVICE)}@${digest(n)}`;

  beforeAll(async () => {
    [cluster, registry, fixtures, door] = await Promise.all([
      startCluster(),
      startRegistry(),
      startFixtures({ live: 'primary', same: 'match' }),
      FrontDoor.start(),
    ]);
    network = new ServiceNetwork(cluster.sim);
    network.play(image(1), fixtures.urls.live);
    network.play(image(2), fixtures.urls.same);
    await network.addressOf(NAMESPACE, SERVICE);
    await network.addressOf(NAMESPACE, `${SERVICE}-shadow`);
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    await Promise.all([network?.close(), cluster?.dispose(), registry?.stop(), fixtures?.close(), door?.close()]);
  });

  it('resumes the stage with its shadow and its comparisons, then passes a good release on to the gate', async () => {
    const database = newTestDatabase();
    const adminToken = `sy_test_${randomBytes(18).toString('base64url')}`;
    const env = { KUBECONFIG: cluster.kubeconfig, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s', SWITCHYARD_ADMIN_TOKEN: adminToken };
    const open = new Set<TestServer>();
    let proxy: ConnectedProxy | undefined;
    try {
      const first = await startTestServer({ redis: 'none', database, env });
      open.add(first);
      door.point(first.url);
      let admin = new ApiClient(first.url, adminToken);
      const ci = admin.withToken(await admin.token_('ci-jenkins', ['deploy']));
      const approverToken = await admin.token_('release-manager', ['approve']);
      await registerPolicy(admin, SERVICE);
      // The proxy knows the server only by the front door's address, as it would know a Service's.
      proxy = await startProductionProxy(door.url, await admin.token_('quotes-proxy', ['sdk:production', `mirror:report:${ROUTE}`]), network);
      const pipeline = darkLaunchPipeline(SERVICE, { sample: '100%', minCompared: 300, timeout: '90s' });
      const go = async (id: string) => expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);

      const base = await publishRelease(ci, SERVICE, 'main.1', digest(1), pipeline, manifestsFor(SERVICE));
      await go(base);
      await rolloutOf(admin, base, atGate('production'), 'the first release at the gate');
      expect((await admin.withToken(approverToken).post(`/api/v1/releases/${base}/approve`, { comment: 'first' })).status).toBe(200);
      expect((await rolloutOf(admin, base, ended, 'the first release')).status).toBe('succeeded');

      const id = await publishRelease(ci, SERVICE, 'main.2', digest(2), pipeline, manifestsFor(SERVICE));
      await go(id);
      const step = (rollout: any) => rollout.steps.find((s: any) => s.kind === 'dark-launch' && s.environment === 'production');
      await rolloutOf(admin, id, (r) => Boolean(step(r)?.detail?.window), 'the dark launch to start mirroring', 30_000);
      // The stage created the route (primary: the environment's Service) and its sampling flag.
      const route = (await admin.get(`/api/v1/mirror/routes/${ROUTE}`)).body.route;
      expect(route).toMatchObject({ primary: `http://${HOST}`, candidate: `http://${SERVICE}-shadow.${NAMESPACE}.svc`, sample: { flag: `mirror.${ROUTE}` } });
      await waitFor(
        () =>
          proxy!
            .routes()
            .find((r) => r.name === ROUTE)
            ?.candidate.includes('-shadow'),
        10_000,
        'the proxy to mirror to the shadow',
      );
      await waitFor(() => proxy!.flags.getBooleanValue(`mirror.${ROUTE}`, false, { targetingKey: 'u' }), 10_000, 'the proxy to see sampling at 100 %');

      // Some comparisons, well short of minCompared, reach the server before it stops.
      await userTraffic(proxy, HOST, async () => proxy!.report(ROUTE).routes[0].totals.compared >= 80, 400, agent);
      await proxy.shipper.flush();
      const before = await rolloutOf(admin, id, (r) => (step(r)?.detail?.progress?.compared ?? 0) >= 80, 'progress to be recorded', 15_000);
      expect(step(before).status).toBe('running');
      const shadowUid = (cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`) as any).metadata.uid;

      await first.close();
      open.delete(first);
      const second = await startTestServer({ redis: 'none', database, env });
      open.add(second);
      door.point(second.url);
      admin = new ApiClient(second.url, adminToken);

      // The rest of the comparisons, through the proxy that reconnected to the new server.
      let moved: any;
      await userTraffic(
        proxy,
        HOST,
        async () => {
          moved = (await admin.get(`/api/v1/releases/${id}/rollout`)).body;
          return step(moved)?.status !== 'running';
        },
        3000,
        agent,
      );
      const waiting = await rolloutOf(admin, id, atGate('production'), 'the production gate after the dark launch', 30_000);
      const resumed = step(waiting);
      expect(resumed).toMatchObject({ status: 'succeeded', startedAt: step(before).startedAt });
      expect(resumed.detail.window).toBe(step(before).detail.window);
      expect(resumed.detail.verdict).toMatchObject({ outcome: 'pass', mismatchPercent: 0 });
      expect(resumed.detail.verdict.compared).toBeGreaterThanOrEqual(300);
      expect(resumed.detail.verdict.reason).toMatch(/^0 % of [\d,]+ comparisons differ after noise cancellation; the limit is 0\.1 %$/);
      // One shadow, deployed once before the restart and deleted at the end; sampling back to 0.
      const audit = (await admin.get(`/api/v1/audit?target=${encodeURIComponent(`release:${SERVICE}/${id}`)}&limit=100`)).body.items as any[];
      expect(audit.filter((event) => event.action === 'rollout.dark-launch.started')).toHaveLength(1);
      expect(audit.filter((event) => event.action === 'rollout.dark-launch.verdict')).toHaveLength(1);
      expect(shadowUid).toBeDefined();
      expect(cluster.sim.object('Deployment', NAMESPACE, `${SERVICE}-shadow`)).toBeUndefined();
      expect((await admin.get(`/api/v1/flags/mirror.${ROUTE}`)).body.environments.production).toMatchObject({ defaultServe: { variant: 'off' } });
      // Users only ever reached release 1; release 2 is not in production until the gate is passed.
      expect(
        network
          .traffic(NAMESPACE)
          .filter((entry) => entry.service === SERVICE)
          .every((entry) => entry.image === image(1)),
      ).toBe(true);
      expect(imageIn(cluster.sim, NAMESPACE, SERVICE)).toBe(image(1));
      expect((await admin.withToken(approverToken).post(`/api/v1/releases/${id}/approve`, { comment: 'clean dark launch' })).status).toBe(200);
      expect((await rolloutOf(admin, id, ended, 'the release', 30_000)).status).toBe('succeeded');
      expect(imageIn(cluster.sim, NAMESPACE, SERVICE)).toBe(image(2));
    } finally {
      await proxy?.close();
      for (const server of open) await server.close();
      if (database.url) await dropSchema(database.url, database.schema);
      rmSync(database.dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
