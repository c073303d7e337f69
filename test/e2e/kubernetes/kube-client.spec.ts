import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffObjects, KubeApiError, KubeClient, loadKubeconfig, waitForRollout, type KubeObject } from '@switchyard/deploy';
import { KubeSimulator } from '../../support/kube-simulator/kube-simulator';

/** KubeClient on @kubernetes/client-node against the simulator's fault switch: what is retried, what is not, and what a Secret looks like in a diff. */
describe('KubeClient under faults', () => {
  let sim: KubeSimulator;
  let dir: string;
  let client: KubeClient;
  const statuses: Array<[string, number]> = [];

  const deployment = (name: string, image: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'faults' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-client-'));
    sim = await KubeSimulator.start({ podStartMs: 20 });
    sim.writeKubeconfig(join(dir, 'kubeconfig'));
    client = new KubeClient(loadKubeconfig([join(dir, 'kubeconfig')]), {
      onRequest: (verb, status) => statuses.push([verb, status]),
      retry: { baseDelayMs: 20, maxDelayMs: 200 },
    });
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'faults' } });
  });
  afterEach(() => sim.injectFaults(undefined));
  afterAll(async () => {
    client?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries resets, 429 (after its Retry-After) and 503, and every call still lands', async () => {
    sim.injectFaults({ resetRate: 0.15, throttleRate: 0.05, unavailableRate: 0.1 });
    statuses.length = 0;
    for (let i = 0; i < 24; i++) {
      const applied = await client.apply(deployment(`web-${i % 4}`, `registry.example/web:${i}`));
      expect(applied.metadata.name).toBe(`web-${i % 4}`);
      expect((await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'faults', name: `web-${i % 4}` }))?.metadata.name).toBe(`web-${i % 4}`);
    }
    const { resets, throttled, unavailable } = sim.faults.counts;
    expect(resets + throttled + unavailable).toBeGreaterThan(5);
    // Each fault was seen and answered by a retry, not passed on.
    expect(statuses.filter(([, status]) => status === 0).length).toBe(resets);
    expect(statuses.filter(([, status]) => status === 429).length).toBe(throttled);
    expect(statuses.filter(([, status]) => status === 503).length).toBe(unavailable);
  });

  it('does not retry what will not change (404 is "absent", other 4xx are errors at once)', async () => {
    const from = sim.requests.length;
    expect(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'faults', name: 'nothing' })).toBeUndefined();
    const invalid = await client.apply({ ...deployment('Bad_Name', 'x'), metadata: { name: 'Bad_Name', namespace: 'faults' } }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(KubeApiError);
    expect((invalid as KubeApiError).status).toBe(400);
    expect((invalid as KubeApiError).message).toContain('Bad_Name');
    expect((invalid as KubeApiError).transient).toBe(false);
    expect(sim.requests.length - from).toBe(3); // get, the HPA lookup of the apply, the apply
  });

  it('waits a rollout out through dropped watches without reading them as "gone"', async () => {
    await client.apply(deployment('steady', 'registry.example/steady:1'));
    expect((await waitForRollout(client, 'faults', 'steady', { timeoutMs: 20_000 })).ok).toBe(true);
    sim.injectFaults({ resetRate: 0.1, dropWatchesWithinMs: 300 });
    await client.apply(deployment('steady', 'registry.example/steady:2'));
    const outcome = await waitForRollout(client, 'faults', 'steady', { timeoutMs: 20_000 });
    expect(outcome).toMatchObject({ ok: true });
    expect(sim.faults.counts.watchesDropped + sim.faults.counts.resets).toBeGreaterThan(0);
  });

  it('shows Secret values in a diff as keyed hashes only', () => {
    const secret = (token: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'faults' },
      data: { token, same: 'c2FtZQ==' },
    });
    const changes = diffObjects(secret('b2xk'), secret('bmV3'));
    expect(changes.map((c) => c.path)).toEqual(['data.token']);
    expect(changes[0].before).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(changes[0].after).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(changes[0].before).not.toBe(changes[0].after);
    expect(JSON.stringify(diffObjects(undefined, secret('c2VjcmV0')))).not.toContain('c2VjcmV0');
  });
});
