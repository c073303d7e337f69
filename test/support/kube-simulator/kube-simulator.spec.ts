import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiError, KubeClient, loadKubeconfig, waitForRollout, type KubeObject, type WatchEvent } from '@switchyard/deploy';
import { KubeSimulator } from './kube-simulator';

/**
 * The simulator is a test double for the Kubernetes API server, so it is held to the real one's
 * answers: status codes and Status bodies, resourceVersion conflicts, server-side apply semantics,
 * generation bookkeeping, watches (including 410 Gone) and the controllers' observable behaviour.
 */
describe('kube simulator', () => {
  let sim: KubeSimulator;
  let dir: string;
  let client: KubeClient;

  const deployment = (name: string, image: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'sim', labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image, ports: [{ containerPort: 8080 }] }] } },
      ...extra,
    },
  });
  const raw = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sim.token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const apiError = async (promise: Promise<unknown>): Promise<KubeApiError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KubeApiError);
    return error as KubeApiError;
  };

  beforeAll(async () => {
    sim = await KubeSimulator.start({ podStartMs: 20 });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-'));
    sim.writeKubeconfig(join(dir, 'kubeconfig'));
    client = new KubeClient(loadKubeconfig([join(dir, 'kubeconfig')]));
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sim' } });
  });
  afterAll(async () => {
    client?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 404 with a Status naming the resource, and for unknown paths and missing namespaces', async () => {
    expect(await raw('GET', '/apis/apps/v1/namespaces/sim/deployments/nope')).toEqual({
      status: 404,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'deployments.apps "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', group: 'apps', kind: 'deployments' },
        code: 404,
      },
    });
    expect((await raw('GET', '/api/v1/namespaces/sim/services/nope')).body.details).toEqual({ name: 'nope', kind: 'services' });
    expect((await raw('GET', '/apis/batch/v1/namespaces/sim/jobs')).body).toMatchObject({
      code: 404,
      message: 'the server could not find the requested resource',
    });
    const missingNamespace = await apiError(client.apply({ ...deployment('web', 'reg/web:1'), metadata: { name: 'web', namespace: 'ghost' } }));
    expect([missingNamespace.status, missingNamespace.reason, missingNamespace.message]).toEqual([404, 'NotFound', 'namespaces "ghost" not found']);
    expect(await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'sim', name: 'nope' })).toBeUndefined();
    expect((await fetch(`${sim.url}/api/v1/namespaces`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('creates once (409 AlreadyExists after), and refuses updates with a stale or missing resourceVersion', async () => {
    const created = await client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'sim' },
      data: { a: '1' },
    } as KubeObject);
    expect(created.metadata).toMatchObject({ name: 'settings', namespace: 'sim', resourceVersion: expect.stringMatching(/^\d+$/), uid: expect.any(String) });
    const again = await apiError(client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'sim' } }));
    expect([again.status, again.reason, again.message]).toEqual([409, 'AlreadyExists', 'configmaps "settings" already exists']);

    const path = '/api/v1/namespaces/sim/configmaps/settings';
    const updated = await raw('PUT', path, { ...created, data: { a: '2' } });
    expect(updated.status).toBe(200);
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    expect(await raw('PUT', path, { ...created, data: { a: '3' } })).toMatchObject({
      status: 409,
      body: {
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
      },
    });
    const { resourceVersion: _rv, ...withoutVersion } = updated.body.metadata;
    expect(await raw('PUT', path, { ...updated.body, metadata: withoutVersion })).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
    expect(
      await raw('PATCH', path, { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { a: '4' } }, 'application/merge-patch+json'),
    ).toMatchObject({ status: 409 });
    expect(await raw('PATCH', path, [{ op: 'test', path: '/data/a', value: 'nine' }], 'application/json-patch+json')).toMatchObject({ status: 422 });
    expect((await raw('PATCH', path, [{ op: 'replace', path: '/data/a', value: '5' }], 'application/json-patch+json')).body.data).toEqual({ a: '5' });
    expect((await raw('PATCH', path, { data: { a: '6' } }, 'text/plain')).status).toBe(415);
  });

  it('server-side applies: creates, leaves an unchanged object alone, bumps generation on spec changes, and owns fields per manager', async () => {
    const first = await client.apply(deployment('api', 'reg/api:1'));
    expect(first.metadata.generation).toBe(1);
    expect(first.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'switchyard', operation: 'Apply', fieldsType: 'FieldsV1' })]);
    // Defaults are the server's, as on a real cluster.
    expect(first.spec).toMatchObject({
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    });
    expect((await client.apply(deployment('api', 'reg/api:1'))).metadata.generation).toBe(1);
    // An apply that changes nothing writes nothing (a ConfigMap: no controller writes to it meanwhile).
    const settingsV1 = await client.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'flags', namespace: 'sim' },
      data: { mode: 'a' },
    } as KubeObject);
    const settingsAgain = await client.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'flags', namespace: 'sim' },
      data: { mode: 'a' },
    } as KubeObject);
    expect(settingsAgain.metadata.resourceVersion).toBe(settingsV1.metadata.resourceVersion);
    const changed = await client.apply(deployment('api', 'reg/api:2'));
    expect(changed.metadata.generation).toBe(2);
    // A field the manager stops applying is removed; one it never set (a default) stays.
    const labelled = await client.apply({
      ...deployment('api', 'reg/api:2'),
      metadata: { name: 'api', namespace: 'sim', labels: { app: 'api', tier: 'web' } },
    });
    expect(labelled.metadata.labels).toEqual({ app: 'api', tier: 'web' });
    expect((await client.apply(deployment('api', 'reg/api:2'))).metadata.labels).toEqual({ app: 'api' });

    // Another manager may not take a field switchyard owns without force.
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api, namespace: sim }\nspec: { replicas: 5 }\n';
    const conflict = await raw('PATCH', '/apis/apps/v1/namespaces/sim/deployments/api?fieldManager=kubectl', yaml, 'application/apply-patch+yaml');
    expect(conflict).toMatchObject({
      status: 409,
      body: { reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "switchyard": .spec.replicas' },
    });
    expect(
      (await raw('PATCH', '/apis/apps/v1/namespaces/sim/deployments/api?fieldManager=kubectl&force=true', yaml, 'application/apply-patch+yaml')).body.spec
        .replicas,
    ).toBe(5);
    expect((await raw('PATCH', '/apis/apps/v1/namespaces/sim/deployments/api', yaml, 'application/apply-patch+yaml')).status).toBe(422);
    // A dry run answers what would be, and stores nothing.
    const dry = await client.apply(deployment('api', 'reg/api:3'), { dryRun: true });
    expect((dry.spec as any).template.spec.containers[0].image).toBe('reg/api:3');
    expect(
      ((await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'sim', name: 'api' }))?.spec as any).template.spec.containers[0].image,
    ).toBe('reg/api:2');
    // Invalid objects are 422 with the field, as the API server words it.
    const invalid = await apiError(
      client.apply({ ...deployment('bad', 'reg/bad:1'), spec: { ...deployment('bad', 'x').spec, selector: { matchLabels: { app: 'other' } } } }),
    );
    expect([invalid.status, invalid.message]).toEqual([
      422,
      'Deployment.apps "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"bad"}: `selector` does not match template `labels`',
    ]);
  });

  it('runs Deployments: ReplicaSets per template with revisions, pods, status with observedGeneration and conditions', async () => {
    await client.apply(deployment('shop', 'reg/shop:1'));
    expect(await waitForRollout(client, 'sim', 'shop', { timeoutMs: 5000 })).toMatchObject({ ok: true, message: 'deployment "shop" successfully rolled out' });
    await client.apply(deployment('shop', 'reg/shop:2'));
    expect(await waitForRollout(client, 'sim', 'shop', { timeoutMs: 5000 })).toMatchObject({ ok: true });
    const live = (await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'sim', name: 'shop' })) as KubeObject;
    expect(live.metadata).toMatchObject({ generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } });
    expect(live.status).toMatchObject({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect((live.status as any).conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    const replicaSets = (await client.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'sim' }, { labelSelector: 'app=shop' })).items;
    expect(replicaSets.map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], (rs.spec as any).replicas])).toEqual(
      expect.arrayContaining([
        ['1', 0],
        ['2', 2],
      ]),
    );
    const pods = (await client.list({ apiVersion: 'v1', kind: 'Pod', namespace: 'sim' }, { labelSelector: 'app=shop' })).items;
    expect(pods.map((p) => (p.status as any).phase)).toEqual(['Running', 'Running']);
    // Deleting with a stale uid precondition is refused; a real delete takes the ReplicaSets and pods with it.
    const stale = await apiError(client.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'sim', name: 'shop' }, { uid: 'not-the-uid' }));
    expect(stale.status).toBe(409);
    expect(stale.message).toBe(
      `Operation cannot be fulfilled on deployments.apps "shop": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${live.metadata.uid}`,
    );
    expect(await client.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'sim', name: 'shop' }, { uid: live.metadata.uid })).toBe(true);
    const deadline = Date.now() + 5000;
    while (sim.objects('Pod', 'sim').some((p) => (p.metadata as any).labels.app === 'shop') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(sim.objects('ReplicaSet', 'sim').filter((rs) => (rs.metadata as any).labels.app === 'shop')).toEqual([]);
    expect(sim.objects('Pod', 'sim').filter((p) => (p.metadata as any).labels.app === 'shop')).toEqual([]);
  });

  it('fails fast on crashing and unpullable images, and reports ProgressDeadlineExceeded for pods that never get ready', async () => {
    sim.setImageBehaviour('reg/crash', 'crash');
    sim.setImageBehaviour('reg/ghost:404', 'unpullable');
    sim.setImageBehaviour('reg/slow:1', 'never-ready');
    await client.apply(deployment('crash', 'reg/crash:7'));
    expect(await waitForRollout(client, 'sim', 'crash', { timeoutMs: 10_000 })).toMatchObject({
      ok: false,
      reason: 'PodsFailing',
      pods: expect.arrayContaining([expect.objectContaining({ reason: 'CrashLoopBackOff' })]),
    });
    await client.apply(deployment('ghost', 'reg/ghost:404'));
    expect(await waitForRollout(client, 'sim', 'ghost', { timeoutMs: 10_000 })).toMatchObject({
      ok: false,
      reason: 'PodsFailing',
      pods: expect.arrayContaining([expect.objectContaining({ reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/) })]),
    });
    await client.apply(deployment('slow', 'reg/slow:1', { progressDeadlineSeconds: 1 }));
    const started = Date.now();
    expect(await waitForRollout(client, 'sim', 'slow', { timeoutMs: 10_000 })).toMatchObject({
      ok: false,
      reason: 'ProgressDeadlineExceeded',
      message: 'deployment "slow" exceeded its progress deadline',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('records Events for what the controllers and the kubelet did, selectable by involvedObject and watchable', async () => {
    const events = (fieldSelector: string) =>
      raw('GET', `/api/v1/namespaces/sim/events?fieldSelector=${encodeURIComponent(fieldSelector)}`).then((r) => r.body.items as any[]);
    // A watch from the list's resourceVersion, as informers run it; the first matching event ends it.
    const firstEvent = async (fieldSelector: string) => {
      const listed = await raw('GET', '/api/v1/namespaces/sim/events');
      const controller = new AbortController();
      const response = await fetch(
        `${sim.url}/api/v1/namespaces/sim/events?watch=true&resourceVersion=${listed.body.metadata.resourceVersion}&fieldSelector=${encodeURIComponent(fieldSelector)}`,
        { headers: { authorization: `Bearer ${sim.token}` }, signal: controller.signal },
      );
      // Wrapped, so that awaiting the started watch does not also await its first event.
      const next = (async () => {
        const decoder = new TextDecoder();
        let buffered = '';
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          buffered += decoder.decode(value, { stream: true });
          const newline = buffered.indexOf('\n');
          if (newline >= 0) {
            controller.abort();
            return JSON.parse(buffered.slice(0, newline)) as { type: string; object: any };
          }
        }
      })();
      return { next };
    };
    const watching = await firstEvent('involvedObject.kind=Deployment,involvedObject.name=events');
    await client.apply(deployment('events', 'reg/events:1'));
    expect(await waitForRollout(client, 'sim', 'events', { timeoutMs: 10_000 })).toMatchObject({ ok: true });
    const watched = await watching.next;
    expect(watched?.type).toBe('ADDED');
    const deploymentUid = sim.object('Deployment', 'sim', 'events')?.metadata;
    expect(watched?.object).toMatchObject({
      kind: 'Event',
      apiVersion: 'v1',
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: expect.stringMatching(/^Scaled up replica set events-\w+ to 2 from 0$/),
      involvedObject: { kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'sim', name: 'events', uid: (deploymentUid as any).uid },
      source: { component: 'deployment-controller' },
      count: 1,
    });
    const podEvents = await events('involvedObject.kind=Pod');
    const pod = sim.objects('Pod', 'sim').find((p: any) => p.metadata.name.startsWith('events-')) as any;
    expect(podEvents.filter((e) => e.involvedObject.uid === pod.metadata.uid).map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']),
    );
    const rsEvents = await events(`involvedObject.kind=ReplicaSet,reason=SuccessfulCreate`);
    expect(rsEvents.filter((e) => e.involvedObject.name.startsWith('events-'))).toHaveLength(2);
    expect((await raw('GET', '/api/v1/namespaces/sim/events?fieldSelector=spec.bogus%3Dx')).status).toBe(400);

    // A crashing container and an unpullable image say why, as warnings on their pods.
    sim.setImageBehaviour('reg/events-crash', 'crash');
    sim.setImageBehaviour('reg/events-ghost', 'unpullable');
    const backOff = await firstEvent('type=Warning,reason=BackOff');
    await client.apply(deployment('events-crash', 'reg/events-crash:1'));
    await client.apply(deployment('events-ghost', 'reg/events-ghost:1'));
    for (const name of ['events-crash', 'events-ghost']) {
      expect(await waitForRollout(client, 'sim', name, { timeoutMs: 10_000 })).toMatchObject({ ok: false, reason: 'PodsFailing' });
    }
    expect((await backOff.next)?.object).toMatchObject({ involvedObject: { kind: 'Pod', name: expect.stringMatching(/^events-crash-/) } });
    const warnings = (await events('type=Warning')).filter((e) => /^events-(crash|ghost)-/.test(e.involvedObject.name));
    expect(warnings.every((e) => e.involvedObject.kind === 'Pod' && e.source.component === 'kubelet')).toBe(true);
    expect(warnings.map((e) => e.reason)).toEqual(expect.arrayContaining(['BackOff', 'Failed']));
    expect(warnings.find((e) => e.reason === 'Failed').message).toContain('Failed to pull image "reg/events-ghost:1"');
  });

  it('streams watch events from a resourceVersion, drops objects leaving a label selection, and answers 410 Gone for a compacted one', async () => {
    const list = await client.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sim' }, { labelSelector: 'watched=yes' });
    const events: WatchEvent[] = [];
    const controller = new AbortController();
    const watching = client.watch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sim' },
      { resourceVersion: list.resourceVersion, labelSelector: 'watched=yes', signal: controller.signal },
      (event) => {
        events.push(event);
        if (events.length === 3) controller.abort();
      },
    );
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', namespace: 'sim', labels: { watched: 'yes' } }, data: { v: '1' } } as KubeObject;
    await client.apply(cm);
    await client.apply({ ...cm, data: { v: '2' } } as KubeObject);
    await client.apply({ ...cm, metadata: { ...cm.metadata, labels: { watched: 'no' } }, data: { v: '2' } } as KubeObject);
    expect(await watching).toBe('aborted');
    expect(events.map((e) => [e.type, (e.object as any).data.v, e.object.metadata.labels?.watched])).toEqual([
      ['ADDED', '1', 'yes'],
      ['MODIFIED', '2', 'yes'],
      ['DELETED', '2', 'no'],
    ]);
    const versions = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(await client.watch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sim' }, { resourceVersion: '1' }, () => undefined)).toBe('gone');
  });

  const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).status === 0;
  if (!kubectl) process.stdout.write('skipping the kubectl cross-check: kubectl is not installed (it is optional)\n');
  (kubectl ? it : it.skip)('is driven by kubectl itself: apply --server-side, rollout status, set image, rollout undo', async () => {
    // Asynchronously: the simulator answers from this very process.
    const run = (...args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '-n', 'sim', ...args], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) =>
          resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const manifest = join(dir, 'kubectl.json');
    writeFileSync(manifest, JSON.stringify(deployment('kctl', 'reg/kctl:1')));
    expect((await run('apply', '--server-side', '--validate=false', '-f', manifest)).stdout).toBe('deployment.apps/kctl serverside-applied\n');
    expect((await run('rollout', 'status', 'deployment/kctl', '--timeout=10s')).stdout).toContain('deployment "kctl" successfully rolled out');
    expect((await run('set', 'image', 'deployment/kctl', 'main=reg/kctl:2')).status).toBe(0);
    expect((await run('rollout', 'status', 'deployment/kctl', '--timeout=10s')).stdout).toContain('successfully rolled out');
    expect((await run('rollout', 'undo', 'deployment/kctl')).stdout).toBe('deployment.apps/kctl rolled back\n');
    expect((await run('rollout', 'status', 'deployment/kctl', '--timeout=10s')).status).toBe(0);
    expect(
      (
        await run(
          'get',
          'deployment',
          'kctl',
          '-o',
          'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
        )
      ).stdout,
    ).toBe('reg/kctl:1 3');
    expect((await run('get', 'replicasets', '-l', 'app=kctl', '-o', 'name')).stdout.trim().split('\n')).toHaveLength(2);
  });
});
