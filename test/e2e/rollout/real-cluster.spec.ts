import { randomBytes } from 'node:crypto';
import { imageRepository, KubeClient, resolveKubeTarget } from '@switchyard/deploy';
import { ApiClient } from '../../support/api-client';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { atGate, ended, manifestsFor, pipelineFor, rolloutOf } from './rollout-fixture';

/**
 * The rollout scenarios that need no Prometheus, against a real cluster — only when KUBECONFIG is
 * set (the tests create and delete namespaces `sy-e2e-<random>-*`). Images (pulled by the cluster):
 * ROLLOUT_TEST_IMAGE (default registry.k8s.io/pause:3.10, a container that just runs) and
 * ROLLOUT_TEST_CRASH_IMAGE (default busybox:1.36, run with `exit 1`, so it crash-loops). A rollout
 * resolves the image's digest in its registry first, so give both as `repository:tag@sha256:…`.
 */
const kubeconfig = process.env.KUBECONFIG;
if (!kubeconfig) process.stdout.write('skipping the real-cluster rollout suite: KUBECONFIG is not set (it runs the rollout scenarios against that cluster)\n');

(kubeconfig ? describe : describe.skip)('rollouts against a real cluster (KUBECONFIG)', () => {
  const suffix = randomBytes(3).toString('hex');
  const service = `sy-e2e-${suffix}`;
  const goodImage = process.env.ROLLOUT_TEST_IMAGE ?? 'registry.k8s.io/pause:3.10';
  const crashImage = process.env.ROLLOUT_TEST_CRASH_IMAGE ?? 'busybox:1.36';
  let server: TestServer;
  let admin: ApiClient;
  let approver: ApiClient;
  let kube: KubeClient;

  const split = (image: string) => {
    const at = image.indexOf('@');
    return at >= 0 ? { reference: image.slice(0, at), digest: image.slice(at + 1) } : { reference: image, digest: undefined };
  };
  /** A release of `image`, recorded as CI would after publishing it (the crash image runs `exit 1`). */
  const record = async (version: string, image: string, crash = false) => {
    const manifests = manifestsFor(service, { replicas: 1, progressDeadlineSeconds: 300 });
    for (const m of manifests) {
      if (m.object.kind !== 'Deployment') continue;
      const container = m.object.spec.template.spec.containers[0];
      container.ports = undefined;
      if (crash) container.command = ['sh', '-c', 'exit 1'];
    }
    const pipeline: any = pipelineFor(service);
    pipeline.publish.repository = split(image).reference.replace(/:[^/:]*$/, '');
    const created = await admin.post(`/api/v1/services/${service}/releases`, { version, pipeline, manifests });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    for (const stage of ['build', 'test', 'publish']) {
      await admin.patch(`/api/v1/releases/${id}/stages/${stage}`, { status: 'running' });
      const { reference, digest } = split(image);
      await admin.patch(`/api/v1/releases/${id}/stages/${stage}`, {
        status: 'succeeded',
        ...(stage === 'publish' ? { artifacts: { imageReference: reference, ...(digest ? { imageDigest: digest } : {}) } } : {}),
      });
    }
    return id;
  };
  const release = async (version: string, image: string, crash = false) => {
    const id = await record(version, image, crash);
    expect((await admin.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
    return id;
  };

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none', env: { KUBECONFIG: kubeconfig as string, ROLLOUT_POLL_INTERVAL: '500ms' } });
    admin = new ApiClient(server.url, server.adminToken);
    // Four-eyes: the admin starts the releases, another token approves them.
    approver = admin.withToken(await admin.token_('release-manager', ['approve']));
    const policy = {
      environments: { staging: { namespace: `${service}-staging` }, production: { namespace: `${service}-prod`, approval: 'required' } },
      repositories: [...new Set([goodImage, crashImage].map(imageRepository))],
    };
    expect((await admin.request('PUT', `/api/v1/services/${service}/policy`, policy)).status).toBe(200);
    const target = resolveKubeTarget({ kubeconfig });
    if (!target) throw new Error('KUBECONFIG did not resolve to a cluster');
    kube = new KubeClient(target);
  }, 60_000);
  afterAll(async () => {
    for (const environment of ['staging', 'prod'])
      await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: `${service}-${environment}` }).catch(() => false);
    kube?.close();
    await server?.close();
  }, 60_000);

  it('a release reaches production with one approval; a second waits at the gate, blocks a third (409) and is aborted; a crash-looping release fails staging fast; a manual rollback restores the previous image', async () => {
    const first = await release('e2e.1', goodImage);
    await rolloutOf(admin, first, atGate('production'), 'the gate', 300_000);
    expect((await approver.post(`/api/v1/releases/${first}/approve`, { comment: 'real cluster e2e' })).status).toBe(200);
    expect((await rolloutOf(admin, first, ended, 'production', 300_000)).status).toBe('succeeded');

    const second = await release('e2e.2', goodImage);
    await rolloutOf(admin, second, atGate('production'), 'the second gate', 300_000);
    const third = await record('e2e.3', goodImage);
    expect((await admin.post(`/api/v1/releases/${third}/rollout`, {})).status).toBe(409);
    expect((await admin.post(`/api/v1/releases/${second}/abort`, { comment: 'e2e' })).body.status).toBe('aborted');

    const started = Date.now();
    const crashing = await release('e2e.4', crashImage, true);
    const failed = await rolloutOf(admin, crashing, ended, 'the crash-looping release', 300_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/CrashLoopBackOff|ImagePullBackOff|ErrImagePull/);
    process.stdout.write(`real cluster: a crash-looping release failed staging after ${Date.now() - started} ms\n`);

    const rollback = await admin.post(`/api/v1/services/${service}/environments/staging/rollback`, { reason: 'e2e', toRelease: first });
    expect(rollback.status).toBe(202);
    await waitFor(async () => ['succeeded', 'failed'].includes((await admin.get(`/api/v1/rollouts/${rollback.body.id}`)).body.status), 300_000, 'the rollback');
    expect((await admin.get(`/api/v1/rollouts/${rollback.body.id}`)).body.status).toBe('succeeded');
  }, 900_000);
});
