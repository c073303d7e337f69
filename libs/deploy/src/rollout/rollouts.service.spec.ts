import type { EntityManager } from 'typeorm';
import type { AuditService } from '@switchyard/audit';
import { AppError, UnavailableError } from '@switchyard/errors';
import type { FlagsService } from '@switchyard/flags';
import type { Database } from '@switchyard/persistence';
import { NotConfiguredError, type ClusterAccess } from '../kubernetes/cluster-access';
import { KubeApiError, type KubeClient } from '../kubernetes/kube-client';
import type { EnvironmentPlan } from '../kubernetes/manifest-set';
import { FourEyesError, PolicyRequiredError, policyFromPipeline, type ReleasePolicy } from '../policy/release-policy';
import type { ReleasePoliciesService } from '../releases/release-policies.service';
import type { Release } from '../releases/release.entity';
import type { ReleasesRepository } from '../releases/releases.repository';
import type { WebhookNotifier } from '../webhooks/webhook.notifier';
import type { EnvironmentPreview, RolloutPlanner } from './rollout-planner';
import { RolloutSignals, type RolloutSignal } from './rollout-signals';
import type { EnvironmentDeployment, Rollout } from './rollout.entity';
import type { RolloutsRepository } from './rollouts.repository';
import { RolloutsService } from './rollouts.service';
import { InMemoryFlagWrites } from './testing/in-memory-flag-writes';
import { InMemoryReleases, manifestsFor, releaseFixture } from './testing/in-memory-releases';
import { inMemoryRolloutWorld, rolloutFixture, type RolloutServiceRecords } from './testing/in-memory-rollouts.repository';

// RolloutsService's rules (what may start, locks and supersession, approvals, aborts, rollbacks,
// what is audited, signalled and counted) over in-memory fakes; the SQL itself is covered by
// test/e2e/rollout, and what happens after a start (the steps) by the step handlers' specs.

/** A cluster that is configured (its client is never called here) or answers 503 like ClusterAccess. */
class ScriptedCluster implements Pick<ClusterAccess, 'kubernetes'> {
  readonly client = {} as KubeClient;
  problem: AppError | undefined;

  kubernetes(): KubeClient {
    if (this.problem) throw this.problem;
    return this.client;
  }
}

/** The release policy's two checks, scripted: admit what it is given unless told to refuse. */
class ScriptedPolicies implements Pick<ReleasePoliciesService, 'admit' | 'checkApprover'> {
  readonly admitted: string[] = [];
  readonly approverChecks: Array<{ approver: string; gate: { service: string; environment: string; starters: string[] } }> = [];
  refusal: Error | undefined;
  approverRefusal: Error | undefined;

  async admit(release: Release): Promise<ReleasePolicy> {
    this.admitted.push(release.id);
    if (this.refusal) throw this.refusal;
    return policyFromPipeline(release.pipeline as NonNullable<Release['pipeline']>) as ReleasePolicy;
  }

  async checkApprover(_m: EntityManager, approver: string, gate: { service: string; environment: string; starters: string[] }): Promise<void> {
    this.approverChecks.push({ approver, gate });
    if (this.approverRefusal) throw this.approverRefusal;
  }
}

/** Dry runs that name the environment (or fail as told). */
class ScriptedPlanner implements Pick<RolloutPlanner, 'preview'> {
  readonly previewed: string[] = [];
  failure: Error | undefined;

  async preview(_client: KubeClient, environment: EnvironmentPlan): Promise<EnvironmentPreview> {
    this.previewed.push(environment.name);
    if (this.failure) throw this.failure;
    return {
      environment: environment.name,
      namespace: environment.namespace,
      namespaceExists: true,
      approval: environment.approval,
      canary: null,
      objects: [],
    };
  }
}

const release = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const REL = release(1);
const REL2 = release(2);
const ada = 'user:ada@example.com';
const bob = 'user:bob@example.com';
const DIGEST = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const IMAGE = `registry.test/shop@${DIGEST}`;
const stagingThenProduction = [{ name: 'staging' }, { name: 'production', approval: 'required' as const }];

function setUp() {
  const world = inMemoryRolloutWorld();
  const releases = new InMemoryReleases();
  const flags = new InMemoryFlagWrites();
  const cluster = new ScriptedCluster();
  const policies = new ScriptedPolicies();
  const planner = new ScriptedPlanner();
  const signals = new RolloutSignals();
  const emitted: RolloutSignal[] = [];
  signals.on((signal) => emitted.push(signal));
  const records: RolloutServiceRecords = world.rollouts;
  // RolloutsService takes the concrete classes; each stand-in implements the part it calls (checked above).
  const service = new RolloutsService(
    world.db as Database,
    records as RolloutsRepository,
    releases as Pick<ReleasesRepository, 'find'> as ReleasesRepository,
    cluster as Pick<ClusterAccess, 'kubernetes'> as ClusterAccess,
    planner as Pick<RolloutPlanner, 'preview'> as RolloutPlanner,
    world.auditService as AuditService,
    signals,
    world.observed,
    world.notifier as WebhookNotifier,
    policies as Pick<ReleasePoliciesService, 'admit' | 'checkApprover'> as ReleasePoliciesService,
    flags as Pick<FlagsService, 'getFlag'> as FlagsService,
  );
  /** A published release of shop whose manifests were uploaded with it. */
  const publish = (id: string, environments: Parameters<typeof releaseFixture>[1] = stagingThenProduction, overrides: Partial<Release> = {}) => {
    releases.add(releaseFixture(id, environments, overrides));
    world.rollouts.manifests.set(id, manifestsFor(environments.map((e) => e.name)));
    return id;
  };
  return { ...world, releases, flags, cluster, policies, planner, signals: emitted, service, publish };
}

type World = ReturnType<typeof setUp>;

/** A rollout of REL (created by ada) waiting at the production gate after staging succeeded. */
function waitingAtGate(world: World, overrides: Partial<Rollout> = {}): Rollout {
  world.publish(REL);
  const rollout = rolloutFixture(
    [
      { kind: 'deploy', environment: 'staging', status: 'succeeded' },
      { kind: 'gate', environment: 'production', status: 'waiting', startedAt: new Date(Date.now() - 5000).toISOString() },
      { kind: 'deploy', environment: 'production' },
    ],
    { id: release(101), releaseId: REL, status: 'waiting', currentStep: 1, ...overrides },
  );
  world.rollouts.add(rollout);
  return rollout;
}

/** A rollout of REL holding its flag-release step in staging at 50 % (the second of 10/50/100). */
function holdingFlagRelease(
  world: World,
  overrides: Partial<Rollout> = {},
  detail: Record<string, unknown> = { stepStartedAt: new Date().toISOString() },
): Rollout {
  world.publish(REL, [{ name: 'staging' }]);
  const rollout = rolloutFixture(
    [
      { kind: 'deploy', environment: 'staging', status: 'succeeded' },
      { kind: 'flag-release', environment: 'staging', status: 'running', detail: { steps: [10, 50, 100], stepIndex: 1, ...detail } },
    ],
    { id: release(102), releaseId: REL, currentStep: 1, ...overrides },
  );
  world.rollouts.add(rollout);
  return rollout;
}

function deployment(service: string, environment: string, releaseId: string, version: string): Omit<EnvironmentDeployment, 'id' | 'deployedAt'> {
  return {
    service,
    environment,
    namespace: `${service}-${environment}`,
    kind: 'release',
    releaseId,
    rolloutId: null,
    version,
    image: `registry.test/${service}:${version}`,
    imageDigest: null,
    workloads: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: service } }],
    objects: [],
    deployedBy: ada,
    reason: null,
  };
}

const stored = async (world: World, id: string) => (await world.rollouts.find(world.manager, id)) as Rollout;
const actions = (world: World) => world.audit.map((e) => e.action);

describe('RolloutsService', () => {
  describe('start', () => {
    it('freezes the plan with the image by digest, takes the locks, queues the steps, audits and signals the driver', async () => {
      const world = setUp();
      world.publish(REL);

      const rollout = await world.service.start(ada, REL);

      expect(rollout).toMatchObject({
        kind: 'release',
        releaseId: REL,
        service: 'shop',
        version: '1.2.0',
        image: IMAGE,
        status: 'running',
        currentStep: 0,
        createdBy: ada,
      });
      expect(rollout.steps.map((s) => [s.kind, s.environment, s.status])).toEqual([
        ['deploy', 'staging', 'pending'],
        ['gate', 'production', 'pending'],
        ['deploy', 'production', 'pending'],
      ]);
      const [staging] = rollout.plan.environments;
      expect(staging).toMatchObject({ name: 'staging', namespace: 'shop-staging', approval: 'none' });
      expect(staging.objects[0].metadata).toMatchObject({
        namespace: 'shop-staging',
        annotations: { 'switchyard.dev/release': REL, 'switchyard.dev/version': '1.2.0' },
      });
      expect(JSON.stringify(staging.objects[0])).toContain(`"image":"${IMAGE}"`);
      expect(await stored(world, rollout.id)).toEqual(rollout);
      expect(Object.fromEntries(world.rollouts.locks)).toEqual({ 'shop/staging': rollout.id, 'shop/production': rollout.id });
      expect(world.policies.admitted).toEqual([REL]);
      expect(world.audit).toEqual([
        {
          actor: ada,
          action: 'rollout.started',
          target: `release:shop/${REL}`,
          after: { environments: ['staging', 'production'], steps: ['deploy:staging', 'gate:production', 'deploy:production'], image: IMAGE },
          meta: { rolloutId: rollout.id, service: 'shop', version: '1.2.0', imageDigest: DIGEST, supersedes: [] },
        },
      ]);
      expect(world.signals).toEqual([{ kind: 'runnable', rolloutId: rollout.id }]);
      expect(world.metrics).toEqual([]);
    });

    it('runs a release without a digest by its tag', async () => {
      const world = setUp();
      world.publish(REL, [{ name: 'staging' }], { imageDigest: null });
      expect((await world.service.start(ada, REL)).image).toBe('registry.test/shop:1.2.0');
    });

    it.each([
      ['an id that is not a UUID', 'latest', 'NOT_FOUND', 404],
      ['a release that does not exist', release(99), 'NOT_FOUND', 404],
    ])('answers %s with %s', async (_what, id, code, status) => {
      const world = setUp();
      await expect(world.service.start(ada, id)).rejects.toMatchObject({ code, status });
      expect(world.rollouts.rollouts.size).toBe(0);
    });

    it.each([
      ['an unpublished release', { status: 'failed' as const }, /is failed; only a published release can be rolled out/],
      ['a release without a deploy section', { pipeline: { ...releaseFixture(REL, []).pipeline!, deploy: undefined } }, /has no deploy section/],
      ['a release that published no image', { imageReference: null, imageDigest: null }, /published no image/],
    ])('refuses %s with a 409 and writes nothing', async (_what, overrides, message) => {
      const world = setUp();
      world.publish(REL, stagingThenProduction, overrides);
      await expect(world.service.start(ada, REL)).rejects.toMatchObject({ code: 'CONFLICT', status: 409, message: expect.stringMatching(message) });
      expect(world.policies.admitted).toEqual([]);
      expect(world.rollouts.rollouts.size).toBe(0);
      expect(world.audit).toEqual([]);
      expect(world.signals).toEqual([]);
    });

    it('says which release status it found', async () => {
      const world = setUp();
      world.publish(REL, stagingThenProduction, { status: 'running' });
      await expect(world.service.start(ada, REL)).rejects.toMatchObject({ code: 'CONFLICT', extra: { releaseStatus: 'running' } });
    });

    it('refuses a release created without manifests, naming where they belong', async () => {
      const world = setUp();
      world.publish(REL);
      world.rollouts.manifests.delete(REL);
      await expect(world.service.start(ada, REL)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('deploy/<environment>/*.yml') });
      expect(world.rollouts.rollouts.size).toBe(0);
    });

    it('answers 503 before reading anything when no cluster is configured', async () => {
      const world = setUp();
      world.publish(REL);
      world.cluster.problem = new NotConfiguredError('KUBERNETES_NOT_CONFIGURED', 'no Kubernetes cluster is configured');
      await expect(world.service.start(ada, REL)).rejects.toMatchObject({ code: 'KUBERNETES_NOT_CONFIGURED', status: 503 });
      expect(world.policies.admitted).toEqual([]);
      expect(world.rollouts.rollouts.size).toBe(0);
    });

    it('passes on the release policy’s refusal and takes no lock', async () => {
      const world = setUp();
      world.publish(REL);
      world.policies.refusal = new PolicyRequiredError('shop', REL, null);
      await expect(world.service.start(ada, REL)).rejects.toMatchObject({ code: 'POLICY_REQUIRED', status: 409 });
      expect(world.rollouts.rollouts.size).toBe(0);
      expect(world.rollouts.locks.size).toBe(0);
      expect(world.audit).toEqual([]);
    });

    it('refuses a flag release whose flags cannot be released, naming each flag and its place', async () => {
      const world = setUp();
      const guardrails = { minSamples: 10, failureLimit: 0, metrics: [] };
      world.publish(REL, [
        { name: 'staging', release: { flags: ['new-checkout', 'missing', 'old-banner', 'colour', 'prod-only'], steps: [10, 100], interval: '1m', guardrails } },
      ]);
      world.flags.addBooleanFlag('new-checkout', ['staging']);
      world.flags.addBooleanFlag('old-banner', ['staging'], { archived: true });
      world.flags.addBooleanFlag('colour', ['staging'], { type: 'string', variants: { red: 'red', blue: 'blue' } });
      world.flags.addBooleanFlag('prod-only', ['production']);

      const refused = world.service.start(ada, REL);

      await expect(refused).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        status: 400,
        details: [
          { path: 'deploy.environments[staging].release.flags[1]', problem: 'flag missing does not exist' },
          { path: 'deploy.environments[staging].release.flags[2]', problem: 'flag old-banner is archived' },
          { path: 'deploy.environments[staging].release.flags[3]', problem: expect.stringContaining('flag colour is a string flag') },
          { path: 'deploy.environments[staging].release.flags[4]', problem: 'flag prod-only is not defined in environment staging' },
        ],
      });
      expect(world.rollouts.rollouts.size).toBe(0);
      expect(world.signals).toEqual([]);
    });

    it('refuses a flag release for one missing flag, saying so in the message', async () => {
      const world = setUp();
      world.publish(REL, [
        { name: 'staging', release: { flags: ['missing'], steps: [100], interval: '1m', guardrails: { minSamples: 1, failureLimit: 0, metrics: [] } } },
      ]);
      await expect(world.service.start(ada, REL)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: "the release's flags cannot be released: flag missing does not exist",
        details: [{ path: 'deploy.environments[staging].release.flags[0]', problem: 'flag missing does not exist' }],
      });
    });

    it('starts a flag release whose flags are boolean and defined, ending the environment with a flag-release step', async () => {
      const world = setUp();
      world.publish(REL, [
        {
          name: 'staging',
          release: { flags: ['new-checkout'], steps: [10, 100], interval: '1m', guardrails: { minSamples: 1, failureLimit: 0, metrics: [] } },
        },
      ]);
      world.flags.addBooleanFlag('new-checkout', ['staging']);
      const rollout = await world.service.start(ada, REL);
      expect(rollout.steps.map((s) => `${s.kind}:${s.environment}`)).toEqual(['deploy:staging', 'flag-release:staging']);
    });

    it('passes on a flag lookup that fails for another reason than a missing flag', async () => {
      const world = setUp();
      world.publish(REL, [
        { name: 'staging', release: { flags: ['new-checkout'], steps: [100], interval: '1m', guardrails: { minSamples: 1, failureLimit: 0, metrics: [] } } },
      ]);
      const outage = new UnavailableError('the database is unavailable');
      jest.spyOn(world.flags, 'getFlag').mockRejectedValue(outage);
      await expect(world.service.start(ada, REL)).rejects.toBe(outage);
      expect(world.rollouts.rollouts.size).toBe(0);
    });

    it('refuses a second rollout while another holds an environment, describing the holder, and changes nothing', async () => {
      const world = setUp();
      world.publish(REL);
      const first = await world.service.start(ada, REL);
      world.publish(REL2, stagingThenProduction, { version: '1.3.0' });

      await expect(world.service.start(bob, REL2)).rejects.toMatchObject({
        code: 'CONFLICT',
        status: 409,
        message: `shop/production is locked by release 1.2.0 (${REL}), running at deploy in staging; wait for it, abort it, or pass supersede: true`,
        extra: { lock: { service: 'shop', environment: 'production', rolloutId: first.id, releaseId: REL, status: 'running' } },
      });
      expect([...world.rollouts.rollouts.keys()]).toEqual([first.id]);
      expect(await stored(world, first.id)).toEqual(first);
      expect(Object.fromEntries(world.rollouts.locks)).toEqual({ 'shop/staging': first.id, 'shop/production': first.id });
      expect(actions(world)).toEqual(['rollout.started']);
      expect(world.signals).toHaveLength(1);
    });

    it('names a rollback that holds the lock', async () => {
      const world = setUp();
      world.publish(REL, [{ name: 'production' }]);
      world.rollouts.add(
        rolloutFixture([{ kind: 'rollback', environment: 'production', status: 'running' }], { id: release(103), kind: 'rollback', releaseId: release(50) }),
      );
      await expect(world.service.start(ada, REL)).rejects.toMatchObject({
        message: expect.stringContaining('shop/production is locked by a rollback, running at rollback in production'),
      });
    });

    it('with supersede, ends the holder as superseded, takes its locks, audits both and tells the driver', async () => {
      const world = setUp();
      world.publish(REL);
      const first = await world.service.start(ada, REL);
      world.publish(REL2, stagingThenProduction, { version: '1.3.0' });

      const second = await world.service.start(bob, REL2, { supersede: true });

      const older = await stored(world, first.id);
      const message = `superseded by release 1.3.0 (${REL2})`;
      expect(older).toMatchObject({ status: 'superseded', supersededBy: second.id, error: message, cleanupPending: false, finishedAt: expect.any(String) });
      expect(older.steps[0]).toMatchObject({ status: 'aborted', message, finishedAt: expect.any(String), durationMs: 0 });
      expect(older.steps.slice(1).map((s) => s.status)).toEqual(['pending', 'pending']);
      expect(Object.fromEntries(world.rollouts.locks)).toEqual({ 'shop/staging': second.id, 'shop/production': second.id });
      expect(second).toMatchObject({ status: 'running', createdBy: bob, version: '1.3.0' });
      expect(world.audit.slice(1)).toEqual([
        {
          actor: bob,
          action: 'rollout.superseded',
          target: `release:shop/${REL}`,
          before: { status: 'running', step: 'deploy' },
          after: { status: 'superseded', by: second.id },
          meta: { rolloutId: first.id, supersededBy: second.id },
        },
        expect.objectContaining({ action: 'rollout.started', meta: expect.objectContaining({ rolloutId: second.id, supersedes: [first.id] }) }),
      ]);
      expect(world.metrics).toEqual([['rolloutFinished', 'shop', 'release', 'superseded']]);
      expect(world.signals).toEqual([
        { kind: 'runnable', rolloutId: first.id },
        { kind: 'abort', rolloutId: first.id },
        { kind: 'runnable', rolloutId: second.id },
      ]);
    });

    it('superseding a canary leaves its cleanup pending and keeps finished steps as they were', async () => {
      const world = setUp();
      world.publish(REL, [{ name: 'production' }]);
      const canary = rolloutFixture(
        [
          { kind: 'canary', environment: 'production', status: 'succeeded' },
          { kind: 'analysis', environment: 'production', status: 'running', startedAt: new Date(Date.now() - 2000).toISOString() },
          { kind: 'promote', environment: 'production' },
        ],
        { id: release(104), releaseId: release(51), currentStep: 1 },
      );
      canary.plan.environments[0].canary = { replicas: 1, analysis: { interval: '1m', iterations: 3, minSamples: 10, failureLimit: 0, metrics: [] } };
      world.rollouts.add(canary);

      await world.service.start(ada, REL, { supersede: true });

      const older = await stored(world, canary.id);
      expect(older.cleanupPending).toBe(true);
      expect(older.steps.map((s) => s.status)).toEqual(['succeeded', 'aborted', 'pending']);
      expect(older.steps[1].durationMs).toBeGreaterThanOrEqual(2000);
    });

    it('turns a lock taken by a start racing it into a plain 409 and rolls everything back', async () => {
      const world = setUp();
      world.publish(REL, [{ name: 'staging' }]);
      world.rollouts.locks.set('shop/staging', release(105));
      // The other start took the lock after this one looked (PostgreSQL's primary key decides).
      jest.spyOn(world.rollouts, 'lockHolders').mockResolvedValueOnce([]);

      await expect(world.service.start(ada, REL)).rejects.toMatchObject({
        code: 'CONFLICT',
        message: 'another rollout of shop started at the same moment; try again or pass supersede: true',
      });
      expect(world.rollouts.rollouts.size).toBe(0);
      expect(Object.fromEntries(world.rollouts.locks)).toEqual({ 'shop/staging': release(105) });
      expect(world.audit).toEqual([]);
      expect(world.signals).toEqual([]);
    });

    it('passes on any other failure while starting, unchanged', async () => {
      const world = setUp();
      world.publish(REL, [{ name: 'staging' }]);
      const failure = new Error('connection reset');
      jest.spyOn(world.rollouts, 'lock').mockRejectedValueOnce(failure);
      await expect(world.service.start(ada, REL)).rejects.toBe(failure);
      expect(world.rollouts.rollouts.size).toBe(0);
    });
  });

  describe('reading', () => {
    it('get answers 404 for an id that is not a UUID or is unknown, and shows Secrets by hash only', async () => {
      const world = setUp();
      await expect(world.service.get('r-1')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
      await expect(world.service.get(release(106))).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const rollout = rolloutFixture([{ kind: 'deploy', environment: 'staging' }], { id: release(106) });
      rollout.plan.environments[0].objects = [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop-staging' }, data: { password: 'aHVudGVyMg==' } },
      ];
      world.rollouts.add(rollout);

      const shown = await world.service.get(rollout.id);
      const password = (shown.plan.environments[0].objects[0].data as Record<string, string>).password;
      expect(password).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect((await stored(world, rollout.id)).plan.environments[0].objects[0].data).toEqual({ password: 'aHVudGVyMg==' });
    });

    it('forRelease answers the release’s latest release rollout, not a rollback to it', async () => {
      const world = setUp();
      world.publish(REL);
      await expect(world.service.forRelease(REL)).rejects.toMatchObject({ code: 'NOT_FOUND', message: `rollout of release "${REL}" does not exist` });
      await expect(world.service.forRelease(release(98))).rejects.toMatchObject({ code: 'NOT_FOUND', message: `release "${release(98)}" does not exist` });
      world.rollouts.add(rolloutFixture([{ kind: 'deploy', environment: 'staging' }], { id: release(107), releaseId: REL, status: 'superseded' }));
      world.rollouts.add(rolloutFixture([{ kind: 'deploy', environment: 'staging' }], { id: release(108), releaseId: REL, status: 'succeeded' }));
      world.rollouts.add(rolloutFixture([{ kind: 'rollback', environment: 'staging' }], { id: release(109), releaseId: REL, kind: 'rollback' }));
      expect((await world.service.forRelease(REL)).id).toBe(release(108));
    });

    it('list answers newest first, by service and status, up to the limit', async () => {
      const world = setUp();
      world.rollouts.add(rolloutFixture([{ kind: 'deploy', environment: 'staging' }], { id: 'a', status: 'succeeded' }));
      world.rollouts.add(rolloutFixture([{ kind: 'deploy', environment: 'staging' }], { id: 'b', service: 'cart' }));
      world.rollouts.add(rolloutFixture([{ kind: 'deploy', environment: 'staging' }], { id: 'c', status: 'waiting' }));
      const ids = async (filter: Parameters<RolloutsService['list']>[0]) => (await world.service.list(filter)).map((r) => r.id);
      expect(await ids({ limit: 10 })).toEqual(['c', 'b', 'a']);
      expect(await ids({ service: 'shop', limit: 10 })).toEqual(['c', 'a']);
      expect(await ids({ statuses: ['running', 'waiting'], limit: 10 })).toEqual(['c', 'b']);
      expect(await ids({ limit: 1 })).toEqual(['c']);
    });

    it('measurements groups the rollout’s measurements by environment in the order they were taken', async () => {
      const world = setUp();
      const id = release(110);
      world.rollouts.add(rolloutFixture([{ kind: 'analysis', environment: 'staging' }], { id }));
      const measured = (iteration: number) => ({
        iteration,
        metric: 'error-rate',
        query: 'q',
        canary: 0.01,
        stable: 0.01,
        samples: 100,
        threshold: { max: 0.05, minSamples: 10 },
        outcome: 'successful' as const,
        reason: 'within threshold',
        measuredAt: '2026-01-01T00:00:00.000Z',
      });
      await world.rollouts.addMeasurements(world.manager, id, 'staging', [measured(1)]);
      await world.rollouts.addMeasurements(world.manager, id, 'production', [measured(1)]);
      await world.rollouts.addMeasurements(world.manager, id, 'staging', [measured(2)]);
      await world.rollouts.addMeasurements(world.manager, release(111), 'staging', [measured(9)]);

      expect(await world.service.measurements(id)).toEqual({
        rolloutId: id,
        environments: [
          { environment: 'staging', measurements: [measured(1), measured(2)] },
          { environment: 'production', measurements: [measured(1)] },
        ],
      });
      await expect(world.service.measurements(release(112))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('approve', () => {
    it('at a gate: ends the step as approved, moves on, records the decision, audits, counts and signals', async () => {
      const world = setUp();
      const rollout = waitingAtGate(world);

      const approved = await world.service.approve(bob, REL, 'looks good');

      expect(world.policies.approverChecks).toEqual([{ approver: bob, gate: { service: 'shop', environment: 'production', starters: ['token:ci', ada] } }]);
      expect(approved).toMatchObject({ status: 'running', currentStep: 2 });
      expect(approved.steps[1]).toMatchObject({ status: 'succeeded', message: `approved by ${bob}: looks good`, finishedAt: expect.any(String) });
      expect(approved.steps[1].durationMs).toBeGreaterThanOrEqual(5000);
      expect(approved.decisions).toEqual([
        { action: 'approve', actor: bob, comment: 'looks good', environment: 'production', step: 'gate', at: expect.any(String) },
      ]);
      expect(await stored(world, rollout.id)).toEqual(approved);
      expect(world.audit).toEqual([
        {
          actor: bob,
          action: 'rollout.gate.approved',
          target: `release:shop/${REL}`,
          environment: 'production',
          before: { status: 'waiting', step: 'gate' },
          after: { status: 'running' },
          meta: { rolloutId: rollout.id, comment: 'looks good', gate: 'approval', version: '1.2.0', imageDigest: 'sha256:abc' },
        },
      ]);
      expect(world.metrics).toEqual([['stepFinished', 'shop', 'production', 'gate', 'succeeded', expect.any(Number)]]);
      expect(world.metrics[0][5]).toBeGreaterThanOrEqual(5);
      expect(world.signals).toEqual([{ kind: 'runnable', rolloutId: rollout.id }]);
    });

    it('at an inconclusive analysis: promotes and says so', async () => {
      const world = setUp();
      world.publish(REL, [{ name: 'production' }]);
      world.rollouts.add(
        rolloutFixture(
          [
            { kind: 'canary', environment: 'production', status: 'succeeded' },
            { kind: 'analysis', environment: 'production', status: 'waiting' },
            { kind: 'promote', environment: 'production' },
          ],
          { id: release(113), releaseId: REL, status: 'waiting', currentStep: 1 },
        ),
      );
      const approved = await world.service.approve(bob, REL, 'noise');
      expect(approved.steps[1]).toMatchObject({
        status: 'succeeded',
        durationMs: 0,
        message: `approved by ${bob}: noise (promoting despite an inconclusive analysis)`,
      });
      expect(world.audit[0].meta).toMatchObject({ gate: 'inconclusive' });
    });

    it('refuses a rollout that is not waiting, saying where it is, and changes nothing', async () => {
      const world = setUp();
      world.publish(REL);
      const running = await world.service.start(ada, REL);
      await expect(world.service.approve(bob, REL, 'ok')).rejects.toMatchObject({
        code: 'CONFLICT',
        message: `release ${REL} is not waiting for approval (its rollout is running at deploy in staging)`,
        extra: { rolloutStatus: 'running' },
      });
      expect(await stored(world, running.id)).toEqual(running);
      expect(world.policies.approverChecks).toEqual([]);
    });

    it('passes on a four-eyes refusal and writes nothing', async () => {
      const world = setUp();
      const rollout = waitingAtGate(world);
      world.policies.approverRefusal = new FourEyesError(`four-eyes: ${ada} cannot approve this release`);
      await expect(world.service.approve(ada, REL, 'mine')).rejects.toMatchObject({ code: 'FOUR_EYES', status: 403 });
      expect(await stored(world, rollout.id)).toMatchObject({ status: 'waiting', currentStep: 1, decisions: [] });
      expect(world.audit).toEqual([]);
      expect(world.signals).toEqual([]);
    });

    it('approves a flag release’s wait in place: the step keeps running and is told to go on', async () => {
      const world = setUp();
      const rollout = holdingFlagRelease(world);

      const approved = await world.service.approve(bob, REL, 'metrics fine');

      expect(approved).toMatchObject({ status: 'running', currentStep: 1 });
      expect(approved.steps[1]).toMatchObject({ status: 'running', message: `approved by ${bob}: metrics fine (next step)`, finishedAt: null });
      expect(approved.decisions).toEqual([expect.objectContaining({ action: 'approve', actor: bob, step: 'flag-release', environment: 'staging' })]);
      expect(world.audit).toEqual([
        expect.objectContaining({
          action: 'rollout.gate.approved',
          environment: 'staging',
          before: { status: 'running', step: 'flag-release' },
          after: { status: 'running' },
          meta: expect.objectContaining({ rolloutId: rollout.id, service: 'shop', gate: 'flag-release-wait', percent: 50 }),
        }),
      ]);
      expect(world.metrics).toEqual([]);
      expect(world.signals).toEqual([
        { kind: 'approved', rolloutId: rollout.id },
        { kind: 'runnable', rolloutId: rollout.id },
      ]);
    });

    it('settles an inconclusive flag-release verdict in place', async () => {
      const world = setUp();
      holdingFlagRelease(world, { status: 'waiting' }, {});
      const approved = await world.service.approve(bob, REL, 'nobody used it');
      expect(approved.status).toBe('running');
      expect(approved.steps[1].status).toBe('running');
      expect(world.audit[0]).toMatchObject({ before: { status: 'waiting' }, meta: { gate: 'inconclusive', percent: 50 } });
    });

    it('refuses a flag release that is not holding (still applying its step)', async () => {
      const world = setUp();
      holdingFlagRelease(world, {}, {});
      await expect(world.service.approve(bob, REL, 'ok')).rejects.toMatchObject({
        code: 'CONFLICT',
        message: expect.stringContaining('its rollout is running at flag-release in staging'),
      });
    });

    it.each([
      ['a release without a rollout', undefined, `release ${REL} has no rollout`],
      ['a rollout that has ended', 'succeeded' as const, `the rollout of release ${REL} has ended (succeeded)`],
    ])('refuses %s with a 409', async (_what, status, message) => {
      const world = setUp();
      world.publish(REL);
      if (status) world.rollouts.add(rolloutFixture([{ kind: 'deploy', environment: 'staging', status: 'succeeded' }], { releaseId: REL, status }));
      await expect(world.service.approve(bob, REL, 'ok')).rejects.toMatchObject({ code: 'CONFLICT', message });
      await expect(world.service.abort(bob, REL, 'ok')).rejects.toMatchObject({ code: 'CONFLICT', message });
    });
  });

  describe('abort', () => {
    it('at a gate: ends the rollout at once, frees its locks, audits, counts and notifies, without waking the driver', async () => {
      const world = setUp();
      const rollout = waitingAtGate(world);

      const aborted = await world.service.abort(bob, REL, 'wrong build');

      const message = `aborted by ${bob}: wrong build`;
      expect(aborted).toMatchObject({ status: 'aborted', error: message, finishedAt: expect.any(String), abortRequested: null });
      expect(aborted.steps.map((s) => s.status)).toEqual(['succeeded', 'aborted', 'pending']);
      expect(aborted.steps[1]).toMatchObject({ message, finishedAt: expect.any(String) });
      expect(aborted.decisions).toEqual([
        { action: 'abort', actor: bob, comment: 'wrong build', environment: 'production', step: 'gate', at: expect.any(String) },
      ]);
      expect(world.rollouts.locks.size).toBe(0);
      expect(world.audit).toEqual([
        {
          actor: bob,
          action: 'rollout.aborted',
          target: `release:shop/${REL}`,
          environment: 'production',
          before: { status: 'waiting', step: 'gate' },
          after: { status: 'aborted' },
          meta: { rolloutId: rollout.id, comment: 'wrong build', version: '1.2.0', imageDigest: 'sha256:abc' },
        },
      ]);
      expect(world.metrics).toEqual([
        ['rolloutFinished', 'shop', 'release', 'aborted'],
        ['stepFinished', 'shop', 'production', 'gate', 'aborted', expect.any(Number)],
      ]);
      expect(world.notifications).toEqual([
        {
          event: 'rollout.aborted',
          text: `shop 1.2.0 was aborted at the production gate by ${bob}: wrong build`,
          service: 'shop',
          environment: 'production',
          releaseId: REL,
          rolloutId: rollout.id,
          version: '1.2.0',
          image: 'registry.test/shop:1.2.0',
          detail: { comment: 'wrong build' },
        },
      ]);
      expect(world.signals).toEqual([]);
    });

    it('mid-step: records the request for the driver, keeps the locks and wakes the driver', async () => {
      const world = setUp();
      world.publish(REL);
      const running = await world.service.start(ada, REL);
      world.signals.length = 0;

      const requested = await world.service.abort(bob, REL, 'stop');

      expect(requested).toMatchObject({ status: 'running', abortRequested: { actor: bob, comment: 'stop', at: expect.any(String) }, finishedAt: null });
      expect(requested.steps).toEqual(running.steps);
      expect(requested.decisions).toEqual([expect.objectContaining({ action: 'abort', environment: 'staging', step: 'deploy' })]);
      expect(world.rollouts.locks.size).toBe(2);
      expect(world.audit.at(-1)).toEqual({
        actor: bob,
        action: 'rollout.abort.requested',
        target: `release:shop/${REL}`,
        environment: 'staging',
        before: { status: 'running', step: 'deploy' },
        meta: { rolloutId: running.id, comment: 'stop', version: '1.2.0' },
      });
      expect(world.signals).toEqual([
        { kind: 'abort', rolloutId: running.id },
        { kind: 'runnable', rolloutId: running.id },
      ]);
      expect(world.notifications).toEqual([]);
      expect(world.metrics).toEqual([]);
    });

    it('asked twice, records the first request only but nudges the driver again', async () => {
      const world = setUp();
      world.publish(REL);
      const running = await world.service.start(ada, REL);
      await world.service.abort(bob, REL, 'stop');
      world.signals.length = 0;

      const again = await world.service.abort(ada, REL, 'stop now');

      expect(again.abortRequested).toMatchObject({ actor: bob, comment: 'stop' });
      expect(again.decisions).toHaveLength(1);
      expect(actions(world)).toEqual(['rollout.started', 'rollout.abort.requested']);
      expect(world.signals).toEqual([
        { kind: 'abort', rolloutId: running.id },
        { kind: 'runnable', rolloutId: running.id },
      ]);
    });

    it('waiting on an inconclusive analysis: hands the abort to the driver (the canary must be deleted)', async () => {
      const world = setUp();
      world.publish(REL, [{ name: 'production' }]);
      const rollout = rolloutFixture(
        [
          { kind: 'canary', environment: 'production', status: 'succeeded' },
          { kind: 'analysis', environment: 'production', status: 'waiting' },
        ],
        { id: release(114), releaseId: REL, status: 'waiting', currentStep: 1 },
      );
      world.rollouts.add(rollout);

      const requested = await world.service.abort(bob, REL, 'too slow');

      expect(requested).toMatchObject({ status: 'running', abortRequested: { actor: bob } });
      expect(requested.steps[1].status).toBe('waiting');
      expect(world.audit[0]).toMatchObject({ action: 'rollout.abort.requested', before: { status: 'waiting', step: 'analysis' } });
      expect(world.signals.map((s) => s.kind)).toEqual(['abort', 'runnable']);
    });
  });

  describe('rollback', () => {
    /** production ran 1.0.0, 1.1.0 (REL2, still known as a release) and now 1.2.0 (REL). */
    async function withHistory(world: World) {
      world.publish(REL2, [{ name: 'production' }], { version: '1.1.0' });
      for (const [id, version] of [
        [release(20), '1.0.0'],
        [REL2, '1.1.0'],
        [REL, '1.2.0'],
      ]) {
        await world.rollouts.recordDeployment(world.manager, deployment('shop', 'production', id, version));
      }
    }

    it('restores the previous release under the environment’s lock, audited with before and after', async () => {
      const world = setUp();
      await withHistory(world);

      const rollback = await world.service.rollback(ada, 'shop', 'production', { reason: 'errors up' });

      expect(rollback).toMatchObject({
        kind: 'rollback',
        releaseId: REL2,
        service: 'shop',
        version: '1.1.0',
        image: 'registry.test/shop:1.1.0',
        status: 'running',
        reason: 'errors up',
        createdBy: ada,
        plan: { environments: [], rollback: { environment: 'production', namespace: 'shop-production', target: expect.objectContaining({ releaseId: REL2 }) } },
      });
      expect(rollback.steps).toEqual([
        expect.objectContaining({
          kind: 'rollback',
          environment: 'production',
          status: 'pending',
          detail: { trigger: 'manual', from: { releaseId: REL, version: '1.2.0', image: 'registry.test/shop:1.2.0' } },
        }),
      ]);
      expect(Object.fromEntries(world.rollouts.locks)).toEqual({ 'shop/production': rollback.id });
      expect(world.audit).toEqual([
        {
          actor: ada,
          action: 'environment.rollback.requested',
          target: 'environment:shop/production',
          environment: 'production',
          before: { version: '1.2.0', image: 'registry.test/shop:1.2.0', imageDigest: null, releaseId: REL },
          after: { version: '1.1.0', image: 'registry.test/shop:1.1.0', imageDigest: null, releaseId: REL2 },
          meta: { rolloutId: rollback.id, reason: 'errors up' },
        },
      ]);
      expect(world.signals).toEqual([{ kind: 'runnable', rolloutId: rollback.id }]);
    });

    it('restores a release named from the history, and refuses one that never ran there', async () => {
      const world = setUp();
      await withHistory(world);
      expect((await world.service.rollback(ada, 'shop', 'production', { reason: 'r', toRelease: release(20) })).version).toBe('1.0.0');

      const other = setUp();
      await withHistory(other);
      await expect(other.service.rollback(ada, 'shop', 'production', { reason: 'r', toRelease: release(21) })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: 'toRelease', problem: `release ${release(21)} never ran in shop/production` }],
      });
      expect(other.rollouts.rollouts.size).toBe(0);
    });

    it('answers 404 for an environment that never ran anything, and 409 when only one release ran there', async () => {
      const world = setUp();
      await expect(world.service.rollback(ada, 'shop', 'production', { reason: 'r' })).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
      await world.rollouts.recordDeployment(world.manager, deployment('shop', 'production', REL, '1.2.0'));
      await expect(world.service.rollback(ada, 'shop', 'production', { reason: 'r' })).rejects.toMatchObject({
        code: 'CONFLICT',
        message: 'nothing to roll back to: shop/production has run only 1.2.0',
      });
      expect(world.rollouts.rollouts.size).toBe(0);
    });

    it('answers 503 when no cluster is configured', async () => {
      const world = setUp();
      await withHistory(world);
      world.cluster.problem = new NotConfiguredError('KUBERNETES_NOT_CONFIGURED', 'no cluster');
      await expect(world.service.rollback(ada, 'shop', 'production', { reason: 'r' })).rejects.toMatchObject({ code: 'KUBERNETES_NOT_CONFIGURED' });
    });

    it('refuses while a rollout holds the environment, and with supersede ends that rollout first', async () => {
      const world = setUp();
      await withHistory(world);
      const holder = rolloutFixture([{ kind: 'deploy', environment: 'production', status: 'running' }], {
        id: release(115),
        releaseId: release(52),
        version: '1.3.0',
      });
      world.rollouts.add(holder);
      await expect(world.service.rollback(ada, 'shop', 'production', { reason: 'r' })).rejects.toMatchObject({
        code: 'CONFLICT',
        extra: { lock: { environment: 'production', rolloutId: holder.id, releaseId: release(52) } },
      });

      const rollback = await world.service.rollback(ada, 'shop', 'production', { reason: 'r', supersede: true });

      expect(await stored(world, holder.id)).toMatchObject({ status: 'superseded', supersededBy: rollback.id, error: `superseded by release 1.1.0 (${REL2})` });
      expect(Object.fromEntries(world.rollouts.locks)).toEqual({ 'shop/production': rollback.id });
      expect(actions(world)).toEqual(['rollout.superseded', 'environment.rollback.requested']);
      expect(world.metrics).toEqual([['rolloutFinished', 'shop', 'release', 'superseded']]);
      expect(world.signals).toEqual([
        { kind: 'abort', rolloutId: holder.id },
        { kind: 'runnable', rolloutId: rollback.id },
      ]);
    });

    it('names the superseding rollout when the target release is no longer known', async () => {
      const world = setUp();
      await withHistory(world);
      world.releases.releases.clear();
      const holder = rolloutFixture([{ kind: 'deploy', environment: 'production', status: 'running' }], { id: release(116) });
      world.rollouts.add(holder);
      const rollback = await world.service.rollback(ada, 'shop', 'production', { reason: 'r', supersede: true });
      expect((await stored(world, holder.id)).error).toBe(`superseded by rollout ${rollback.id}`);
    });
  });

  describe('environments', () => {
    it('environment shows the current release, the history without objects, and the rollout holding it', async () => {
      const world = setUp();
      await world.rollouts.recordDeployment(world.manager, deployment('shop', 'production', REL2, '1.1.0'));
      await world.rollouts.recordDeployment(world.manager, deployment('shop', 'production', REL, '1.2.0'));
      const active = rolloutFixture([{ kind: 'deploy', environment: 'production', status: 'running' }], {
        id: release(117),
        releaseId: release(53),
        version: '1.3.0',
      });
      world.rollouts.add(active);

      const view = await world.service.environment('shop', 'production');

      expect(view).toMatchObject({
        service: 'shop',
        environment: 'production',
        namespace: 'shop-production',
        current: { releaseId: REL, workloads: expect.any(Array) },
      });
      expect(view.history.map((h) => h.version)).toEqual(['1.2.0', '1.1.0']);
      expect(view.history.every((h) => !('workloads' in h) && !('objects' in h))).toBe(true);
      expect(view.activeRollout).toEqual({ id: active.id, kind: 'release', releaseId: release(53), version: '1.3.0', status: 'running', currentStep: 0 });
    });

    it('environment answers for an environment only a first rollout holds (namespace from its plan), else 404', async () => {
      const world = setUp();
      await expect(world.service.environment('shop', 'qa')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'environment "shop/qa" does not exist' });
      world.rollouts.add(rolloutFixture([{ kind: 'deploy', environment: 'qa' }], { id: release(118) }));
      expect(await world.service.environment('shop', 'qa')).toMatchObject({
        namespace: 'shop-qa',
        current: null,
        history: [],
        activeRollout: { id: release(118) },
      });
    });

    it('environments lists every environment deployed or locked, with its current release', async () => {
      const world = setUp();
      await world.rollouts.recordDeployment(world.manager, deployment('shop', 'staging', REL2, '1.1.0'));
      await world.rollouts.recordDeployment(world.manager, deployment('shop', 'staging', REL, '1.2.0'));
      await world.rollouts.recordDeployment(world.manager, deployment('cart', 'production', REL, '1.2.0'));
      world.rollouts.add(rolloutFixture([{ kind: 'deploy', environment: 'qa' }], { id: release(119) }));

      const listed = await world.service.environments('shop');

      expect(listed.map((e) => [e.environment, e.current?.version ?? null])).toEqual([
        ['qa', null],
        ['staging', '1.2.0'],
      ]);
      expect(listed[1].current).not.toHaveProperty('workloads');
    });
  });

  describe('plan', () => {
    it('previews every environment, or the one asked for', async () => {
      const world = setUp();
      world.publish(REL);
      expect(await world.service.plan(REL)).toMatchObject({
        releaseId: REL,
        service: 'shop',
        version: '1.2.0',
        image: IMAGE,
        environments: [{ environment: 'staging' }, { environment: 'production' }],
      });
      expect((await world.service.plan(REL, 'production')).environments.map((e) => e.environment)).toEqual(['production']);
      expect(world.planner.previewed).toEqual(['staging', 'production', 'production']);
      expect(world.rollouts.rollouts.size).toBe(0);
    });

    it('refuses an environment the release does not deploy to, listing those it does', async () => {
      const world = setUp();
      world.publish(REL);
      await expect(world.service.plan(REL, 'qa')).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: 'environment', problem: 'is not an environment of shop (staging, production)' }],
      });
      expect(world.planner.previewed).toEqual([]);
    });

    it.each([
      [new KubeApiError(500, 'InternalError', 'etcd is down', 'PATCH', '/apis/apps/v1'), 'the Kubernetes API answered 500: etcd is down'],
      [new KubeApiError(0, 'Unreachable', 'connect ECONNREFUSED', 'GET', '/api/v1'), 'the Kubernetes API answered nothing: connect ECONNREFUSED'],
    ])('turns a Kubernetes API failure into a 502 KUBERNETES_ERROR (%#)', async (failure, message) => {
      const world = setUp();
      world.publish(REL);
      world.planner.failure = failure;
      await expect(world.service.plan(REL)).rejects.toMatchObject({ code: 'KUBERNETES_ERROR', status: 502, message });
    });

    it('passes on any other failure unchanged', async () => {
      const world = setUp();
      world.publish(REL);
      const failure = new TypeError('bug');
      world.planner.failure = failure;
      await expect(world.service.plan(REL)).rejects.toBe(failure);
    });
  });
});
